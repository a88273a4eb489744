import {randomUUID} from 'node:crypto'

import {usageError} from '../errors.ts'
import {integrationSecretName} from '../naming.ts'
import {
  enabledIntegrations,
  INTEGRATION_LABELS,
  INTEGRATIONS,
  SECRET_INTEGRATIONS,
  type ClientManifest,
  type IntegrationName,
} from '../registry/manifest.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents} from './audit.ts'
import {awsCall, noAccountError, type AwsSession} from './aws.ts'
import {withAwsSession, type KeyOperationOptions} from './signing-keys.ts'

/** Secrets Manager's limit on a secret value. */
export const MAX_SECRET_BYTES = 65_536

/** The client's integrations that hold credentials and are switched on: the secrets it has. */
export function secretIntegrationsOf(client: ClientManifest): IntegrationName[] {
  return enabledIntegrations(client).filter((name) => SECRET_INTEGRATIONS.includes(name))
}

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
  const secrets = await session.secretsManager(client)
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

/**
 * `seiketsu secrets set`: a new value for one of the client's integration secrets. The container
 * exists already (the client stack creates it); only the value is put, and it is never echoed,
 * logged, recorded or returned.
 */
export async function setIntegrationSecret(
  workspace: Workspace,
  client: ClientManifest,
  integrationName: string,
  value: string,
  options: KeyOperationOptions = {},
): Promise<PutSecretResult> {
  const integration = checkSecretTarget(client, integrationName)
  checkSecretValue(value)
  return withAwsSession(workspace, options, 'secrets-set', (session) =>
    putSecretValue(workspace, client, integration, value, session(), options),
  )
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
  const secrets = await session.secretsManager(client)
  const described = await awsCall(
    {client: client.id, operation: 'DescribeSecret', region: client.region, service: 'Secrets Manager'},
    () => secrets.send(new sdk.DescribeSecretCommand({SecretId: secretName})),
  )
  return {lastChangedDate: described.LastChangedDate?.toISOString(), secretName}
}
