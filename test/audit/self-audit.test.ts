import {expect} from 'chai'

import {auditWorkspace} from '../../src/audit/audit.ts'
import {RULES} from '../../src/audit/rules/index.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import {loadTiers} from '../../src/tiers/tiers.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {DEPLOYABLE_SETTINGS} from '../stacks/fleet.ts'

/**
 * The self-audit: what `seiketsu synth` writes meets seiketsu's own policy. One client per tier of the
 * shipped catalogue (every integration on for one of them, one whose account does not exist yet, one
 * in the EU), synthesized for real, audited with every rule: no finding at any severity.
 */
for (const [label, settings] of [
  ['a workspace before its image is pushed (no image digest: services gated at 0 tasks)', {}],
  ['a workspace ready for production (domain, on-call address, image digest)', DEPLOYABLE_SETTINGS],
] as const)
  describe(`self-audit: freshly synthesized stacks of ${label}`, () => {
    let workspace: Workspace
    after(() => (workspace ? removeDir(workspace.root) : undefined))

    it('of every tier, and the platform stack, have no finding at any severity', async () => {
      const tiers = Object.keys(await loadTiers({}, 'tiers.yaml', () => undefined))
      const everyIntegration = Object.fromEntries(
        ['elevenlabs', 'twilio', 'mls', 'crm', 'calendar'].map((name) => [name, {enabled: true, settings: {}}]),
      )
      workspace = await makeWorkspace({
        settings,
        clients: tiers.map((tier, index) =>
          draftClient(`client-${tier}`, {
            accountId: index === tiers.length - 1 ? null : String(222_222_222_222 + index),
            tier,
            ...(index === 0 ? {integrations: everyIntegration} : {}),
            ...(index === 1 ? {region: 'eu-west-1', residency: 'eu'} : {}),
          }),
        ),
      })
      const registry = await loadRegistry(workspace)
      const written = await synthesizeStacks(workspace, registry.clients)
      expect(written.map((stack) => stack.kind).filter((kind) => kind === 'platform')).to.have.length(1)

      const report = await auditWorkspace(workspace, {})
      expect(
        report.findings.map((finding) => `${finding.stack} ${finding.ruleId} ${finding.address}: ${finding.message}`),
      ).to.deep.equal([])
      // Each client with an account also has its bootstrap stack (the last tier's client has no account yet).
      expect(report.stacks.map((stack) => stack.id).sort()).to.deep.equal(
        [
          ...tiers.map((tier) => `client-${tier}`),
          ...tiers.slice(0, -1).map((tier) => `client-${tier}/bootstrap`),
          'platform',
        ].sort(),
      )
      // Every rule had something to look at (SKT-NET-004 every route), except the one for secret values.
      const evaluated = new Set(report.checks.map((check) => check.ruleId))
      expect(RULES.filter((rule) => !evaluated.has(rule.id)).map((rule) => rule.id)).to.have.members(['SKT-SEC-002'])
      expect(report.passed).to.equal(true)
    })
  })

describe('self-audit: a workspace without a domain or an on-call destination', () => {
  it('is caught: certificates nobody can validate, alarm topics nobody reads (and nothing else)', async () => {
    const workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'})],
      settings: {alertsEmail: undefined, domain: undefined},
    })
    try {
      await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
      const report = await auditWorkspace(workspace, {})
      expect(
        [...new Set(report.findings.map((finding) => `${finding.stack} ${finding.ruleId} ${finding.address}`))].sort(),
      ).to.deep.equal([
        'acme SKT-DEP-002 aws_acm_certificate_validation.edge_certificate_validation',
        'acme SKT-DEP-004 aws_sns_topic.observability_alarm_topic',
        'platform SKT-DEP-004 aws_sns_topic.alerts_topic',
      ])
    } finally {
      await removeDir(workspace.root)
    }
  })
})
