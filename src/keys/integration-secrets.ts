import {randomUUID} from 'node:crypto'

import {isSeiketsuError, usageError} from '../errors.ts'
import {integrationSecretName} from '../naming.ts'
import {
  INTEGRATION_LABELS,
  INTEGRATIONS,
  SECRET_INTEGRATIONS,
  type ClientManifest,
  type IntegrationName,
} from '../registry/manifest.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents} from './audit.ts'
import {awsCall, noAccountError} from '../aws/errors.ts'
import type {AwsSession} from '../aws/session.ts'
import {clientSecretReadiness, secretIntegrationsOf, type ClientSecretReadiness} from './secret-readiness.ts'
import {withAwsSession, type KeyOperationOptions} from './signing-keys.ts'

/** Secrets Manager's limit on a secret value. */
export const MAX_SECRET_BYTES = 65_536

export {secretIntegrationsOf} from './secret-readiness.ts'

/** The integration named on the command line, if this client has a secret for it (exit 2 otherwise). */
export function secretIntegration(client: ClientManifest, integration: string): IntegrationName {
  const allowed = secretIntegrationsOf(client)
  const known = (INTEGRATIONS as readonly string[]).includes(integration)
  if (known && allowed.includes(integration as IntegrationName)) return integration as IntegrationName
  const reason = !known
    ? `unknown integration '${integration}'`
    : !SECRET_INTEGRATIONS.includes(integration as IntegrationName)
      ? `${INTEGRATION_LABELS[integration as IntegrationName]} holds no credentials`
      : `${client.id} has not enabled ${INTEGRATION_LABELS[integration as IntegrationName]}`
  throw usageError(`INTEGRATION: ${reason} (secrets of ${client.id}: ${allowed.join(', ') || 'none'})`, {
    code: 'INVALID_INTEGRATION',
    details: {allowed},
  })
}

/** The integration of a `secrets set`, checked before any value is read: enabled, holding credentials, in an account. */
export function checkSecretTarget(client: ClientManifest, integration: string): IntegrationName {
  const name = secretIntegration(client, integration)
  if (!client.accountId) throw noAccountError(client.id, 'its secrets do not exist')
  return name
}

/** A usable secret value, or exit 2 saying what is wrong with it (never the value itself). */
export function checkSecretValue(value: string): string {
  if (value.length === 0 || value.trim() === '')
    throw usageError('The secret value is empty: nothing was written', {code: 'EMPTY_SECRET'})
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES)
    throw usageError(`The secret value is larger than Secrets Manager's ${MAX_SECRET_BYTES} bytes`, {
      code: 'SECRET_TOO_LARGE',
    })
  return value
}

export interface PutSecretResult {
  client: string
  integration: IntegrationName
  secretName: string
  region: string
  /** The new AWSCURRENT version (the old one became AWSPREVIOUS). */
  versionId?: string
}

/** Puts a new value of an integration's secret with the caller's session (the rotate-keys path). */
export async function putSecretValue(
  workspace: Workspace,
  client: ClientManifest,
  integration: IntegrationName,
  value: string,
  session: AwsSession,
  options: {now?: Date; command?: string} = {},
): Promise<PutSecretResult> {
  const secretName = integrationSecretName(workspace.config.platform, client.id, integration)
  const sdk = await import('@aws-sdk/client-secrets-manager')
  const secrets = await session.client('secretsManager', client)
  // Without VersionStages, PutSecretValue makes the new version AWSCURRENT and the old one AWSPREVIOUS.
  const response = await awsCall(
    {client: client.id, operation: 'PutSecretValue', region: client.region, service: 'Secrets Manager'},
    () =>
      secrets.send(
        new sdk.PutSecretValueCommand({ClientRequestToken: randomUUID(), SecretId: secretName, SecretString: value}),
      ),
  )
  await recordKeyEvents(
    workspace,
    [
      {
        action: 'put-secret',
        change: {integration, secret: secretName, versionId: response.VersionId},
        client: client.id,
      },
    ],
    options.command ?? 'seiketsu secrets set',
    options.now,
  )
  return {client: client.id, integration, region: client.region, secretName, versionId: response.VersionId}
}

/** What a `secrets set` means for the client's service, which starts only once every secret holds a value. */
export interface ServiceSecretReadiness {
  /** Every integration secret of the client holds a value now. */
  ready: boolean
  /** This put gave the last secret without a value its value: the service can start now. */
  completed: boolean
  /** The secrets still without a value (`missing`: not created yet; `empty`: never set), and the command that sets each. */
  missing: {integration: IntegrationName; state: 'missing' | 'empty'; setCommand: string}[]
  /** When `completed`: the commands that start the service. */
  next?: string
}

export interface SetSecretResult extends PutSecretResult {
  /** Absent when the secrets' state could not be read (the value was put all the same). */
  readiness?: ServiceSecretReadiness
}

/**
 * `seiketsu secrets set`: a new value for one of the client's integration secrets. The container
 * exists already (the client stack creates it); only the value is put, and it is never echoed,
 * logged, recorded or returned. The client's other secrets are looked at first (DescribeSecret,
 * no value read) to say whether the service can start now or which secrets it still waits for.
 */
export async function setIntegrationSecret(
  workspace: Workspace,
  client: ClientManifest,
  integrationName: string,
  value: string,
  options: KeyOperationOptions = {},
): Promise<SetSecretResult> {
  const integration = checkSecretTarget(client, integrationName)
  checkSecretValue(value)
  return withAwsSession(workspace, options, 'secrets-set', async (session) => {
    // Advice only: a failure to read the states must not keep the value from being put.
    const before = await clientSecretReadiness(workspace, client, session()).catch((error: unknown) => {
      if (isSeiketsuError(error)) return undefined
      throw error
    })
    const result = await putSecretValue(workspace, client, integration, value, session(), options)
    return before ? {...result, readiness: readinessAfterPut(client, integration, before)} : result
  })
}

/** The readiness once `integration` holds a value, from the states read before the put. */
export function readinessAfterPut(
  client: ClientManifest,
  integration: IntegrationName,
  before: ClientSecretReadiness,
): ServiceSecretReadiness {
  const missing = before.secrets
    .filter((secret) => secret.integration !== integration && secret.state !== 'set')
    .map((secret) => ({
      integration: secret.integration,
      setCommand: secret.setCommand!,
      state: secret.state as 'missing' | 'empty',
    }))
  const wasMissing = before.missing.includes(integration)
  const completed = wasMissing && missing.length === 0
  return {
    completed,
    missing,
    ready: missing.length === 0,
    ...(completed ? {next: `seiketsu plan ${client.id} && seiketsu provision ${client.id}`} : {}),
  }
}

/** When an integration's secret last changed (DescribeSecret), for the rotate-keys report. */
export async function describeSecretAge(
  workspace: Workspace,
  client: ClientManifest,
  integration: IntegrationName,
  session: AwsSession,
): Promise<{secretName: string; lastChangedDate?: string}> {
  const secretName = integrationSecretName(workspace.config.platform, client.id, integration)
  const sdk = await import('@aws-sdk/client-secrets-manager')
  const secrets = await session.client('secretsManager', client)
  const described = await awsCall(
    {client: client.id, operation: 'DescribeSecret', region: client.region, service: 'Secrets Manager'},
    () => secrets.send(new sdk.DescribeSecretCommand({SecretId: secretName})),
  )
  return {lastChangedDate: described.LastChangedDate?.toISOString(), secretName}
}
