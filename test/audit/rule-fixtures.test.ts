import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'

import {expect} from 'chai'

import {RULES} from '../../src/audit/rules/index.ts'
import {addressesOf, auditFixture, auditFixtures, fixtureExpectations} from './helpers.ts'

const rulesDir = join(auditFixtures, 'rules')

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .flatMap((entry) => (entry.isDirectory() ? fixtureFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((file) => file.endsWith('.tf') || file.endsWith('.json'))
    .sort()
}

const files = fixtureFiles(rulesDir)
const expectations = new Map(files.map((file) => [file, fixtureExpectations(file)]))

describe('audit rules on their fixtures (test/fixtures/audit/rules)', () => {
  for (const file of files) {
    const {context, expect: expected} = expectations.get(file)!
    it(`${relative(rulesDir, file)}: ${Object.keys(expected).join(', ')}`, async () => {
      const {report} = await auditFixture(file, context)
      for (const [ruleId, addresses] of Object.entries(expected))
        expect(addressesOf(report, ruleId), `${ruleId} findings`).to.deep.equal([...addresses].sort())
    })
  }

  it('has a failing fixture for every resource and stack rule', () => {
    const failing = new Set(
      [...expectations.values()].flatMap(({expect: expected}) =>
        Object.keys(expected).filter((id) => expected[id]!.length > 0),
      ),
    )
    const missing = RULES.filter((rule) => rule.scope !== 'fleet' && !failing.has(rule.id)).map((rule) => rule.id)
    expect(missing).to.deep.equal([])
  })

  it('has HCL fixtures for a good share of the rules', () => {
    const hcl = new Set(
      [...expectations.entries()]
        .filter(([file]) => file.endsWith('.tf'))
        .flatMap(([, {expect: expected}]) => Object.keys(expected)),
    )
    expect(hcl.size).to.be.at.least(Math.ceil(RULES.length / 3))
  })
})

describe('the baseline client stack (test/fixtures/audit/stacks/acme.tf.json)', () => {
  it('passes every rule, and every resource and stack rule looked at it', async () => {
    const {report} = await auditFixture(join(auditFixtures, 'stacks', 'acme.tf.json'))
    expect(report.findings.map((finding) => `${finding.ruleId} ${finding.address}: ${finding.message}`)).to.deep.equal(
      [],
    )
    const evaluated = new Set(report.checks.map((check) => check.ruleId))
    const skipped = RULES.filter((rule) => !evaluated.has(rule.id)).map((rule) => rule.id)
    // Only rules for resources a client stack must not contain (secret versions, CloudTrail) stay idle;
    // SKT-NET-004 looks at every route too.
    expect(skipped).to.have.members(['SKT-SEC-002', 'SKT-TRL-001', 'SKT-TRL-002', 'SKT-TRL-003'])
    expect(report.stacks[0]).to.include({client: 'acme', kind: 'client'})
  })
})
