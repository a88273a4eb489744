import {readFile} from 'node:fs/promises'

import {expect} from 'chai'

import type {PlanResult} from '../../src/commands/plan.ts'
import type {StackProvisionResult} from '../../src/terraform/provision.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {parseJson, removeDir, runCli} from '../helpers/cli.ts'
import {readInvocations, standinPath} from '../helpers/terraform.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'
const DIGEST = `sha256:${'ef'.repeat(32)}`

type ProvisionJson = {clients: StackProvisionResult[]; exitCode: number}

/**
 * The first day of a client, as an operator runs it (README, "The first day"), with the terraform
 * stand-in applying the synthesized stacks and loopback AWS (STS, Secrets Manager, ECS) answering
 * seiketsu's own calls: platform → the account's bootstrap → the client stack (its database user set
 * up by the one-off task) → its secrets → the service started.
 */
describe('the first day of a client: platform, bootstrap, client, secrets, service', function () {
  this.timeout(180_000)
  let fake: FakeAws
  let workspace: Workspace

  before(async () => {
    fake = await FakeAws.start()
    workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: ACME})],
      settings: {imageDigest: DIGEST},
    })
  })
  after(async () => {
    await fake.close()
    await removeDir(workspace.root)
  })

  const logFile = () => `${workspace.root}/standin.jsonl`
  const run = (args: string[], input?: string) =>
    runCli(args, {
      cwd: workspace.root,
      env: {
        ...FAKE_AWS_ENV,
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_ENDPOINT_URL: fake.url,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        SEIKETSU_TERRAFORM_BIN: standinPath,
        TF_STANDIN_LOG: logFile(),
      },
      input,
      timeoutMs: 120_000,
    })
  const status = (json: {clients: {id: string; status: string; code?: string}[]}) =>
    Object.fromEntries(
      json.clients.map((stack) => [stack.id, stack.code ? `${stack.status} (${stack.code})` : stack.status]),
    )

  it('plans the platform and the bootstrap stack first; the client stack waits for its bootstrap', async () => {
    const plan = await run(['plan', '--platform', '--json'])
    expect(plan.exitCode, plan.stderr).to.equal(0)
    expect(status(parseJson<PlanResult>(plan))).to.deep.equal({
      acme: 'skipped (WAITING_FOR_BOOTSTRAP)',
      'acme/bootstrap': 'planned',
      platform: 'planned',
    })
    const provision = await run(['provision', '--platform', '--yes', '--json'])
    expect(provision.exitCode, provision.stderr).to.equal(0)
    expect(status(parseJson<ProvisionJson>(provision))).to.deep.equal({
      acme: 'skipped (WAITING_FOR_BOOTSTRAP)',
      'acme/bootstrap': 'applied',
      platform: 'applied',
    })
  })

  it('plans the client stack with its service gate closed while its secrets have no value, saying which and how', async () => {
    const plan = await run(['plan', 'acme', '--json'])
    expect(plan.exitCode, plan.stderr).to.equal(0)
    const acme = parseJson<PlanResult>(plan).clients.find((stack) => stack.id === 'acme')!
    expect(acme.status).to.equal('planned')
    expect(acme.service).to.deep.include({enabled: false})
    expect(acme.service!.waitingFor.map((wait) => wait.fix)).to.deep.equal([
      'provision acme (it creates the secret), then seiketsu secrets set acme elevenlabs',
      'provision acme (it creates the secret), then seiketsu secrets set acme twilio',
    ])
    const planned = (await readInvocations(logFile())).filter((call) => call.verb === 'plan' && call.stack === 'acme')
    expect(planned.at(-1)!.argv).to.include('-var=service_enabled=false')
    // Secrets Manager was asked whether they hold values (DescribeSecret), never for a value.
    expect(fake.callsOf('DescribeSecret').length).to.be.greaterThan(0)
    expect(fake.callsOf('GetSecretValue')).to.deep.equal([])
  })

  it("applies it, then sets up the app's database user with the one-off task, and records it", async () => {
    // What the apply made in the account: the cluster, the setup task and the private subnets.
    fake.ecs.addCluster(ACME, 'us-east-1', 'standin-output-database_setup-cluster')
    fake.ecs.addTaskDefinition({
      accountId: ACME,
      family: 'standin-output-database_setup-task_definition',
      region: 'us-east-1',
    })
    fake.ecs.addSubnets(
      ACME,
      'subnet-standin-output-database_setup-subnets-0',
      'subnet-standin-output-database_setup-subnets-1',
    )
    const provision = await run(['provision', 'acme', '--yes', '--json'])
    expect(provision.exitCode, provision.stdout + provision.stderr).to.equal(0)
    const acme = parseJson<ProvisionJson>(provision).clients.find((stack) => stack.id === 'acme')!
    expect(acme).to.deep.include({status: 'applied'})
    expect(acme.databaseUser).to.deep.include({exitCode: 0, status: 'succeeded'})
    const [runTask] = fake.callsOf('RunTask')
    expect(runTask!.body).to.deep.include({
      cluster: 'standin-output-database_setup-cluster',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          assignPublicIp: 'DISABLED',
          securityGroups: ['sg-standin-output-database_setup-security_groups-0'],
          subnets: ['subnet-standin-output-database_setup-subnets-0', 'subnet-standin-output-database_setup-subnets-1'],
        },
      },
      taskDefinition: 'standin-output-database_setup-task_definition',
    })
    const trail = (await readFile(workspacePaths(workspace.root).auditTrail, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(trail.at(-1)).to.deep.include({action: 'setup-database-user', client: 'acme'})
    expect(trail.at(-1).change).to.deep.include({exitCode: 0, status: 'succeeded'})
  })

  it('starts the service once the secrets hold values: the next plan opens the gate', async () => {
    for (const integration of ['elevenlabs', 'twilio'])
      fake.addSecret({accountId: ACME, name: `seiketsu/acme/${integration}`, region: 'us-east-1'})
    for (const integration of ['elevenlabs', 'twilio']) {
      const set = await run(['secrets', 'set', 'acme', integration, '--json'], `value-of-${integration}`)
      expect(set.exitCode, set.stderr).to.equal(0)
    }
    const plan = await run(['plan', 'acme', '--json'])
    expect(plan.exitCode, plan.stderr).to.equal(0)
    const acme = parseJson<PlanResult>(plan).clients.find((stack) => stack.id === 'acme')!
    expect(acme.service).to.deep.equal({client: 'acme', enabled: true, waitingFor: []})
    const planned = (await readInvocations(logFile())).filter((call) => call.verb === 'plan' && call.stack === 'acme')
    expect(planned.at(-1)!.argv).to.include('-var=service_enabled=true')
    // Nothing to set up again: the audit trail holds its successful setup, and the database stays.
    const runTasks = fake.callsOf('RunTask').length
    const provision = await run(['provision', 'acme', '--yes', '--json'])
    expect(provision.exitCode, provision.stderr).to.equal(0)
    const applied = parseJson<ProvisionJson>(provision).clients.find((stack) => stack.id === 'acme')!
    expect(applied.databaseUser).to.deep.equal({status: 'already-set-up'})
    expect(fake.callsOf('RunTask')).to.have.length(runTasks)
  })
})
