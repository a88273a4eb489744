import {isSeiketsuError, SeiketsuError} from '../errors.ts'
import {integrationSecretName} from '../naming.ts'
import {
  enabledIntegrations,
  SECRET_INTEGRATIONS,
  type ClientManifest,
  type IntegrationName,
} from '../registry/manifest.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {awsCall, awsErrorName} from '../aws/errors.ts'
import type {AwsSession} from '../aws/session.ts'
import {withAwsSession, type KeyOperationOptions} from './signing-keys.ts'

/**
 * Whether a client's integration secrets hold values, so its ECS service can start tasks: ECS
 * injects each enabled integration's secret (AWSCURRENT) into the task, and a task whose secret has
 * no value fails to start. Secrets Manager DescribeSecret alone (VersionIdsToStages) tells it: no
 * secret value is ever read. Calls go through the provisioner role of the client's account.
 */

/** The client's integrations that hold credentials and are switched on: the secrets it has. */
export function secretIntegrationsOf(client: Pick<ClientManifest, 'integrations'>): IntegrationName[] {
  return enabledIntegrations(client).filter((name) => SECRET_INTEGRATIONS.includes(name))
}

/**
 * - `missing`: the secret does not exist (the client stack has not created it yet, or it is
 *   scheduled for deletion);
 * - `empty`: it exists with no AWSCURRENT version (created by the stack, never set);
 * - `set`: it holds a value.
 */
export type IntegrationSecretState = 'missing' | 'empty' | 'set'

export interface IntegrationSecretReadiness {
  integration: IntegrationName
  secretName: string
  state: IntegrationSecretState
  /** The command that puts its value, when it has none: `seiketsu secrets set CLIENT INTEGRATION`. */
  setCommand?: string
  /** When the secret is scheduled for deletion (then `missing`). */
  deletedDate?: string
  lastChangedDate?: string
}

export interface ClientSecretReadiness {
  client: string
  /** Region of the secrets (the client's). */
  region: string
  /** True when every secret holds a value (also true for a client with no secret integrations). */
  ready: boolean
  /** One entry per enabled integration that holds credentials, in the registry's order. */
  secrets: IntegrationSecretReadiness[]
  /** The integrations whose secret is `missing` or `empty`. */
  missing: IntegrationName[]
  /** Why nothing was asked of AWS (a client without an account: its secrets cannot exist yet). */
  note?: string
}

/** The command an operator runs to give an integration's secret its value. */
export function secretsSetCommand(clientId: string, integration: IntegrationName): string {
  return `seiketsu secrets set ${clientId} ${integration}`
}

/**
 * The readiness of one client's integration secrets, with the caller's session (one DescribeSecret
 * per secret, concurrently). A client without an AWS account makes no call: every secret is
 * `missing`. AWS failures other than "not found" are exit 4 (awsFailure).
 */
export async function clientSecretReadiness(
  workspace: Workspace,
  client: ClientManifest,
  session: AwsSession,
): Promise<ClientSecretReadiness> {
  const integrations = secretIntegrationsOf(client)
  const name = (integration: IntegrationName) =>
    integrationSecretName(workspace.config.platform, client.id, integration)
  if (!client.accountId)
    return summarize(
      client,
      integrations.map((integration) => ({integration, secretName: name(integration), state: 'missing'})),
      'no AWS account yet: its secrets do not exist',
    )
  if (integrations.length === 0) return summarize(client, [])
  const sdk = await import('@aws-sdk/client-secrets-manager')
  const secrets = await session.client('secretsManager', client)
  const entries = await Promise.all(
    integrations.map(async (integration): Promise<IntegrationSecretReadiness> => {
      const secretName = name(integration)
      try {
        const described = await awsCall(
          {client: client.id, operation: 'DescribeSecret', region: client.region, service: 'Secrets Manager'},
          () => secrets.send(new sdk.DescribeSecretCommand({SecretId: secretName})),
        )
        if (described.DeletedDate)
          return {deletedDate: described.DeletedDate.toISOString(), integration, secretName, state: 'missing'}
        const current = Object.values(described.VersionIdsToStages ?? {}).some((stages) =>
          stages.includes('AWSCURRENT'),
        )
        return {
          integration,
          lastChangedDate: described.LastChangedDate?.toISOString(),
          secretName,
          state: current ? 'set' : 'empty',
        }
      } catch (error) {
        if (awsErrorName(error) === 'ResourceNotFoundException') return {integration, secretName, state: 'missing'}
        throw error
      }
    }),
  )
  return summarize(client, entries)
}

function summarize(
  client: ClientManifest,
  entries: IntegrationSecretReadiness[],
  note?: string,
): ClientSecretReadiness {
  const secrets = entries.map((entry) =>
    entry.state === 'set' ? entry : {...entry, setCommand: secretsSetCommand(client.id, entry.integration)},
  )
  const missing = secrets.filter((entry) => entry.state !== 'set').map((entry) => entry.integration)
  return {
    client: client.id,
    missing,
    ready: missing.length === 0,
    region: client.region,
    secrets,
    ...(note ? {note} : {}),
  }
}

/** One client's answer in a fleet check: its readiness, or the exit-4 error its AWS calls ended with. */
export type FleetSecretReadinessEntry =
  | {client: string; readiness: ClientSecretReadiness; error?: undefined}
  | {client: string; readiness?: undefined; error: SeiketsuError}

export const DEFAULT_READINESS_CONCURRENCY = 4

/**
 * The readiness of many clients, at most `concurrency` at once (default 4), in the order given.
 * One session is shared (one AssumeRole per account) unless the caller passes its own. A client's
 * AWS failure is that client's `error` (exit 4), so one broken account does not hide the others;
 * anything else (a bug) is thrown.
 */
export async function fleetSecretReadiness(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: KeyOperationOptions & {concurrency?: number} = {},
): Promise<FleetSecretReadinessEntry[]> {
  const concurrency = options.concurrency ?? DEFAULT_READINESS_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)
  return withAwsSession(workspace, options, 'secret-readiness', async (session) => {
    const results: FleetSecretReadinessEntry[] = Array.from({length: clients.length})
    let next = 0
    const worker = async () => {
      while (next < clients.length) {
        const index = next++
        const client = clients[index]!
        try {
          results[index] = {client: client.id, readiness: await clientSecretReadiness(workspace, client, session())}
        } catch (error) {
          if (!isSeiketsuError(error)) throw error
          results[index] = {client: client.id, error}
        }
      }
    }
    await Promise.all(Array.from({length: Math.min(concurrency, clients.length)}, worker))
    return results
  })
}
