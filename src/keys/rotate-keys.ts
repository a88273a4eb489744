import type {ListrTask} from 'listr2'

import {ExitCode, isSeiketsuError, SeiketsuError} from '../errors.ts'
import type {ClientManifest, IntegrationName} from '../registry/manifest.ts'
import {runTasks} from '../ui/tasks.ts'
import type {Workspace} from '../workspace/workspace.ts'
import type {AwsOptions} from '../aws/clients.ts'
import {AwsSession} from '../aws/session.ts'
import {rotateDbMasterSecret} from './db-rotation.ts'
import {describeSecretAge, putSecretValue, secretIntegrationsOf} from './integration-secrets.ts'
import {rotateClientKmsKeys} from './kms-rotation.ts'
import {loadRbac} from './rbac.ts'
import {rotateSigningKeys} from './signing-keys.ts'

export const ROTATION_KINDS = ['jwt', 'kms', 'secrets', 'db'] as const
export type RotationKind = (typeof ROTATION_KINDS)[number]

export type RotationStatus = 'rotated' | 'created' | 'unchanged' | 'planned' | 'waiting' | 'skipped' | 'failed'

/** What happened to one kind of key of one client. */
export interface RotationOutcome {
  client: string
  kind: RotationKind
  status: RotationStatus
  /** One line for the summary table. */
  summary: string
  details?: unknown
  error?: {code: string; exitCode: number; message: string}
}

export interface RotateKeysRequest {
  clients: readonly ClientManifest[]
  kinds: readonly RotationKind[]
  dryRun: boolean
  /** --now: KMS on-demand rotation, and promote a next JWT key that verifiers may not have cached yet. */
  now: boolean
  /** New integration secret values keyed `<client>/<integration>` (asked for on a terminal). */
  secretValues?: ReadonlyMap<string, string>
  json: boolean
  aws: AwsOptions
  clock?: Date
}

export interface RotateKeysResult {
  dryRun: boolean
  results: RotationOutcome[]
  counts: Record<RotationStatus, number>
}

/** The kinds --kind names: `all` is every kind. */
export function rotationKinds(kinds: readonly string[]): RotationKind[] {
  return kinds.includes('all') ? [...ROTATION_KINDS] : ROTATION_KINDS.filter((kind) => kinds.includes(kind))
}

export function secretValueKey(client: string, integration: IntegrationName): string {
  return `${client}/${integration}`
}

/**
 * Rotates the chosen kinds of keys of every chosen client: a listr2 list per client and kind, the
 * clients a few at a time, every kind of every client attempted even when one fails (a failure is
 * an outcome, not the end of the run). Each rotation records itself in the audit trail.
 */
export async function rotateKeys(workspace: Workspace, request: RotateKeysRequest): Promise<RotateKeysResult> {
  const session = new AwsSession(request.aws, workspace.config.region, 'rotate-keys')
  const rbac = await loadRbac()
  const outcomes: RotationOutcome[] = []
  const run = (client: ClientManifest, kind: RotationKind) =>
    rotateOne(workspace, client, kind, {...request, rbac, session}).catch((error: unknown) =>
      failed(client, kind, error),
    )
  const tasks: ListrTask<object>[] = request.clients.map((client) => ({
    task: (_ctx, parent) =>
      parent.newListr(
        request.kinds.map((kind) => ({
          task: async (_ctx2, task) => {
            const outcome = await run(client, kind)
            outcomes.push(outcome)
            task.title = `${kind}: ${outcome.summary}`
            if (outcome.status === 'skipped') task.skip(`${kind}: ${outcome.summary}`)
            if (outcome.status === 'failed') throw new Error(`${kind}: ${outcome.error!.message}`)
          },
          title: kind,
        })),
        {concurrent: false, exitOnError: false},
      ),
    title: client.id,
  }))
  try {
    await runTasks(tasks, {concurrent: 4, exitOnError: false, json: request.json})
  } finally {
    await session.close()
  }
  const order = (outcome: RotationOutcome) =>
    request.clients.findIndex((client) => client.id === outcome.client) * 10 + ROTATION_KINDS.indexOf(outcome.kind)
  outcomes.sort((a, b) => order(a) - order(b))
  const counts = Object.fromEntries(
    (['rotated', 'created', 'unchanged', 'planned', 'waiting', 'skipped', 'failed'] as const).map((status) => [
      status,
      outcomes.filter((outcome) => outcome.status === status).length,
    ]),
  ) as Record<RotationStatus, number>
  return {counts, dryRun: request.dryRun, results: outcomes}
}

/** The error a run with failures ends with: exit 4 when AWS failed, else the first failure's code. */
export function rotationFailure(result: RotateKeysResult): SeiketsuError | undefined {
  const failures = result.results.filter((outcome) => outcome.status === 'failed')
  if (failures.length === 0) return undefined
  const exitCode = failures.some((outcome) => outcome.error?.exitCode === ExitCode.External)
    ? ExitCode.External
    : ((failures[0]!.error?.exitCode ?? ExitCode.Failure) as SeiketsuError['exitCode'])
  return new SeiketsuError(
    [
      `${failures.length} of ${result.results.length} rotations failed:`,
      ...failures.map((outcome) => `  - ${outcome.client} ${outcome.kind}: ${outcome.error?.message}`),
    ].join('\n'),
    exitCode,
    {code: 'ROTATION_FAILED', details: result},
  )
}

function failed(client: ClientManifest, kind: RotationKind, error: unknown): RotationOutcome {
  const normalized = isSeiketsuError(error)
    ? {code: error.code, exitCode: error.exitCode, message: error.message}
    : {code: 'FAILURE', exitCode: ExitCode.Failure, message: (error as Error).message}
  return {client: client.id, error: normalized, kind, status: 'failed', summary: normalized.message.split('\n')[0]!}
}

const NO_ACCOUNT = 'skipped: no AWS account yet (accountId is null)'

async function rotateOne(
  workspace: Workspace,
  client: ClientManifest,
  kind: RotationKind,
  context: RotateKeysRequest & {rbac: Awaited<ReturnType<typeof loadRbac>>; session: AwsSession},
): Promise<RotationOutcome> {
  const base = {client: client.id, kind}
  const needsAccount = kind !== 'jwt' || workspace.config.keys.store === 'aws'
  if (needsAccount && !client.accountId) return {...base, status: 'skipped', summary: NO_ACCOUNT}
  const common = {command: 'seiketsu rotate-keys', dryRun: context.dryRun, now: context.clock}
  switch (kind) {
    case 'jwt': {
      const result = await rotateSigningKeys(workspace, client, {
        ...common,
        aws: context.session,
        force: context.now,
        rbac: context.rbac,
      })
      const summary =
        result.status === 'waiting'
          ? `waiting until ${result.plan.waitUntil}: ${result.plan.reason} (--now promotes it anyway)`
          : result.plan.action === 'create'
            ? `${result.status === 'planned' ? 'would create' : 'created'} current ${result.after.current ?? 'key'} and next key`
            : `${result.status === 'planned' ? 'would promote' : 'promoted'} ${result.plan.promote ?? 'a new key'}; ${result.plan.retire ?? 'no key'} retiring until ${result.plan.removeAfter ?? '-'}${result.plan.remove.length > 0 ? `; removed ${result.plan.remove.join(', ')}` : ''}`
      return {...base, details: result, status: result.status, summary}
    }
    case 'kms': {
      const result = await rotateClientKmsKeys(workspace, client, context.session, {...common, onDemand: context.now})
      const summary = result.keys
        .map(
          (key) =>
            `${key.alias}: ${key.actions.length > 0 ? `${context.dryRun ? 'would ' : ''}${key.actions.join(' + ')}` : 'rotation on'}${key.nextRotationDate ? `, next ${key.nextRotationDate.slice(0, 10)}` : ''}${key.skipped ? ` (${key.skipped})` : ''}`,
        )
        .join('; ')
      return {...base, details: result, status: result.status, summary}
    }
    case 'secrets': {
      return rotateSecrets(workspace, client, context)
    }
    case 'db': {
      const result = await rotateDbMasterSecret(workspace, client, context.session, common)
      const summary =
        result.status === 'skipped'
          ? result.skipped!
          : `${context.dryRun ? 'would rotate' : 'rotating'} ${result.secrets.map((secret) => secret.database ?? secret.arn).join(', ')} (RDS finishes within about a minute)`
      return {...base, details: result, status: result.status, summary}
    }
  }
}

/** Integration secrets can only be rotated with new values: asked for on a terminal, else left with a pointer to `secrets set`. */
async function rotateSecrets(
  workspace: Workspace,
  client: ClientManifest,
  context: RotateKeysRequest & {session: AwsSession},
): Promise<RotationOutcome> {
  const base = {client: client.id, kind: 'secrets' as const}
  const integrations = secretIntegrationsOf(client)
  if (integrations.length === 0)
    return {...base, status: 'skipped', summary: 'skipped: no enabled integration holds credentials'}
  const secrets: {integration: IntegrationName; secretName: string; lastChangedDate?: string; action: string}[] = []
  for (const integration of integrations) {
    const age = await describeSecretAge(workspace, client, integration, context.session)
    const value = context.secretValues?.get(secretValueKey(client.id, integration))
    let action = 'kept: needs a new value (seiketsu secrets set)'
    if (value !== undefined && context.dryRun) action = 'would put the new value'
    else if (value !== undefined) {
      await putSecretValue(workspace, client, integration, value, context.session, {
        command: 'seiketsu rotate-keys',
        now: context.clock,
      })
      action = 'new value put'
    }
    secrets.push({...age, action, integration})
  }
  const put = secrets.filter((secret) => secret.action === 'new value put').length
  const wouldPut = secrets.filter((secret) => secret.action === 'would put the new value').length
  const status: RotationStatus = put > 0 ? 'rotated' : wouldPut > 0 ? 'planned' : 'skipped'
  const summary = secrets
    .map(
      (secret) =>
        `${secret.integration}: ${secret.action}${secret.lastChangedDate ? ` (last changed ${secret.lastChangedDate.slice(0, 10)})` : ''}`,
    )
    .join('; ')
  return {...base, details: {secrets}, status, summary}
}
