import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import {expect} from 'chai'

import type {PlanResult} from '../../src/commands/plan.ts'
import {summarizePlan, type PlanSummary} from '../../src/terraform/plan-summary.ts'
import type {TerraformStack} from '../../src/terraform/session.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {startAwsStub, type AwsStub} from '../helpers/aws/provider-stub.ts'
import {makeTempDir, parseJson, removeDir, runCli} from '../helpers/cli.ts'
import {appliedStateOf, realTerraformEnv, runTerraform, writeMirrorCliConfig} from '../helpers/real-terraform.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {DEPLOYABLE_SETTINGS} from './fleet.ts'

const PLATFORM_ZONE = {id: 'Z0PLATFORM0000000001', name: DEPLOYABLE_SETTINGS.domain}

type ShownPlan = Parameters<typeof appliedStateOf>[2]['plan'] & Parameters<typeof summarizePlan>[0]

/**
 * `seiketsu plan` with the real terraform and the real hashicorp/aws provider over a fleet of every
 * tier, offline: the provider configures itself against a loopback STS (assume_role,
 * allowed_account_ids), reads the organization and the platform's zone from loopback Organizations
 * and Route 53, and checks every argument it can before anything exists; seiketsu's own service-gate
 * check asks a loopback Secrets Manager. The client stacks first wait for their bootstrap stacks; they
 * are then planned as the stacks of a workspace whose bootstraps are not on disk.
 */
describe('seiketsu plan with the real terraform and provider: every tier, its bootstrap, the platform', function () {
  this.timeout(600_000)
  let workspace: Workspace
  let stub: AwsStub
  let secrets: FakeAws
  let env: NodeJS.ProcessEnv
  let scratch: string

  const tiers = {bayview: 'bronze', acme: 'silver', cascade: 'gold', dunmore: 'enterprise'} as const
  const stacksOf = (ids: readonly string[]): TerraformStack[] =>
    ids.map((id) => {
      const dir = join(workspacePaths(workspace.root).out, 'stacks', ...id.split('/'))
      return {
        dir,
        file: join(dir, 'cdk.tf.json'),
        id,
        kind: id === 'platform' ? 'platform' : id.includes('/') ? 'bootstrap' : 'client',
      }
    })
  const stackById = (id: string) => stacksOf([id])[0]!
  const seiketsu = (args: string[]) => runCli(args, {cwd: workspace.root, env, timeoutMs: 400_000})
  const shown = async (stack: TerraformStack, file = 'plan.tfplan') =>
    JSON.parse((await runTerraform(['show', '-json', file], {cwd: stack.dir, env})).stdout) as ShownPlan
  /** A direct terraform plan of one stack (what seiketsu plan runs, without seiketsu). */
  const plan = async (stack: TerraformStack, args: string[] = []) => {
    const run = await runTerraform(
      ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=direct.tfplan', ...args],
      {cwd: stack.dir, env},
    )
    const document = run.exitCode === 1 ? undefined : await shown(stack, 'direct.tfplan')
    return {...run, document, summary: document ? summarizePlan(document) : undefined}
  }
  let first: PlanResult
  let second: PlanResult

  before(async () => {
    scratch = await makeTempDir('seiketsu-plan-')
    stub = await startAwsStub({zones: [PLATFORM_ZONE]})
    secrets = await FakeAws.start()
    env = {
      ...realTerraformEnv({
        cliConfig: await writeMirrorCliConfig(scratch),
        pluginCache: join(scratch, 'plugins'),
        stub,
      }),
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    }
    await mkdir(env.TF_PLUGIN_CACHE_DIR!, {recursive: true})
    workspace = await makeWorkspace({
      clients: [
        ...Object.entries(tiers).map(([id, tier], index) =>
          draftClient(id, {
            accountId: String(222_222_222_222 + index),
            tier,
            ...(id === 'dunmore' ? {region: 'eu-west-1', residency: 'eu'} : {}),
          }),
        ),
        draftClient('newco', {accountId: null, tier: 'bronze'}),
      ],
      settings: DEPLOYABLE_SETTINGS,
    })
    // acme's secrets hold values (its gate opens); the others' do not exist yet.
    for (const integration of ['elevenlabs', 'twilio'])
      secrets.addSecret({
        accountId: '222222222223',
        name: `seiketsu/acme/${integration}`,
        region: 'us-east-1',
        value: 'x',
      })
    const result = await seiketsu(['plan', '--platform', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    first = parseJson<PlanResult>(result)
  })
  after(async () => {
    await stub?.close()
    await secrets?.close()
    await Promise.all([removeDir(workspace.root), removeDir(scratch)])
  })

  /** Each planned stack's counts are what terraform show -json of its saved plan says. */
  const expectSummariesOfSavedPlans = async (result: PlanResult) => {
    for (const stack of result.clients.filter((candidate) => ['planned', 'no-changes'].includes(candidate.status))) {
      const summary = summarizePlan(await shown(stackById(stack.id)))
      expect(
        [stack.add, stack.change, stack.replace, stack.destroy],
        `${stack.id} against terraform show -json`,
      ).to.deep.equal([summary.add, summary.change, summary.replace, summary.destroy])
    }
  }

  it('plans the platform and every bootstrap stack first; client stacks wait for them; a client without an account is skipped', async () => {
    const statusOf = Object.fromEntries(first.clients.map((stack) => [stack.id, [stack.status, stack.code]]))
    expect(statusOf).to.deep.equal({
      acme: ['skipped', 'WAITING_FOR_BOOTSTRAP'],
      'acme/bootstrap': ['planned', undefined],
      bayview: ['skipped', 'WAITING_FOR_BOOTSTRAP'],
      'bayview/bootstrap': ['planned', undefined],
      cascade: ['skipped', 'WAITING_FOR_BOOTSTRAP'],
      'cascade/bootstrap': ['planned', undefined],
      dunmore: ['skipped', 'WAITING_FOR_BOOTSTRAP'],
      'dunmore/bootstrap': ['planned', undefined],
      newco: ['skipped', undefined],
      platform: ['planned', undefined],
    })
    expect(first.clients.find((stack) => stack.id === 'acme/bootstrap')!.add).to.equal(5)
    await expectSummariesOfSavedPlans(first)
    expect(stub.assumed.map((call) => call.roleArn)).to.include(
      'arn:aws:iam::222222222223:role/OrganizationAccountAccessRole',
    )
    const operations = new Set(stub.calls.map((call) => call.operation))
    expect([...operations]).to.include.members([
      'AssumeRole',
      'GetCallerIdentity',
      'DescribeOrganization',
      'ListAWSServiceAccessForOrganization',
    ])
  })

  it('plans every tier’s client stack: everything to create, nothing the provider refuses', async () => {
    // Refreshing an applied bootstrap stack would read IAM, which has no loopback here: without them on
    // disk (as a workspace synthesized before bootstrap stacks plans), the client stacks do not wait. That
    // a client stack is planned once its bootstrap has nothing to apply is the stand-in's first-day test.
    const {rm} = await import('node:fs/promises')
    for (const id of Object.keys(tiers)) await rm(stackById(`${id}/bootstrap`).dir, {force: true, recursive: true})
    const result = await seiketsu(['plan', '--platform', '--no-synth', '--json', '--detailed-exitcode'])
    const failures = parseJson<PlanResult>(result).clients.filter((stack) => stack.status === 'failed')
    expect(result.exitCode, JSON.stringify(failures.map((stack) => [stack.id, stack.step, stack.error]))).to.equal(2)
    second = parseJson<PlanResult>(result)
    for (const id of Object.keys(tiers)) {
      const client = second.clients.find((stack) => stack.id === id)!
      expect(client.status, `${id}: ${client.error}`).to.equal('planned')
      const resources = Object.values(
        JSON.parse(await readFile(stackById(id).file, 'utf8')).resource as Record<string, object>,
      ).reduce((sum, byName) => sum + Object.keys(byName).length, 0)
      expect([client.add, client.change, client.replace, client.destroy], id).to.deep.equal([resources, 0, 0, 0])
      expect(client.destructive, id).to.deep.equal([])
    }
    await expectSummariesOfSavedPlans(second)
    // The client stacks' providers assumed their provisioner role, and the DNS role for the delegation.
    expect(stub.assumed.map((call) => call.roleArn)).to.include.members([
      'arn:aws:iam::222222222223:role/SeiketsuClientProvisioner',
      'arn:aws:iam::111111111111:role/SeiketsuDnsDelegation',
    ])
    expect([...new Set(stub.calls.map((call) => call.operation))]).to.include.members([
      'ListHostedZones',
      'GetHostedZone',
    ])
  })

  it('opens the service gate of the client whose secrets hold values, and only that one', async () => {
    const taskCounts = (document: ShownPlan) => {
      const values = (address: string) =>
        document.planned_values.root_module.resources.find((resource) => resource.address === address)!.values
      return [
        values('aws_ecs_service.app_service').desired_count,
        values('aws_appautoscaling_target.app_scaling_target').min_capacity,
        values('aws_appautoscaling_target.app_scaling_target').max_capacity,
      ]
    }
    const gate = (id: string) => second.clients.find((stack) => stack.id === id)!.service!
    expect(gate('acme')).to.deep.equal({client: 'acme', enabled: true, waitingFor: []})
    expect(gate('cascade').enabled).to.equal(false)
    expect(gate('cascade').waitingFor.map((wait) => wait.fix)).to.include(
      'provision cascade (it creates the secret), then seiketsu secrets set cascade elevenlabs',
    )
    expect(taskCounts(await shown(stackById('acme')))).to.deep.equal([1, 1, 5])
    expect(taskCounts(await shown(stackById('cascade')))).to.deep.equal([0, 0, 0])
  })

  it('refuses the stack of a client whose account does not exist yet, with the reason and the fix', async () => {
    // seiketsu plan skips it (nothing to plan until the account exists); terraform alone refuses it.
    const synth = await seiketsu(['synth', 'newco', '--json'])
    expect(synth.exitCode, synth.stderr).to.equal(0)
    const init = await runTerraform(['init', '-input=false', '-no-color'], {cwd: stackById('newco').dir, env})
    expect(init.exitCode, init.stderr).to.equal(0)
    const {exitCode, stderr} = await plan(stackById('newco'))
    expect(exitCode).to.equal(1)
    expect(stderr).to.contain('Client newco has no AWS account yet')
    expect(stderr).to.contain('seiketsu synth again')
  })

  it('refuses the platform plan while CloudTrail has no trusted access in the organization, saying how to enable it', async () => {
    const platform = stackById('platform')
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

  it('refuses the platform plan while an account it creates has no root email template, naming the setting', async () => {
    const config = join(workspace.root, 'seiketsu.yaml')
    const text = await readFile(config, 'utf8')
    expect(text).to.match(/^ {2}rootEmailTemplate: .*$/m)
    await writeFile(config, text.replace(/^ {2}rootEmailTemplate: .*$/m, ''))
    try {
      const result = await seiketsu(['plan', 'platform', '--json'])
      expect(result.exitCode, result.stderr).to.equal(4)
      const [platform] = parseJson<PlanResult>(result).clients
      expect(platform).to.deep.include({id: 'platform', status: 'failed', step: 'plan'})
      expect(platform!.error!.replaceAll(/\s+/g, ' ')).to.contain('no accounts.rootEmailTemplate')
    } finally {
      await writeFile(config, text)
      expect((await seiketsu(['synth', '--json'])).exitCode).to.equal(0)
    }
  })

  describe('a replan from state (the database as applied, then its configuration changed)', () => {
    let acme: TerraformStack
    let original: string

    before(async () => {
      acme = stackById('acme')
      original = await readFile(acme.file, 'utf8')
      const document = await shown(acme)
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
      const {exitCode, stderr, summary} = await plan(acme, ['-refresh=false', '-var=service_enabled=true'])
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
