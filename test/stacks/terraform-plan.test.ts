import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import {expect} from 'chai'

import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks, type SynthesizedStack} from '../../src/stacks/synth.ts'
import {summarizePlan, type PlanSummary} from '../../src/terraform/plan-summary.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, removeDir} from '../helpers/cli.ts'
import {
  appliedStateOf,
  realTerraformEnv,
  runTerraform,
  startAwsStub,
  writeMirrorCliConfig,
  type AwsStub,
} from '../helpers/real-terraform.ts'
import {DEPLOYABLE_SETTINGS, makeFleetWorkspace} from './fleet.ts'

const PLATFORM_ZONE = {id: 'Z0PLATFORM0000000001', name: DEPLOYABLE_SETTINGS.domain}

type ShownPlan = Parameters<typeof appliedStateOf>[2]['plan'] & Parameters<typeof summarizePlan>[0]

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({length: size}, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

/**
 * The real terraform and the real hashicorp/aws provider plan every stack of a fleet, offline: the
 * provider configures itself against a loopback STS (assume_role, allowed_account_ids), reads the
 * organization and the platform's zone from loopback Organizations and Route 53, and checks every
 * argument it can before anything exists.
 */
describe('synthesized stacks under the real terraform plan', function () {
  this.timeout(600_000)
  let workspace: Workspace
  let stacks: SynthesizedStack[]
  let stub: AwsStub
  let env: NodeJS.ProcessEnv
  let scratch: string

  /** The first plan of each stack (its `show -json` document), made once and read by several tests. */
  const firstPlans = new Map<string, {exitCode: number; stderr: string; document?: ShownPlan}>()
  const plan = async (stack: SynthesizedStack, args: string[] = []) => {
    const run = await runTerraform(
      ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=plan.tfplan', ...args],
      {cwd: stack.dir, env},
    )
    const document =
      run.exitCode === 1
        ? undefined
        : (JSON.parse(
            (await runTerraform(['show', '-json', 'plan.tfplan'], {cwd: stack.dir, env})).stdout,
          ) as ShownPlan)
    return {...run, document, summary: document ? summarizePlan(document) : undefined}
  }
  const stackById = (id: string) => stacks.find((stack) => stack.id === id)!

  before(async () => {
    scratch = await makeTempDir('seiketsu-plan-')
    stub = await startAwsStub({zones: [PLATFORM_ZONE]})
    env = realTerraformEnv({
      cliConfig: await writeMirrorCliConfig(scratch),
      pluginCache: join(scratch, 'plugins'),
      stub,
    })
    await mkdir(env.TF_PLUGIN_CACHE_DIR!, {recursive: true})
    workspace = await makeFleetWorkspace(DEPLOYABLE_SETTINGS)
    stacks = await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
    // Two at a time: terraform and the provider plugin keep a core busy each.
    await inBatches(stacks, 2, async (stack) => {
      const init = await runTerraform(['init', '-input=false', '-no-color'], {cwd: stack.dir, env})
      expect(init.exitCode, `${stack.id}: ${init.stderr}`).to.equal(0)
      firstPlans.set(stack.id, await plan(stack))
    })
  })
  after(async () => {
    await stub?.close()
    await Promise.all([removeDir(workspace.root), removeDir(scratch)])
  })

  it('plans every bootstrap, client and platform stack: everything to create, nothing terraform refuses', async () => {
    const planned = stacks.filter((stack) => stack.id !== 'dunmore')
    expect(planned.map((stack) => stack.kind)).to.include.members(['bootstrap', 'client', 'platform'])
    for (const stack of planned) {
      const {document, exitCode, stderr} = firstPlans.get(stack.id)!
      expect(exitCode, `${stack.id}:\n${stderr}`).to.equal(2)
      const summary = summarizePlan(document)
      expect(summary!.add, stack.id).to.equal(stack.resources)
      expect([summary!.change, summary!.replace, summary!.destroy], stack.id).to.deep.equal([0, 0, 0])
      expect(summary!.complete, stack.id).to.equal(true)
    }
    // The providers assumed each account's role, and read the organization and the platform's zone.
    const operations = new Set(stub.calls.map((call) => call.operation))
    expect([...operations]).to.include.members([
      'AssumeRole',
      'GetCallerIdentity',
      'DescribeOrganization',
      'ListAWSServiceAccessForOrganization',
      'ListHostedZones',
      'GetHostedZone',
    ])
    expect(stub.assumed.map((call) => call.roleArn)).to.include.members([
      'arn:aws:iam::222222222222:role/SeiketsuClientProvisioner',
      'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole',
      'arn:aws:iam::111111111111:role/SeiketsuDnsDelegation',
    ])
  })

  it('refuses the stack of a client whose account does not exist yet, with the reason and the fix', async () => {
    const {exitCode, stderr} = firstPlans.get('dunmore')!
    expect(exitCode).to.equal(1)
    expect(stderr).to.contain('Client dunmore has no AWS account yet')
    expect(stderr).to.contain('seiketsu synth again')
  })

  it('starts the service only when seiketsu opens its gate', async () => {
    const taskCounts = (document: ShownPlan) => {
      const values = (address: string) =>
        document.planned_values.root_module.resources.find((resource) => resource.address === address)!.values
      return [
        values('aws_ecs_service.app_service').desired_count,
        values('aws_appautoscaling_target.app_scaling_target').min_capacity,
        values('aws_appautoscaling_target.app_scaling_target').max_capacity,
      ]
    }
    expect(taskCounts(firstPlans.get('acme')!.document!)).to.deep.equal([0, 0, 0])
    const open = await plan(stackById('acme'), ['-var', 'service_enabled=true'])
    expect(open.exitCode, open.stderr).to.equal(2)
    expect(taskCounts(open.document!)).to.deep.equal([1, 1, 5])
  })

  it('refuses the platform plan while CloudTrail has no trusted access in the organization, saying how to enable it', async () => {
    const platform = stacks.find((stack) => stack.kind === 'platform')!
    stub.trustedServices.splice(0)
    try {
      const {exitCode, stderr} = await plan(platform)
      expect(exitCode).to.equal(1)
      // terraform wraps the message at 80 columns.
      const message = stderr.replaceAll(/\s+/g, ' ')
      expect(message).to.contain('CloudTrail has no trusted access in AWS Organizations')
      expect(message).to.contain(
        'aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com',
      )
    } finally {
      stub.trustedServices.push('cloudtrail.amazonaws.com')
    }
  })

  describe('a replan from state (the database as applied, then its configuration changed)', () => {
    let acme: SynthesizedStack
    let original: string

    before(async () => {
      acme = stackById('acme')
      original = await readFile(acme.file, 'utf8')
      const document = firstPlans.get('acme')!.document!
      const statePath = resolve(acme.dir, JSON.parse(original).terraform.backend.local.path as string)
      await mkdir(dirname(statePath), {recursive: true})
      // The database and what it stands on, as an apply would have left them.
      await appliedStateOf({dir: acme.dir, statePath}, env, {
        keep: (address) =>
          /^(aws_db_instance\.database_instance|aws_kms_key\.keys_(key|backup_key)|aws_db_(parameter|subnet)_group\.\w+|aws_security_group\.security_groups_database|aws_cloudwatch_log_group\.database_log_group|aws_vpc\.network_vpc|aws_subnet\.network_isolated_subnet\d)$/.test(
            address,
          ),
        plan: document,
      })
    })
    afterEach(() => writeFile(acme.file, original))

    /** The database's change after editing its configuration, as the real provider plans it from state. */
    const databaseChange = async (edit: (database: Record<string, unknown>) => void) => {
      const document = JSON.parse(original)
      edit(document.resource.aws_db_instance.database_instance)
      await writeFile(acme.file, JSON.stringify(document))
      const {exitCode, stderr, summary} = await plan(acme, ['-refresh=false'])
      expect(exitCode, stderr).to.equal(2)
      return {
        change: summary!.changes.find((candidate) => candidate.address === 'aws_db_instance.database_instance'),
        summary: summary as PlanSummary,
      }
    }

    it('plans nothing for the database as applied', async () => {
      const {change} = await databaseChange(() => {})
      expect(change).to.equal(undefined)
    })

    for (const [attribute, edit] of [
      ['engine', (database: Record<string, unknown>) => (database.engine = 'mysql')],
      [
        'kms_key_id',
        (database: Record<string, unknown>) => (database.kms_key_id = '${aws_kms_key.keys_backup_key.arn}'),
      ],
    ] as const)
      it(`marks a change of its ${attribute} destructive, with the provider's own reason`, async () => {
        const {change, summary} = await databaseChange(edit)
        expect(change).to.deep.include({
          action: 'replace',
          destructive: true,
          reason: 'replace_because_cannot_update',
          replacePaths: [[attribute]],
        })
        expect(summary.destructive.map((candidate) => candidate.address)).to.include(
          'aws_db_instance.database_instance',
        )
      })

    // The provider renames an instance in place (ModifyDBInstance): a new endpoint, the same data.
    it('renames it in place when its identifier changes (the provider does not replace it)', async () => {
      const {change, summary} = await databaseChange((database) => (database.identifier = 'seiketsu-acme-db-renamed'))
      expect(change).to.deep.include({action: 'update', destructive: false})
      expect(summary.destructive).to.deep.equal([])
    })

    it('changes its instance class in place, not destructively', async () => {
      const {change, summary} = await databaseChange((database) => (database.instance_class = 'db.r7g.large'))
      expect(change).to.deep.include({action: 'update', destructive: false})
      expect(summary.destructive).to.deep.equal([])
    })
  })
})
