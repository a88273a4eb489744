import {expect} from 'chai'

import {
  databaseSetupAuditEvent,
  parseDatabaseSetupOutput,
  recordDatabaseSetup,
  runDatabaseUserSetup,
  type DatabaseSetupOptions,
  type DatabaseSetupOutput,
  type SetupClock,
} from '../../src/database/user-setup.ts'
import {SeiketsuError} from '../../src/errors.ts'
import {readTrail, verifyTrail} from '../../src/registry/audit-trail.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import type {FakeTaskOutcome} from '../helpers/aws/ecs.ts'
import {useFakeAwsEnvironment} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {awsJsonError, signedBy} from '../helpers/aws/protocol.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'

/** The stack output as `terraform output -json` prints it. */
const terraformOutputs = (overrides: Record<string, unknown> = {}) => ({
  database_setup: {
    sensitive: false,
    type: ['object', {}],
    value: {
      cluster: 'seiketsu-acme',
      container: 'db-setup',
      log_group: '/seiketsu/acme/db-setup',
      log_stream_prefix: 'db-setup',
      region: 'us-east-1',
      security_groups: ['sg-0123456789abcdef0'],
      subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
      task_definition: 'seiketsu-acme-db-setup',
      ...overrides,
    },
  },
  vpc_id: {sensitive: false, type: 'string', value: 'vpc-1'},
})

/** Time that passes only when the runner sleeps: no test waits for real. */
function fakeClock(): SetupClock & {slept: number[]} {
  let now = 1_000_000
  const slept: number[] = []
  return {
    now: () => now,
    async sleep(ms) {
      slept.push(ms)
      now += ms
    },
    slept,
  }
}

describe('database user setup', () => {
  describe('parseDatabaseSetupOutput', () => {
    it('reads terraform output -json, the output alone, and one output record', () => {
      const expected: DatabaseSetupOutput = {
        cluster: 'seiketsu-acme',
        container: 'db-setup',
        logGroup: '/seiketsu/acme/db-setup',
        logStreamPrefix: 'db-setup',
        region: 'us-east-1',
        securityGroups: ['sg-0123456789abcdef0'],
        subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        taskDefinition: 'seiketsu-acme-db-setup',
      }
      const all = terraformOutputs()
      expect(parseDatabaseSetupOutput(JSON.stringify(all))).to.deep.equal(expected)
      expect(parseDatabaseSetupOutput(all.database_setup)).to.deep.equal(expected)
      expect(parseDatabaseSetupOutput(all.database_setup.value)).to.deep.equal(expected)
      const {log_group: _group, log_stream_prefix: _prefix, ...required} = all.database_setup.value
      expect(parseDatabaseSetupOutput(required)).to.not.have.any.keys('logGroup', 'logStreamPrefix')
    })

    const failure = (input: unknown) => {
      try {
        parseDatabaseSetupOutput(input, 'acme')
      } catch (error) {
        return error as SeiketsuError
      }
      return expect.fail('should have failed')
    }

    it('names the missing or malformed field (exit 2) and the fix', () => {
      const {subnets: _subnets, ...noSubnets} = terraformOutputs().database_setup.value
      const missing = failure({database_setup: {sensitive: false, type: 'object', value: noSubnets}})
      expect([missing.exitCode, missing.code]).to.deep.equal([2, 'INVALID_STACK_OUTPUT'])
      expect(missing.message).to.contain(
        'database_setup.subnets: expected a non-empty list of ids (subnet-…), found nothing',
      )
      expect(missing.details).to.deep.include({field: 'subnets'})
      expect(missing.suggestions[0]).to.contain('seiketsu plan acme && seiketsu provision acme')
      const cases: [Record<string, unknown>, string][] = [
        [{security_groups: []}, 'database_setup.security_groups: expected a non-empty list of ids (sg-…), found []'],
        [{task_definition: ''}, 'database_setup.task_definition: expected a non-empty string'],
        [{region: 'Virginia'}, 'database_setup.region: expected an AWS region such as us-east-1, found "Virginia"'],
        [{container: 7}, 'database_setup.container: expected a non-empty string, found 7'],
      ]
      for (const [override, message] of cases)
        expect(failure(terraformOutputs(override)).message, message).to.contain(message)
    })

    it('a stack without the output, and output that is not JSON', () => {
      const older = failure({vpc_id: {sensitive: false, type: 'string', value: 'vpc-1'}})
      expect(older.message).to.contain('the stack has no output database_setup (it has vpc_id)')
      expect(failure({}).message).to.contain('the stack has no output database_setup: it was synthesized before')
      expect(failure('{"database_setup": ').message).to.contain('is not JSON')
    })
  })

  describe('runDatabaseUserSetup against loopback ECS', () => {
    let fake: FakeAws
    let restoreEnv: () => void
    let workspace: Workspace
    let setup: DatabaseSetupOutput

    beforeEach(async () => {
      restoreEnv = useFakeAwsEnvironment()
      fake = await FakeAws.start()
      fake.ecs.addCluster(ACME, 'us-east-1', 'seiketsu-acme')
      fake.ecs.addSubnets(ACME, 'subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2')
      workspace = await makeWorkspace({clients: [draftClient('acme', {accountId: ACME}), draftClient('newco')]})
      setup = parseDatabaseSetupOutput(terraformOutputs())
    })

    afterEach(async () => {
      await fake.close()
      restoreEnv()
    })

    const definition = (outcome: FakeTaskOutcome) =>
      fake.ecs.addTaskDefinition({accountId: ACME, family: 'seiketsu-acme-db-setup', outcome, region: 'us-east-1'})
    const run = async (options: DatabaseSetupOptions = {}, id = 'acme', output = setup) =>
      runDatabaseUserSetup(workspace, (await loadRegistry(workspace)).get(id), output, {
        awsOptions: {endpointUrl: fake.url, maxAttempts: 2},
        clock: fakeClock(),
        ...options,
      })
    const rejection = (promise: Promise<unknown>) =>
      promise.then(
        () => expect.fail('should have failed'),
        (error: SeiketsuError) => error,
      )

    it('runs the task on Fargate in the private subnets, no public IP, and polls until it stopped with exit 0', async () => {
      const taskDefinition = definition({exitCode: 0})
      const clock = fakeClock()
      const result = await run({clock})
      const [runTask] = fake.callsOf('RunTask')
      expect(runTask!.body).to.deep.include({
        cluster: 'seiketsu-acme',
        count: 1,
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: {
            assignPublicIp: 'DISABLED',
            securityGroups: ['sg-0123456789abcdef0'],
            subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
          },
        },
        startedBy: 'seiketsu',
        taskDefinition: 'seiketsu-acme-db-setup',
      })
      expect(String(runTask!.body.clientToken)).to.match(/^[\da-f-]{36}$/)
      expect(String(runTask!.headers['x-amz-target'])).to.equal('AmazonEC2ContainerServiceV20141113.RunTask')
      // In the client's account, through its provisioner role, in the output's region.
      for (const call of [...fake.callsOf('RunTask'), ...fake.callsOf('DescribeTasks')])
        expect(signedBy(call)).to.deep.include({accessKeyId: `ASIA${ACME}FAKE`, region: 'us-east-1', service: 'ecs'})
      expect(fake.assumed.map((role) => role.sessionName)).to.deep.equal(['seiketsu-db-setup-acme'])

      const [task] = fake.ecs.tasks
      expect(task!.definition).to.equal(taskDefinition)
      // PROVISIONING → PENDING → RUNNING → STOPPED: three DescribeTasks, one interval apart.
      expect(fake.callsOf('DescribeTasks').map((call) => call.body)).to.deep.equal(
        Array.from({length: 3}, () => ({cluster: 'seiketsu-acme', tasks: [task!.taskArn]})),
      )
      expect(clock.slept).to.deep.equal([6000, 6000, 6000])
      expect(result).to.deep.equal({
        client: 'acme',
        cluster: 'seiketsu-acme',
        durationMs: 18_000,
        exitCode: 0,
        lastStatus: 'STOPPED',
        log: {group: '/seiketsu/acme/db-setup', stream: `db-setup/db-setup/${task!.taskArn.split('/').pop()}`},
        region: 'us-east-1',
        status: 'succeeded',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        taskArn: task!.taskArn,
        taskDefinition: 'seiketsu-acme-db-setup',
      })
    })

    it('a container that exits non-zero, and a task that cannot start, are failed with ECS reason', async () => {
      definition({exitCode: 3})
      const exited = await run()
      expect(exited).to.deep.include({exitCode: 3, status: 'failed', stopCode: 'EssentialContainerExited'})

      const reason =
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111111111111.dkr.ecr.us-east-1.amazonaws.com/seiketsu/db-setup:stable: not found'
      definition({failToStart: reason})
      const notStarted = await run()
      expect(notStarted).to.deep.include({
        exitCode: null,
        status: 'failed',
        stopCode: 'TaskFailedToStart',
        stoppedReason: reason,
      })

      definition({failToStart: 'ResourceInitializationError: unable to pull secrets or registry auth: AccessDenied'})
      expect((await run()).stoppedReason).to.match(/^ResourceInitializationError: /)

      // An output naming another container cannot tell success: failed, saying why.
      definition({exitCode: 0})
      const wrong = await run({}, 'acme', {...setup, container: 'migrate'})
      expect(wrong).to.deep.include({exitCode: null, status: 'failed'})
      expect(wrong.stoppedReason).to.equal(
        'the task has no container migrate (it has db-setup): check database_setup.container',
      )
    })

    it('times out after the bound without waiting for real, and leaves the task running', async () => {
      definition({neverStops: true})
      const clock = fakeClock()
      const result = await run({clock, pollIntervalMs: 5000, timeoutMs: 60_000})
      expect(result).to.deep.include({
        durationMs: 60_000,
        exitCode: null,
        lastStatus: 'RUNNING',
        status: 'timed-out',
      })
      expect(clock.slept.reduce((total, ms) => total + ms, 0)).to.equal(60_000)
      expect(fake.callsOf('DescribeTasks')).to.have.length(12)
      expect(result.taskArn).to.equal(fake.ecs.tasks[0]!.taskArn)
    })

    it('RunTask failures (no task placed) are a failed result; no DescribeTasks', async () => {
      definition({exitCode: 0})
      fake.ecs.runFailures.push({
        reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone',
      })
      const result = await run()
      expect(result).to.deep.include({exitCode: null, status: 'failed', taskArn: null})
      expect(result.stoppedReason).to.equal(
        'RunTask: Capacity is unavailable at this time. Please try again later or in a different availability zone',
      )
      expect(fake.callsOf('DescribeTasks')).to.have.length(0)
    })

    it('ECS refusing the input is exit 4 with the service message', async () => {
      const noDefinition = await rejection(run())
      expect(noDefinition.exitCode).to.equal(4)
      expect(noDefinition.message).to.contain(
        'ECS RunTask failed (client acme, us-east-1): ClientException: TaskDefinition not found.',
      )

      definition({exitCode: 0})
      const badSubnet = await rejection(run({}, 'acme', {...setup, subnets: ['subnet-0bbbbbbbbbbbbbbb9']}))
      expect(badSubnet.message).to.contain("The subnet ID 'subnet-0bbbbbbbbbbbbbbb9' does not exist")
      const noCluster = await rejection(run({}, 'acme', {...setup, cluster: 'elsewhere'}))
      expect(noCluster.message).to.contain('ClusterNotFoundException')
    })

    it('throttling is retried within the attempts; past them exit 4 naming the task that was started', async () => {
      definition({exitCode: 0})
      fake.fail('ecs:DescribeTasks', awsJsonError('ThrottlingException', 'Rate exceeded'))
      expect((await run()).status).to.equal('succeeded')

      fake.fail(
        'ecs:DescribeTasks',
        awsJsonError('ThrottlingException', 'Rate exceeded'),
        awsJsonError('ThrottlingException', 'Rate exceeded'),
      )
      const error = await rejection(run())
      expect(error.exitCode).to.equal(4)
      expect(error.message).to.contain('DescribeTasks failed').and.contain('ThrottlingException: Rate exceeded')
      expect(error.message).to.contain('was started and may still be running')
      expect((error.details as {taskArn: string}).taskArn).to.equal(fake.ecs.tasks.at(-1)!.taskArn)
    })

    it('a task DescribeTasks does not see yet (MISSING) is looked for again, a few times only', async () => {
      definition({exitCode: 0})
      fake.ecs.invisibleDescribes = 3
      expect((await run()).status).to.equal('succeeded')
      expect(fake.callsOf('DescribeTasks')).to.have.length(3 + 3)

      fake.ecs.invisibleDescribes = 4
      const error = await rejection(run())
      expect([error.exitCode, error.code]).to.deep.equal([4, 'ECS_TASK_MISSING'])
      expect(error.message).to.contain('does not know task').and.contain('MISSING')
    })

    it('a client without an account is exit 2 with no AWS call; an abort stops the waiting (exit 130)', async () => {
      const noAccount = await rejection(run({}, 'newco'))
      expect([noAccount.exitCode, noAccount.code]).to.deep.equal([2, 'NO_ACCOUNT'])
      expect(fake.calls).to.have.length(0)

      definition({neverStops: true})
      const controller = new AbortController()
      const clock = fakeClock()
      const interrupted = await rejection(
        run({
          clock: {
            now: clock.now,
            async sleep(ms) {
              await clock.sleep(ms)
              if (clock.slept.length === 2) controller.abort()
            },
          },
          signal: controller.signal,
        }),
      )
      expect(interrupted.exitCode).to.equal(130)
      expect(fake.callsOf('DescribeTasks')).to.have.length(1)
    })

    it('the audit-trail record says what ran and how it ended, never a credential', async () => {
      definition({failToStart: 'ResourceInitializationError: secret AKIAIOSFODNN7EXAMPLE could not be read'})
      const result = await run()
      const event = databaseSetupAuditEvent(result)
      expect(event).to.deep.include({action: 'setup-database-user', client: 'acme'})
      expect(event.change).to.deep.include({
        exitCode: null,
        status: 'failed',
        stoppedReason: 'ResourceInitializationError: secret [redacted] could not be read',
        taskArn: result.taskArn,
        taskDefinition: 'seiketsu-acme-db-setup',
      })
      await recordDatabaseSetup(workspace, result, {command: 'seiketsu provision'})
      const lines = await readTrail(workspacePaths(workspace.root).auditTrail)
      expect(verifyTrail(lines).ok).to.equal(true)
      const last = JSON.parse(lines.at(-1)!) as {action: string; command: string}
      expect([last.action, last.command]).to.deep.equal(['setup-database-user', 'seiketsu provision'])
      expect(lines.join('\n')).to.not.contain('AKIAIOSFODNN7EXAMPLE')
    })
  })
})
