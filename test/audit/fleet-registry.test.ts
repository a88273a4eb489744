import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {auditStacks, auditWorkspace, clientContext} from '../../src/audit/audit.ts'
import {storedStack} from '../../src/stacks/store.ts'
import {registryFleet} from '../../src/audit/fleet-members.ts'
import {loadPathStacks} from '../../src/audit/inputs.ts'
import {buildStack} from '../../src/audit/stack.ts'
import type {AuditReport} from '../../src/audit/types.ts'
import type {ClientManifest} from '../../src/registry/manifest.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {writeClientStack} from './workspace-stacks.ts'

interface StackJson {
  resource: Record<string, Record<string, Record<string, unknown>>>
}

function fleetFindings(report: AuditReport): string[] {
  return report.findings
    .filter((finding) => finding.ruleId.startsWith('SKT-FLT'))
    .map((finding) => `${finding.client} ${finding.ruleId} ${finding.address}: ${finding.message}`)
}

/** A policy on the client's app role that reads the given object ARNs. */
function readPolicy(arns: string[]): Record<string, unknown> {
  return {
    name: 'reads-more',
    policy: JSON.stringify({
      Statement: [{Action: ['s3:GetObject'], Effect: 'Allow', Resource: arns}],
      Version: '2012-10-17',
    }),
    role: '${aws_iam_role.app.id}',
  }
}

describe('fleet rules take the fleet from the registry', () => {
  let workspace: Workspace
  let acme: ClientManifest
  let harbor: ClientManifest
  let synthesized: string
  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme-realty', {accountId: '222222222222'}),
        draftClient('harbor-homes', {accountId: '333333333333'}),
      ],
      // Names without the account id, as workspaces made before account-scoped bucket names have them:
      // one client's names are then prefixes of another's (harbor-homes, harbor-homes-app).
      configText: (text) => text.replace('bucketNames: account-scoped', 'bucketNames: legacy'),
    })
    const registry = await loadRegistry(workspace)
    acme = registry.get('acme-realty')
    harbor = registry.get('harbor-homes')
    // A fresh checkout after `seiketsu synth acme-realty`: harbor-homes' stack is not on disk.
    await synthesizeStacks(workspace, [acme], {includePlatform: false})
    synthesized = await readFile(storedStack(workspacePaths(workspace.root).out, 'acme-realty').file, 'utf8')
  })
  after(() => removeDir(workspace.root))

  it("reports a grant on another client's bucket, account or CIDR whose stack was never synthesized here", async () => {
    const clean = await auditWorkspace(workspace, {ids: ['acme-realty'], today: '2026-06-01'})
    expect(clean.findings).to.deep.equal([])

    const stack = JSON.parse(synthesized) as StackJson
    stack.resource.aws_iam_role_policy ??= {}
    stack.resource.aws_iam_role_policy.reads_more = readPolicy(['arn:aws:s3:::seiketsu-harbor-homes-data/*'])
    stack.resource.aws_sns_topic_subscription = {
      neighbour: {endpoint: 'arn:aws:sqs:us-east-1:333333333333:inbox', protocol: 'sqs', topic_arn: 'x'},
    }
    const vpc = Object.values(stack.resource.aws_vpc!)[0]!
    vpc.cidr_block = harbor.cidr
    await writeClientStack(workspace, 'acme-realty', JSON.stringify(stack, null, 2))
    try {
      const report = await auditWorkspace(workspace, {ids: ['acme-realty'], today: '2026-06-01'})
      const found = fleetFindings(report)
      expect(found.some((line) => line.startsWith('acme-realty SKT-FLT-003 aws_iam_role_policy.reads_more:'))).to.equal(
        true,
      )
      expect(found.join('\n')).to.include('names client harbor-homes (seiketsu-harbor-homes-data)')
      expect(found.join('\n')).to.include('names account 333333333333 of client harbor-homes')
      expect(found).to.include(
        `acme-realty SKT-FLT-001 aws_vpc.${Object.keys(stack.resource.aws_vpc!)[0]}: ${harbor.cidr} overlaps ${harbor.cidr} of harbor-homes`,
      )
      expect(report.passed).to.equal(false)
    } finally {
      await writeFile(storedStack(workspacePaths(workspace.root).out, 'acme-realty').file, synthesized)
    }
  })

  it('leaves offboarded clients out of the fleet', () => {
    const fleet = registryFleet(workspace.config, [acme, {...harbor, status: 'offboarded'}], workspace.tiers)
    expect(fleet.members.map((member) => member.id)).to.deep.equal(['acme-realty'])
    expect(fleet.members[0]!.names).to.include.members(['seiketsu-acme-realty-data', 'seiketsu/acme-realty/app'])
  })

  it("does not take the platform's own names for a client's (image repository seiketsu/voice-agent, client voice)", () => {
    const voice = {...harbor, accountId: '555555555555', cidr: '10.201.0.0/16', id: 'voice'}
    const fleet = registryFleet(workspace.config, [acme, voice], workspace.tiers)
    expect(synthesized).to.include('/seiketsu/voice-agent:')
    const stack = buildStack([{file: 'acme-realty.tf.json', json: JSON.parse(synthesized)}], {
      client: clientContext(workspace, acme),
      id: 'acme-realty',
      kind: 'client',
      platform: 'seiketsu',
    })
    expect(fleetFindings(auditStacks([stack], {fleet, today: '2026-06-01'}))).to.deep.equal([])
  })

  describe('when one client id extends another (harbor-homes, harbor-homes-app)', () => {
    let extended: ClientManifest
    let harborStack: string
    let extendedStack: string
    before(async () => {
      // Not onboarded: the registry forbids such ids from now on; clients onboarded before may have them.
      extended = {...harbor, accountId: '444444444444', cidr: '10.200.0.0/16', id: 'harbor-homes-app'}
      const outDir = await makeTempDir()
      await synthesizeStacks(workspace, [harbor], {includePlatform: false, outDir})
      await synthesizeStacks(workspace, [extended], {includePlatform: false, outDir})
      harborStack = await readFile(storedStack(outDir, 'harbor-homes').file, 'utf8')
      extendedStack = await readFile(storedStack(outDir, 'harbor-homes-app').file, 'utf8')
      expect(harborStack).to.include('"seiketsu-harbor-homes-app"')
      await removeDir(outDir)
    })

    function audit(harborText: string, extendedText: string): AuditReport {
      const fleet = registryFleet(workspace.config, [acme, harbor, extended], workspace.tiers)
      const stacks = [
        [harbor, harborText],
        [extended, extendedText],
      ].map(([client, text]) =>
        buildStack([{file: `${(client as ClientManifest).id}.tf.json`, json: JSON.parse(text as string)}], {
          client: clientContext(workspace, client as ClientManifest),
          id: (client as ClientManifest).id,
          kind: 'client',
          platform: 'seiketsu',
        }),
      )
      return auditStacks(stacks, {fleet, today: '2026-06-01'})
    }

    it("does not take harbor-homes' own service (seiketsu-harbor-homes-app) for the other client", () => {
      const report = audit(harborStack, extendedStack)
      expect(report.findings.map((finding) => `${finding.stack} ${finding.ruleId}: ${finding.message}`)).to.deep.equal(
        [],
      )
    })

    it("still reports each one naming the other's resources", async () => {
      const harborJson = JSON.parse(harborStack) as StackJson
      harborJson.resource.aws_iam_role_policy ??= {}
      harborJson.resource.aws_iam_role_policy.reads_more = readPolicy([
        'arn:aws:s3:::seiketsu-harbor-homes-app-data/*',
        'arn:aws:logs:us-east-1:444444444444:log-group:/seiketsu/harbor-homes-app/app:*',
      ])
      const extendedJson = JSON.parse(extendedStack) as StackJson
      extendedJson.resource.aws_iam_role_policy ??= {}
      extendedJson.resource.aws_iam_role_policy.reads_more = readPolicy(['arn:aws:s3:::seiketsu-harbor-homes-data/*'])
      const report = audit(JSON.stringify(harborJson), JSON.stringify(extendedJson))
      const found = fleetFindings(report)
      expect(found).to.include.members([
        'harbor-homes SKT-FLT-003 aws_iam_role_policy.reads_more: policy names client harbor-homes-app (seiketsu-harbor-homes-app-data)',
        'harbor-homes SKT-FLT-003 aws_iam_role_policy.reads_more: policy names client harbor-homes-app (seiketsu/harbor-homes-app/app)',
        'harbor-homes-app SKT-FLT-003 aws_iam_role_policy.reads_more: policy names client harbor-homes (seiketsu-harbor-homes-data)',
      ])
      expect(found.every((line) => line.includes('aws_iam_role_policy.reads_more'))).to.equal(true)
    })

    it('attributes names the same way to stacks audited with --path, without a registry', async () => {
      const dir = await makeTempDir()
      try {
        for (const [id, text] of [
          ['harbor-homes', harborStack],
          ['harbor-homes-app', extendedStack],
        ] as const) {
          await mkdir(join(dir, id), {recursive: true})
          await writeFile(join(dir, id, 'cdk.tf.json'), text)
        }
        const stacks = await loadPathStacks([dir], {cwd: dir})
        const report = auditStacks(stacks, {today: '2026-06-01'})
        expect(fleetFindings(report)).to.deep.equal([])
      } finally {
        await removeDir(dir)
      }
    })
  })
})
