import type {ClientManifest} from '../registry/manifest.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents} from './audit.ts'
import {awsCall} from '../aws/errors.ts'
import type {AwsSession} from '../aws/session.ts'

/** Tags RDS puts on the master-password secrets it manages (ManageMasterUserPassword). */
export const RDS_SECRET_TAGS = ['aws:rds:primaryDBInstanceArn', 'aws:rds:primaryDBClusterArn'] as const

export interface DbSecretReport {
  arn: string
  name?: string
  /** The DB instance (or cluster) the secret belongs to, from RDS's own tag. */
  database?: string
  lastRotatedDate?: string
  /** The version RotateSecret started (absent in a dry run). */
  versionId?: string
}

export interface DbRotationResult {
  status: 'rotated' | 'planned' | 'skipped'
  secrets: DbSecretReport[]
  skipped?: string
}

/**
 * Rotates the RDS-managed master password of the client's database now (RotateSecret with
 * RotateImmediately; RDS's managed rotation does the work, no Lambda involved).
 *
 * The secret is found with Secrets Manager alone: ListSecrets filtered to the secrets RDS owns
 * (`owning-service: rds`) that carry RDS's `aws:rds:primaryDB…Arn` tag. The client account holds
 * only this client's database, so that finds its secret without depending on the DB identifier the
 * stack chose, and needs no RDS client or RDS permission.
 */
export async function rotateDbMasterSecret(
  workspace: Workspace,
  client: ClientManifest,
  session: AwsSession,
  options: {dryRun?: boolean; now?: Date; command?: string} = {},
): Promise<DbRotationResult> {
  const sdk = await import('@aws-sdk/client-secrets-manager')
  const secrets = await session.client('secretsManager', client)
  const context = (operation: string) => ({
    client: client.id,
    operation,
    region: client.region,
    service: 'Secrets Manager',
  })
  const found: DbSecretReport[] = []
  let nextToken: string | undefined
  do {
    const page = await awsCall(context('ListSecrets'), () =>
      secrets.send(
        new sdk.ListSecretsCommand({
          Filters: [{Key: 'owning-service', Values: ['rds']}],
          MaxResults: 100,
          NextToken: nextToken,
        }),
      ),
    )
    for (const entry of page.SecretList ?? []) {
      const tag = entry.Tags?.find((candidate) => (RDS_SECRET_TAGS as readonly string[]).includes(candidate.Key ?? ''))
      if (!entry.ARN || !tag || entry.DeletedDate) continue
      found.push({
        arn: entry.ARN,
        database: tag.Value,
        lastRotatedDate: entry.LastRotatedDate?.toISOString(),
        name: entry.Name,
      })
    }
    nextToken = page.NextToken
  } while (nextToken)
  if (found.length === 0)
    return {
      secrets: [],
      skipped: `no RDS-managed master secret in account ${client.accountId} (${client.region}); is the stack provisioned?`,
      status: 'skipped',
    }
  if (options.dryRun) return {secrets: found, status: 'planned'}
  for (const secret of found) {
    const response = await awsCall(context('RotateSecret'), () =>
      secrets.send(new sdk.RotateSecretCommand({RotateImmediately: true, SecretId: secret.arn})),
    )
    secret.versionId = response.VersionId
  }
  await recordKeyEvents(
    workspace,
    found.map((secret) => ({
      action: 'rotate-db-secret',
      change: {database: secret.database, secret: secret.arn, versionId: secret.versionId},
      client: client.id,
    })),
    options.command ?? 'seiketsu rotate-keys',
    options.now,
  )
  return {secrets: found, status: 'rotated'}
}
