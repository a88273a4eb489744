import {z} from 'zod'

import {accountIdField, cidrField, regionField} from '../input/fields.ts'

/**
 * The hashicorp/aws provider version the stacks are generated for (@cdktf/provider-aws 20.1.0) and
 * that the tests run with the real terraform. Other versions are the operator's to test.
 */
export const TESTED_AWS_PROVIDER_VERSION = '5.100.0'

const ResidencySchema = z
  .strictObject({
    regions: z.array(regionField).min(1),
    drRegions: z.array(regionField).min(1),
  })
  .superRefine((residency, ctx) => {
    const outsideOwnRegions = residency.regions.every((region) => residency.drRegions.every((dr) => dr === region))
    if (outsideOwnRegions)
      ctx.addIssue({
        code: 'custom',
        path: ['drRegions'],
        message: 'needs a region other than the client region for backups',
      })
  })

const StateSchema = z.discriminatedUnion('backend', [
  z.strictObject({backend: z.literal('local')}),
  z.strictObject({
    backend: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {error: 'must be an S3 bucket name'}),
    region: regionField,
    keyPrefix: z
      .string()
      .regex(/^([a-zA-Z0-9!_.*'()-]+\/)*$/, {error: "must be empty or end with '/', e.g. clients/"})
      .default('clients/'),
    // An S3-compatible endpoint for the state (a VPC endpoint, MinIO, Ceph…): seiketsu passes it to
    // every `terraform init` it runs as -backend-config (endpoints.s3, use_path_style).
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(:\d+)?(\/[^\s?#]*)?$/, {
        error: 'must be an http(s) URL such as https://s3.internal:9000',
      })
      .optional(),
    usePathStyle: z.boolean({error: 'true or false'}).optional(),
  }),
])

/**
 * Where terraform installs providers from, for networks that cannot reach the registry: a filesystem
 * mirror (a folder, relative to the workspace or absolute, holding registry.terraform.io/…) or a
 * network mirror (an https URL ending with '/', as terraform requires).
 */
const providerMirrorField = z
  .string()
  .min(1, {error: 'a folder (filesystem mirror) or an https URL ending with / (network mirror)'})
  .refine((value) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^https:\/\/[^\s/?#]+(\/[^\s?#]*)?\/$/.test(value), {
    error:
      'a network mirror must be an https URL ending with / (terraform refuses anything else), e.g. https://mirror.example.com/providers/',
  })

const durationSetting = (fallback: string) =>
  z
    .string()
    .regex(/^\d{1,6}[smhd]$/, {error: 'a duration such as 30s, 10m or 1h'})
    .default(fallback)

/** Where JWT signing keys live and how the client KMS keys rotate (`seiketsu token`, `rotate-keys`). */
const KeysSchema = z
  .strictObject({
    store: z.enum(['local', 'aws'], {error: "'local' (.seiketsu/keys/) or 'aws' (Secrets Manager)"}).default('local'),
    kmsRotationDays: z
      .int()
      .min(90, {error: 'KMS rotates every 90 to 2560 days'})
      .max(2560, {error: 'KMS rotates every 90 to 2560 days'})
      .default(365),
    kmsOnDemandLimit: z.int().min(0).max(100).default(25),
  })
  .default({kmsOnDemandLimit: 25, kmsRotationDays: 365, store: 'local'})

/** The platform API's view of ClientTokens: who issues them, for whom, and how much clock skew it forgives. */
const TokensSchema = z
  .strictObject({
    issuer: z
      .string()
      .min(1)
      .refine((issuer) => issuer.includes('{client}'), {
        error: "must contain {client}: each client's tokens have their own issuer",
      })
      .optional(),
    audience: z.string().min(1).optional(),
    clockSkew: durationSetting('60s'),
    jwksCacheTtl: durationSetting('10m'),
  })
  .default({clockSkew: '60s', jwksCacheTtl: '10m'})

/** Organizations accounts the platform creates, and how the platform reaches client accounts it did not create. */
const AccountsSchema = z
  .strictObject({
    // A platform-owned mailbox per account: a client's own address may already own an AWS account, and
    // whoever reads the root mailbox can reset the root password of an account the platform operates.
    rootEmailTemplate: z
      .string()
      .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, {
        error: 'an email address with {client} in it, such as aws+{client}@ops.example.com',
      })
      .refine((template) => template.includes('{client}'), {
        error: 'must contain {client}: every account needs a root email of its own',
      })
      .optional(),
    // The role the management account assumes in a client account to apply its bootstrap stack:
    // Organizations creates it in the accounts the platform creates; name another for existing accounts.
    bootstrapRole: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, {error: 'an IAM role name'})
      .default('OrganizationAccountAccessRole'),
  })
  .default({bootstrapRole: 'OrganizationAccountAccessRole'})

/** Where each client's alarms go: one on-call destination for the whole platform. */
const AlertsSchema = z
  .strictObject({
    email: z.email({error: 'an email address such as oncall@ops.example.com'}).optional(),
    https: z
      .url({error: 'an https:// URL (PagerDuty, Opsgenie… SNS integration endpoint)', protocol: /^https$/})
      .optional(),
  })
  .refine((alerts) => !(alerts.email && alerts.https), {error: 'name one on-call destination: email or https'})
  .default({})

/** DNS: the platform's domain in Route 53 (a zone the platform stack creates, or an existing one). */
const DnsSchema = z
  .strictObject({
    // An existing public hosted zone for `domain` in the management account; without it the platform creates one.
    zoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, {error: 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'})
      .optional(),
  })
  .default({})

/** The voice-agent image every client runs, pinned by digest (a tag can move under a running fleet). */
const ImageSchema = z
  .strictObject({
    digest: z
      .string()
      .regex(/^sha256:[a-f0-9]{64}$/, {error: 'an image digest such as sha256:<64 hex digits>'})
      .optional(),
  })
  .default({})

/** The one-off task that creates the app's database user (psql from this image). */
const DatabaseSetupSchema = z
  .strictObject({image: z.string().min(1).default('public.ecr.aws/docker/library/postgres:16-alpine')})
  .default({image: 'public.ecr.aws/docker/library/postgres:16-alpine'})

const StorageSchema = z
  .strictObject({
    // account-scoped: <platform>-<client>-<account>-data (bucket names are global: the account id keeps them
    // unguessable and unclaimable). legacy: <platform>-<client>-data, what workspaces made before it used.
    bucketNames: z.enum(['account-scoped', 'legacy'], {error: "'account-scoped' or 'legacy'"}).default('legacy'),
  })
  .default({bucketNames: 'legacy'})

export const WorkspaceConfigSchema = z
  .strictObject({
    version: z.literal(1, {error: 'this seiketsu reads workspace version 1'}),
    platform: z.string().regex(/^[a-z][a-z0-9-]{1,13}[a-z0-9]$/, {
      error: '3-15 characters: lower-case letters, digits and hyphens (it prefixes resource names)',
    }),
    managementAccountId: accountIdField,
    // Each client's API answers on https://<client>.<domain> (the ALB certificate's name).
    domain: z
      .string()
      .regex(/^(?=.{4,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
        error: 'must be a DNS domain such as clients.example.com',
      })
      .optional(),
    region: regionField,
    drRegion: regionField,
    residencies: z.record(
      z.string().regex(/^[a-z]{2,8}$/, {error: 'residency names are short lower-case words'}),
      ResidencySchema,
    ),
    network: z.strictObject({
      pools: z.array(cidrField).min(1),
      // A client VPC is cut into 16 subnets (up to 3 tiers x 3 AZs), so /24 is the smallest useful VPC.
      prefixLength: z
        .int()
        .min(16, {error: 'AWS VPCs are at most /16'})
        .max(24, {error: 'at most /24, so that subnets fit'}),
    }),
    terraform: z
      .strictObject({
        binary: z.enum(['terraform', 'tofu']).default('terraform'),
        lockTimeout: z
          .string()
          .regex(/^\d+[smh]$/, {error: 'a duration such as 30s, 5m or 1h'})
          .default('5m'),
        // The hashicorp/aws version (or constraint) every stack requires; the default is the one tested.
        awsProviderVersion: z
          .string()
          .regex(/^[\d.,<>=~!\s-]+$/, {error: 'a provider version or constraint such as 5.100.0 or ~> 5.100'})
          .default(TESTED_AWS_PROVIDER_VERSION),
        providerMirror: providerMirrorField.optional(),
      })
      .default({awsProviderVersion: TESTED_AWS_PROVIDER_VERSION, binary: 'terraform', lockTimeout: '5m'}),
    state: StateSchema,
    tiers: z.record(z.string(), z.unknown()).default({}),
    keys: KeysSchema,
    tokens: TokensSchema,
    accounts: AccountsSchema,
    alerts: AlertsSchema,
    dns: DnsSchema,
    image: ImageSchema,
    databaseSetup: DatabaseSetupSchema,
    storage: StorageSchema,
  })
  .superRefine((config, ctx) => {
    if (config.region === config.drRegion)
      ctx.addIssue({code: 'custom', path: ['drRegion'], message: 'must differ from region'})
    if (config.dns.zoneId && !config.domain)
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'zoneId'],
        message: 'needs `domain`: the zone is the zone of that domain',
      })
    if (Object.keys(config.residencies).length === 0)
      ctx.addIssue({code: 'custom', path: ['residencies'], message: 'define at least one residency'})
    for (const pool of config.network.pools) {
      const poolPrefix = Number(pool.split('/')[1])
      if (poolPrefix > config.network.prefixLength)
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'pools'],
          message: `${pool} is smaller than one /${config.network.prefixLength} client block`,
        })
    }
  })

export type WorkspaceConfig = z.infer<typeof WorkspaceConfigSchema>
export type StateBackend = WorkspaceConfig['state']

/** The region a client's backups and replicas go to: the workspace DR region when the residency allows it. */
export function drRegionFor(config: WorkspaceConfig, residency: string, region: string): string | undefined {
  const allowed = config.residencies[residency]
  if (!allowed) return undefined
  return [config.drRegion, ...allowed.drRegions].find((dr) => dr !== region && allowed.drRegions.includes(dr))
}
