import {readFile} from 'node:fs/promises'

import {isSeiketsuError} from '../errors.ts'
import {
  DATABASE_SETUP_OUTPUT,
  parseDatabaseSetupOutput,
  recordDatabaseSetup,
  runDatabaseUserSetup,
  type DatabaseSetupStatus,
} from '../database/user-setup.ts'
import {readTrail} from '../registry/audit-trail.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {CLIENT_STACK_ADDRESSES} from '../stacks/addresses.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import type {PlanRecord} from './plan-files.ts'
import type {TerraformSession, TerraformStack} from './session.ts'

/** What `provision` did about a client's database user after applying its stack. */
export interface DatabaseUserStep {
  status: DatabaseSetupStatus | 'already-set-up'
  taskArn?: string | null
  exitCode?: number | null
  /** Why it failed (ECS's reason, or the AWS error). */
  reason?: string
  /** Where the task's log is. */
  log?: {group: string; stream?: string}
}

/** What the plan did that the database user's setup must follow: a new database, or a new setup task. */
const SETUP_TRIGGERS: readonly string[] = [CLIENT_STACK_ADDRESSES.database, CLIENT_STACK_ADDRESSES.databaseSetupTask]

/**
 * After a client stack's apply: creates the app's database user with the stack's one-off setup task
 * (the only thing that can reach the isolated database). It runs when the apply created or replaced
 * the database or the setup task, or when the audit trail holds no successful setup for the client
 * yet; the SQL is idempotent, so a rerun is harmless. Each run is recorded in the audit trail.
 * Undefined: the stack has no setup task (not a seiketsu client stack).
 */
export async function setUpDatabaseUser(
  workspace: Workspace,
  client: ClientManifest,
  stack: TerraformStack,
  session: TerraformSession,
  record: PlanRecord,
  log: {file: string; stdout: boolean},
): Promise<DatabaseUserStep | undefined> {
  const stackJson = JSON.parse(await readFile(stack.file, 'utf8')) as {output?: Record<string, unknown>}
  if (!stackJson.output?.[DATABASE_SETUP_OUTPUT]) return undefined
  const triggered = record.summary.changes.some(
    (change) => SETUP_TRIGGERS.includes(change.address) && ['create', 'replace'].includes(change.action),
  )
  if (!triggered && (await setUpBefore(workspace, client.id))) return {status: 'already-set-up'}
  try {
    // The outputs hold no secret, but stay out of the log all the same (like show -json).
    const outputs = await session.run(stack, ['output', '-json', '-no-color'], {...log, stdout: false})
    if (outputs.exitCode !== 0)
      return {reason: `terraform output -json failed (exit ${outputs.exitCode ?? outputs.signal})`, status: 'failed'}
    const setup = parseDatabaseSetupOutput(outputs.stdout, client.id)
    const result = await runDatabaseUserSetup(workspace, client, setup)
    await recordDatabaseSetup(workspace, result)
    return {
      exitCode: result.exitCode,
      ...(result.log ? {log: result.log} : {}),
      ...(result.status === 'succeeded' ? {} : {reason: result.stoppedReason ?? `the task ended ${result.lastStatus}`}),
      status: result.status,
      taskArn: result.taskArn,
    }
  } catch (error) {
    if (!isSeiketsuError(error)) throw error
    return {reason: error.message, status: 'failed'}
  }
}

/** Whether the audit trail records a successful setup of this client's database user. */
async function setUpBefore(workspace: Workspace, clientId: string): Promise<boolean> {
  const lines = await readTrail(workspacePaths(workspace.root).auditTrail)
  return lines.some((line) => {
    try {
      const record = JSON.parse(line) as {action?: string; client?: string; change?: {status?: string}}
      return (
        record.action === 'setup-database-user' && record.client === clientId && record.change?.status === 'succeeded'
      )
    } catch {
      return false
    }
  })
}
