import {randomUUID} from 'node:crypto'

import {ExitCode, SeiketsuError, isSeiketsuError, usageError} from '../errors.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {SECRET_VALUE_PATTERNS} from '../secret-patterns.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents, type KeyEvent} from '../keys/audit.ts'
import {awsCall, noAccountError, type AwsCallContext} from '../aws/errors.ts'
import {withAwsSession, type KeyOperationOptions} from '../keys/signing-keys.ts'

/**
 * The database user setup: the client stack defines a one-off ECS Fargate task ("db-setup") in the
 * private subnets whose execution role alone reads the RDS-managed master secret, and whose
 * container runs idempotent SQL (the `app` role with rds_iam, its grants). This module starts that
 * task through the provisioner role of the client's account (ECS RunTask), waits for it to stop
 * (DescribeTasks, bounded by a timeout) and returns what happened. It never sees a credential: the
 * task gets the master secret from ECS, and nothing here reads a secret.
 */

/** The client stack's `database_setup` output, as seiketsu uses it. */
export interface DatabaseSetupOutput {
  /** ECS cluster name or ARN. */
  cluster: string
  /** Task definition: `family:revision` or its ARN. */
  taskDefinition: string
  /** Private subnets the task runs in (no public IP). */
  subnets: string[]
  securityGroups: string[]
  /** Region of the cluster (the client's). */
  region: string
  /** The container whose exit code decides success. */
  container: string
  /** Optional: the awslogs group and stream prefix, so a failure can say where its log is. */
  logGroup?: string
  logStreamPrefix?: string
}

/** The terraform output's name and the fields it holds (terraform's snake_case names). */
export const DATABASE_SETUP_OUTPUT = 'database_setup'
const FIELDS = {
  cluster: 'cluster',
  container: 'container',
  logGroup: 'log_group',
  logStreamPrefix: 'log_stream_prefix',
  region: 'region',
  securityGroups: 'security_groups',
  subnets: 'subnets',
  taskDefinition: 'task_definition',
} as const satisfies Record<keyof DatabaseSetupOutput, string>

/**
 * The `database_setup` output from `terraform output -json` (every output: `{database_setup:
 * {value, type, sensitive}}`), from `terraform output -json database_setup` (the value alone), or
 * from one output record (`{value, type}`); JSON text or parsed. Anything missing or malformed is
 * exit 2 naming the field; the fix is to synthesize and apply the client stack again.
 */
export function parseDatabaseSetupOutput(terraformOutputJson: unknown, clientId?: string): DatabaseSetupOutput {
  let document = terraformOutputJson
  if (typeof document === 'string') {
    try {
      document = JSON.parse(document) as unknown
    } catch {
      throw outputError('the terraform output is not JSON (expected what terraform output -json prints)', clientId)
    }
  }
  if (!isRecord(document))
    throw outputError(`the terraform output is not an object (found ${describe(document)})`, clientId)
  let value: unknown = document
  if (DATABASE_SETUP_OUTPUT in document) value = unwrap(document[DATABASE_SETUP_OUTPUT])
  else if (isOutputRecord(document)) value = document.value
  // Every output of a stack without database_setup ({} when it has none).
  else if (Object.values(document).every(isOutputRecord))
    throw outputError(
      `the stack has no output ${DATABASE_SETUP_OUTPUT}${Object.keys(document).length > 0 ? ` (it has ${Object.keys(document).sort().join(', ')})` : ''}: it was synthesized before seiketsu set up database users`,
      clientId,
      DATABASE_SETUP_OUTPUT,
    )
  if (!isRecord(value))
    throw outputError(
      `${DATABASE_SETUP_OUTPUT}: expected an object, found ${describe(value)}`,
      clientId,
      DATABASE_SETUP_OUTPUT,
    )
  const record = value
  const text = (key: keyof typeof FIELDS, pattern?: RegExp, hint?: string): string => {
    const found = record[FIELDS[key]]
    if (typeof found !== 'string' || found.trim() === '' || (pattern && !pattern.test(found)))
      throw outputError(
        `${DATABASE_SETUP_OUTPUT}.${FIELDS[key]}: expected ${hint ?? 'a non-empty string'}, found ${describe(found)}`,
        clientId,
        FIELDS[key],
      )
    return found
  }
  const list = (key: 'subnets' | 'securityGroups', prefix: string): string[] => {
    const found = record[FIELDS[key]]
    if (
      !Array.isArray(found) ||
      found.length === 0 ||
      !found.every((item) => typeof item === 'string' && item.startsWith(prefix))
    )
      throw outputError(
        `${DATABASE_SETUP_OUTPUT}.${FIELDS[key]}: expected a non-empty list of ids (${prefix}…), found ${describe(found)}`,
        clientId,
        FIELDS[key],
      )
    return found as string[]
  }
  const optional = (key: 'logGroup' | 'logStreamPrefix') =>
    record[FIELDS[key]] === undefined || record[FIELDS[key]] === null ? undefined : text(key)
  const logGroup = optional('logGroup')
  const logStreamPrefix = optional('logStreamPrefix')
  return {
    cluster: text('cluster'),
    container: text('container'),
    region: text('region', /^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1'),
    securityGroups: list('securityGroups', 'sg-'),
    subnets: list('subnets', 'subnet-'),
    taskDefinition: text('taskDefinition'),
    ...(logGroup ? {logGroup} : {}),
    ...(logStreamPrefix ? {logStreamPrefix} : {}),
  }
}

function unwrap(output: unknown): unknown {
  return isOutputRecord(output) ? output.value : output
}

/** One output as terraform output -json prints it: {sensitive, type, value}. */
function isOutputRecord(value: unknown): value is {value: unknown; type: unknown} {
  return isRecord(value) && 'value' in value && 'type' in value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function outputError(reason: string, clientId = 'CLIENT', field?: string): SeiketsuError {
  return usageError(`Cannot set up the database user: ${reason}`, {
    code: 'INVALID_STACK_OUTPUT',
    details: {field, output: DATABASE_SETUP_OUTPUT},
    suggestions: [
      `Synthesize and apply the client stack again (seiketsu plan ${clientId} && seiketsu provision ${clientId}); terraform output -json ${DATABASE_SETUP_OUTPUT} shows what it holds.`,
    ],
  })
}

export type DatabaseSetupStatus = 'succeeded' | 'failed' | 'timed-out'

export interface DatabaseSetupResult {
  client: string
  /** `succeeded`: the container exited 0; `failed`: it exited otherwise, or the task never started; `timed-out`: still not stopped. */
  status: DatabaseSetupStatus
  /** The container's exit code (null when it never ran, or the task had not stopped). */
  exitCode: number | null
  /** ECS's reason (e.g. `CannotPullContainerError: …`, `Essential container in task exited`, a RunTask failure). */
  stoppedReason: string | null
  /** ECS's stopCode (`TaskFailedToStart`, `EssentialContainerExited`…). */
  stopCode: string | null
  /** Null when ECS could not start a task at all (RunTask failures). */
  taskArn: string | null
  /** The task's last status seen (STOPPED, or where it was at the time-out). */
  lastStatus: string | null
  /** From RunTask to the last DescribeTasks. */
  durationMs: number
  cluster: string
  taskDefinition: string
  region: string
  /** Where the container's log is, when the output names the awslogs group. */
  log?: {group: string; stream?: string}
}

/** A clock the tests can drive: `now()` in milliseconds, `sleep(ms)`. */
export interface SetupClock {
  now(): number
  sleep(ms: number): Promise<void>
}

export interface DatabaseSetupOptions extends KeyOperationOptions {
  /** How long to wait for the task to stop (default 10 minutes). */
  timeoutMs?: number
  /** Between two DescribeTasks (default 6 s, as the AWS CLI's tasks-stopped waiter). */
  pollIntervalMs?: number
  clock?: SetupClock
  /** Stops the waiting (exit 130); the task itself keeps running in ECS. */
  signal?: AbortSignal
}

export const DEFAULT_SETUP_TIMEOUT_MS = 10 * 60_000
export const DEFAULT_POLL_INTERVAL_MS = 6000
/** DescribeTasks right after RunTask may not see the task yet (eventual consistency): so many MISSING answers are tolerated. */
const MISSING_TOLERANCE = 3

const systemClock: SetupClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

/**
 * Runs the client's db-setup task once and waits for it (RunTask FARGATE in the output's private
 * subnets and security groups, no public IP, `startedBy: seiketsu`; DescribeTasks until STOPPED or
 * the timeout). ECS exceptions (bad cluster or task definition, access denied, throttling past the
 * attempts) are exit 4; a task that could not be placed or started, or whose container exited
 * non-zero, is `failed` with ECS's reason; one still running at the timeout is `timed-out` (it is
 * left running: the SQL is idempotent, and stopping it needs ecs:StopTask).
 */
export async function runDatabaseUserSetup(
  workspace: Workspace,
  client: ClientManifest,
  setup: DatabaseSetupOutput,
  options: DatabaseSetupOptions = {},
): Promise<DatabaseSetupResult> {
  if (!client.accountId) throw noAccountError(client.id, 'its database does not exist')
  const clock = options.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const sdk = await import('@aws-sdk/client-ecs')
  return withAwsSession(workspace, options, 'db-setup', async (session) => {
    const ecs = await session().client('ecs', client, setup.region)
    const context = (operation: string): AwsCallContext => ({
      client: client.id,
      operation,
      region: setup.region,
      service: 'ECS',
    })
    const started = clock.now()
    const base = {
      client: client.id,
      cluster: setup.cluster,
      region: setup.region,
      taskDefinition: setup.taskDefinition,
    }
    const run = await awsCall(context('RunTask'), () =>
      ecs.send(
        new sdk.RunTaskCommand({
          // The same token on an SDK retry returns the first task instead of starting a second.
          clientToken: randomUUID(),
          cluster: setup.cluster,
          count: 1,
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: {
              assignPublicIp: 'DISABLED',
              securityGroups: setup.securityGroups,
              subnets: setup.subnets,
            },
          },
          startedBy: 'seiketsu',
          taskDefinition: setup.taskDefinition,
        }),
      ),
    )
    const taskArn = run.tasks?.[0]?.taskArn
    if (!taskArn) {
      const failure = run.failures?.[0]
      return {
        ...base,
        durationMs: clock.now() - started,
        exitCode: null,
        lastStatus: null,
        status: 'failed',
        stopCode: null,
        stoppedReason: failure
          ? `RunTask: ${[failure.reason, failure.detail].filter(Boolean).join(': ') || 'no reason given'}`
          : 'RunTask started no task and gave no reason',
        taskArn: null,
      }
    }
    const log = logLocation(setup, taskArn)
    const deadline = started + timeoutMs
    let lastStatus: string | null = run.tasks?.[0]?.lastStatus ?? null
    let missing = 0
    for (;;) {
      const left = deadline - clock.now()
      if (left <= 0)
        return {
          ...base,
          durationMs: clock.now() - started,
          exitCode: null,
          lastStatus,
          status: 'timed-out',
          stopCode: null,
          stoppedReason: null,
          taskArn,
          ...(log ? {log} : {}),
        }
      interrupted(options.signal, taskArn)
      await clock.sleep(Math.min(interval, left))
      interrupted(options.signal, taskArn)
      const described = await awsCall(context('DescribeTasks'), () =>
        ecs.send(new sdk.DescribeTasksCommand({cluster: setup.cluster, tasks: [taskArn]})),
      ).catch((error: unknown) => {
        throw stillRunning(error, taskArn)
      })
      const task = described.tasks?.find((candidate) => candidate.taskArn === taskArn)
      if (!task) {
        const failure = described.failures?.[0]
        if (++missing > MISSING_TOLERANCE)
          throw new SeiketsuError(
            `ECS DescribeTasks (client ${client.id}, ${setup.region}) does not know task ${taskArn}: ${failure?.reason ?? 'no task returned'}`,
            ExitCode.External,
            {code: 'ECS_TASK_MISSING', details: {failure, taskArn}},
          )
        continue
      }
      missing = 0
      lastStatus = task.lastStatus ?? lastStatus
      if (task.lastStatus !== 'STOPPED') continue
      const container = task.containers?.find((candidate) => candidate.name === setup.container)
      const exitCode = container?.exitCode ?? null
      return {
        ...base,
        durationMs: clock.now() - started,
        exitCode,
        lastStatus,
        status: exitCode === 0 ? 'succeeded' : 'failed',
        stopCode: task.stopCode ?? null,
        stoppedReason: container
          ? (task.stoppedReason ?? container.reason ?? null)
          : `the task has no container ${setup.container} (it has ${(task.containers ?? []).map((c) => c.name).join(', ') || 'none'}): check database_setup.container`,
        taskArn,
        ...(log ? {log} : {}),
      }
    }
  })
}

function logLocation(setup: DatabaseSetupOutput, taskArn: string): DatabaseSetupResult['log'] {
  if (!setup.logGroup) return undefined
  // awslogs names a stream prefix/container/task-id.
  const taskId = taskArn.split('/').pop()
  return {
    group: setup.logGroup,
    ...(setup.logStreamPrefix ? {stream: `${setup.logStreamPrefix}/${setup.container}/${taskId}`} : {}),
  }
}

function interrupted(signal: AbortSignal | undefined, taskArn: string): void {
  if (signal?.aborted)
    throw new SeiketsuError(
      `Interrupted while waiting for the database setup task ${taskArn}; the task keeps running in ECS`,
      ExitCode.Interrupted,
      {details: {taskArn}},
    )
}

/** A DescribeTasks failure (exit 4) that says the task was started and may still run. */
function stillRunning(error: unknown, taskArn: string): SeiketsuError {
  if (!isSeiketsuError(error)) return error as SeiketsuError
  return new SeiketsuError(`${error.message} (task ${taskArn} was started and may still be running)`, error.exitCode, {
    cause: error,
    code: error.code,
    details: {...(error.details as Record<string, unknown> | undefined), taskArn},
    suggestions: error.suggestions,
  })
}

/** At most this much of ECS's reason goes into the audit trail. */
const MAX_REASON = 500

/** ECS's reason with anything shaped like a credential replaced, cut to a bounded length. */
function screenedReason(reason: string | null): string | null {
  if (reason === null) return null
  let screened = reason
  for (const {pattern} of SECRET_VALUE_PATTERNS)
    screened = screened.replaceAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`), '[redacted]')
  return screened.length > MAX_REASON ? `${screened.slice(0, MAX_REASON - 3)}...` : screened
}

/** The audit-trail record of a database setup run: what ran and how it ended, never a secret. */
export function databaseSetupAuditEvent(result: DatabaseSetupResult): KeyEvent {
  return {
    action: 'setup-database-user',
    change: {
      cluster: result.cluster,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      region: result.region,
      status: result.status,
      stopCode: result.stopCode,
      stoppedReason: screenedReason(result.stoppedReason),
      taskArn: result.taskArn,
      taskDefinition: result.taskDefinition,
    },
    client: result.client,
  }
}

/** Appends that record to the workspace's audit trail (takes the registry lock: call it outside). */
export async function recordDatabaseSetup(
  workspace: Workspace,
  result: DatabaseSetupResult,
  options: {command?: string; now?: Date} = {},
): Promise<void> {
  await recordKeyEvents(
    workspace,
    [databaseSetupAuditEvent(result)],
    options.command ?? 'seiketsu provision',
    options.now,
  )
}
