import {readFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {auditWorkspace} from '../../src/audit/audit.ts'
import type {AuditReport} from '../../src/audit/types.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {auditFixture, auditFixtures} from './helpers.ts'
import {baselineStackFor, writeClientStack} from './workspace-stacks.ts'

const FLEET_RULES = ['SKT-FLT-001', 'SKT-FLT-002', 'SKT-FLT-003', 'SKT-FLT-004']

function fleetFindings(report: AuditReport, ruleId: string): string[] {
  return report.findings
    .filter((finding) => finding.ruleId === ruleId)
    .map((finding) => `${finding.client}: ${finding.address}`)
    .filter((entry, index, all) => all.indexOf(entry) === index)
    .sort()
}

describe('fleet rules', () => {
  it('find overlapping CIDRs, shared accounts, cross-client references and foreign key principals (fixtures)', async () => {
    const dir = join(auditFixtures, 'fleet')
    const expected = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Record<string, string[]>
    const {report} = await auditFixture(dir)
    expect(report.stacks.map((stack) => stack.client).sort()).to.deep.equal(['acme', 'beta', 'delta', 'gamma'])
    for (const ruleId of FLEET_RULES)
      expect(fleetFindings(report, ruleId), ruleId).to.deep.equal([...expected[ruleId]!].sort())
    // delta names only itself: the passing member of the fleet.
    expect(
      report.findings.filter((finding) => finding.client === 'delta' && finding.ruleId.startsWith('SKT-FLT')),
    ).to.deep.equal([])
  })

  it("find each client's monthly budget in its own stack or in the platform stack, on its linked account (SKT-OBS-005)", async () => {
    const {report} = await auditFixture(join(auditFixtures, 'rules', 'budgets'))
    expect(report.stacks.find((stack) => stack.id.endsWith('platform'))).to.include({kind: 'platform'})
    const budgets = report.findings
      .filter((finding) => finding.ruleId === 'SKT-OBS-005')
      .map((finding) => `${finding.client}: ${finding.message}`)
    expect(budgets).to.deep.equal([
      'beta: aws_budgets_budget.budget-beta: limit is 5000 USD; the silver tier sets 1000',
      'epsilon: aws_budgets_budget.budget-epsilon: the budget alerts no one',
      "zeta: no monthly cost budget for the client's account, neither in its stack nor in the platform stack",
    ])
    // Alone, a client stack cannot show that the platform keeps no budget for it: only the payer's stack can.
    const alone = await auditFixture(join(auditFixtures, 'rules', 'budgets', 'acme'))
    expect(alone.report.findings.filter((finding) => finding.ruleId === 'SKT-OBS-005')).to.deep.equal([])
  })

  describe('on a workspace of three clients', () => {
    let workspace: Workspace
    before(async () => {
      workspace = await makeWorkspace({
        clients: [
          draftClient('acme', {accountId: '222222222222'}),
          draftClient('beta', {accountId: '333333333333'}),
          draftClient('acme-west', {accountId: '444444444444'}),
        ],
      })
      for (const client of (await loadRegistry(workspace)).clients)
        await writeClientStack(workspace, client.id, await baselineStackFor(client))
    })
    after(() => removeDir(workspace.root))

    it('passes a fleet of baseline stacks (ids that prefix one another are not cross-references)', async () => {
      const report = await auditWorkspace(workspace, {today: '2026-06-01'})
      expect(
        report.findings.map((finding) => `${finding.client} ${finding.ruleId} ${finding.address}: ${finding.message}`),
      ).to.deep.equal([])
      expect(report.stacks.map((stack) => stack.id)).to.deep.equal(['acme', 'acme-west', 'beta'])
      expect(report.passed).to.equal(true)
    })

    it("reports one client naming another's account and bucket, also when only that client is audited", async () => {
      const beta = (await loadRegistry(workspace)).get('beta')
      const stack = JSON.parse(await baselineStackFor(beta)) as {
        resource: {aws_iam_role_policy: {app: {policy: string}}}
      }
      const policy = JSON.parse(stack.resource.aws_iam_role_policy.app.policy) as {Statement: {Resource: unknown}[]}
      policy.Statement[1]!.Resource = ['${aws_s3_bucket.data.arn}', 'arn:aws:s3:::seiketsu-acme-data-222222222222']
      stack.resource.aws_iam_role_policy.app.policy = JSON.stringify(policy)
      const tampered = JSON.stringify(stack, null, 2)
      expect(tampered).to.include('seiketsu-acme-data-222222222222')
      await writeClientStack(workspace, 'beta', tampered)
      try {
        for (const ids of [[], ['beta']]) {
          const report = await auditWorkspace(workspace, {ids, today: '2026-06-01'})
          const findings = report.findings.filter((finding) => finding.ruleId === 'SKT-FLT-003')
          expect([...new Set(findings.map((finding) => `${finding.client} ${finding.address}`))]).to.deep.equal([
            'beta aws_iam_role_policy.app',
          ])
          expect(findings[0]!.message).to.match(/client acme/)
          expect(report.passed).to.equal(false)
        }
        // Auditing acme alone still compares it with beta, and reports nothing against acme.
        const acmeOnly = await auditWorkspace(workspace, {ids: ['acme'], today: '2026-06-01'})
        expect(acmeOnly.findings).to.deep.equal([])
      } finally {
        await writeClientStack(workspace, 'beta', await baselineStackFor(beta))
      }
    })

    it('checks each stack against its own manifest (CIDR, account, integrations)', async () => {
      const acme = (await loadRegistry(workspace)).get('acme')
      await writeFile(
        join(workspace.root, 'cdktf.out', 'stacks', 'acme', 'cdk.tf.json'),
        (await baselineStackFor(acme)).replaceAll('"10.0.', '"10.9.'),
      )
      try {
        const report = await auditWorkspace(workspace, {ids: ['acme'], today: '2026-06-01'})
        expect(report.findings.map((finding) => finding.ruleId)).to.deep.equal(['SKT-NET-006'])
      } finally {
        await writeClientStack(workspace, 'acme', await baselineStackFor(acme))
      }
    })
  })
})
