import type {IntegrationName} from './registry/manifest.ts'

/**
 * Names shared by the stacks, the key commands and the audit: one place, so that what synth
 * creates is what rotate-keys and secrets set look up.
 */

/** Role the platform assumes in every client account to provision and operate it. */
export const PROVISIONER_ROLE = 'SeiketsuClientProvisioner'

export const CLIENT_ROLES = ['SeiketsuClientAdmin', 'SeiketsuClientApp', 'SeiketsuClientReadOnly'] as const
export const PLATFORM_ROLES = ['SeiketsuPlatformAdmin', 'SeiketsuClientProvisioner', 'SeiketsuMonitoring'] as const

/** The role of the management account that writes the client zones' delegation (NS) records, and nothing else. */
export const DNS_DELEGATION_ROLE = 'SeiketsuDnsDelegation'

/** The stack id of the management-account side. Client ids can never take it. */
export const PLATFORM_STACK_ID = 'platform'

export function provisionerRoleArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:role/${PROVISIONER_ROLE}`
}

/** The client's customer-managed KMS key. */
export function clientKeyAlias(platform: string, clientId: string): string {
  return `alias/${platform}/${clientId}`
}

/** The client's backup key in its DR region. */
export function clientBackupKeyAlias(platform: string, clientId: string): string {
  return `alias/${platform}/${clientId}-backup`
}

/** Secrets Manager name of an integration's credentials (Terraform creates it empty). */
export function integrationSecretName(platform: string, clientId: string, integration: IntegrationName): string {
  return `${platform}/${clientId}/${integration}`
}

/** Secrets Manager name of the client's JWT signing key set (AWS keystore of `seiketsu token`). */
export function jwtKeysSecretName(platform: string, clientId: string): string {
  return `${platform}/${clientId}/jwt-signing-keys`
}

/** Prefix of every resource name of a client: `<platform>-<client>`. */
export function resourcePrefix(platform: string, clientId: string): string {
  return `${platform}-${clientId}`
}

/** Default `iss` of a client's tokens: one issuer per client, so no token passes for another client's. */
export function defaultTokenIssuer(platform: string, clientId: string): string {
  return `urn:${platform}:client:${clientId}`
}

/** Default `aud` of every ClientToken: the platform API. */
export function defaultTokenAudience(platform: string): string {
  return `urn:${platform}:api`
}

/** Session name of the provisioner role when seiketsu assumes it (CloudTrail shows it): at most 64 characters. */
export function provisionerSessionName(purpose: string, clientId: string): string {
  return `seiketsu-${purpose}-${clientId}`.replaceAll(/[^\w+=,.@-]/g, '-').slice(0, 64)
}
