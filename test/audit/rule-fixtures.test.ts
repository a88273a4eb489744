import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'

import {expect} from 'chai'

import {RULES} from '../../src/audit/rules/index.ts'
import type {Stack} from '../../src/audit/types.ts'
import {addressesOf, auditFixture, auditFixtures, fixtureExpectations} from './helpers.ts'

const rulesDir = join(auditFixtures, 'rules')

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .flatMap((entry) => (entry.isDirectory() ? fixtureFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((file) => file.endsWith('.tf') || file.endsWith('.json'))
    .sort()
}

/**
 * A fixture is a file of rules/ (one stack), or a folder of rules/ (one run of several stacks, a stack
 * per subfolder, for rules that compare stacks). Each file says what the rules must report in it.
 */
const fixtures = readdirSync(rulesDir, {withFileTypes: true})
  .map((entry) => {
    const path = join(rulesDir, entry.name)
    return {files: entry.isDirectory() ? fixtureFiles(path) : fixtureFiles(rulesDir).filter((f) => f === path), path}
  })
  .filter(({files}) => files.length > 0)
  .sort((a, b) => a.path.localeCompare(b.path))
const expectations = new Map(fixtures.flatMap(({files}) => files.map((file) => [file, fixtureExpectations(file)])))

describe('audit rules on their fixtures (test/fixtures/audit/rules)', () => {
  for (const {files, path} of fixtures) {
    const ruleIds = [...new Set(files.flatMap((file) => Object.keys(expectations.get(file)!.expect)))]
    it(`${relative(rulesDir, path)}: ${ruleIds.join(', ')}`, async () => {
      const {report} = await auditFixture(path, (stack) => {
        const file = files.find((candidate) => stackHolds(stack, candidate))
        return file ? expectations.get(file)!.context : undefined
      })
      for (const file of files)
        for (const [ruleId, addresses] of Object.entries(expectations.get(file)!.expect))
          expect(
            addressesOf(report, ruleId, relative(auditFixtures, file)),
            `${ruleId} findings in ${relative(rulesDir, file)}`,
          ).to.deep.equal([...addresses].sort())
    })
  }

  it('has a failing fixture for every rule but the fleet-isolation ones (test/fixtures/audit/fleet)', () => {
    const failing = new Set(
      [...expectations.values()].flatMap(({expect: expected}) =>
        Object.keys(expected).filter((id) => expected[id]!.length > 0),
      ),
    )
    const missing = RULES.filter((rule) => rule.domain !== 'fleet' && !failing.has(rule.id)).map((rule) => rule.id)
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

/** Whether a fixture file is one of a stack's files. */
function stackHolds(stack: Stack, file: string): boolean {
  const label = relative(auditFixtures, file)
  return stack.resources.some((resource) => resource.file === label) || stack.file === label
}

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
