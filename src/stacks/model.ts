import {createHash} from 'node:crypto'

import {
  CLIENT_ROLES,
  DNS_DELEGATION_ROLE,
  PLATFORM_ROLES,
  PLATFORM_STACK_ID,
  PROVISIONER_ROLE,
  clientBackupKeyAlias,
  clientKeyAlias,
  integrationSecretName,
  jwtKeysSecretName,
  provisionerRoleArn,
  resourcePrefix,
} from '../naming.ts'
import {subdivide} from '../cidr.ts'
import {
  SECRET_INTEGRATIONS,
  enabledIntegrations,
  type BootstrapAdoptable,
  type ClientManifest,
  type IntegrationName,
} from '../registry/manifest.ts'
import type {Tier} from '../tiers/tiers.ts'
import type {WorkspaceConfig} from '../workspace/config.ts'
import {MINIMUM_TERRAFORM_VERSION} from './backend.ts'

/**
 * The stack models: everything a stack needs, computed from the workspace settings, one client
 * manifest and its tier. Pure data in, data out: the constructs only turn a model into resources,
 * and the audit can rebuild the same model to know what a stack must contain.
 */

export const MANAGED_BY = 'seiketsu'

/** Default tags of every resource; also the cost-allocation keys the platform stack activates. */
export const TAG_KEYS = {
  client: 'seiketsu:client',
  managedBy: 'seiketsu:managed-by',
  /** Which kind of stack a resource belongs to (platform, bootstrap); client stacks carry the client tag alone. */
  stack: 'seiketsu:stack',
  tier: 'seiketsu:tier',
} as const
export const COST_ALLOCATION_TAGS: readonly string[] = [TAG_KEYS.client, TAG_KEYS.tier, TAG_KEYS.managedBy]

export const PORTS = {app: 8000, https: 443, postgres: 5432, redis: 6379} as const

/** TLS 1.3 only: the seed asks for TLS 1.3 on every API call. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-3-2021-06'

/** The seed's auto-scaling strategy (multi-tenant-architecture.md, "Auto-Scaling Strategy"). */
export const SEED_SCALING = {
  cooldownSeconds: 300,
  cpuHighPercent: 70,
  memoryHighPercent: 80,
  queueDepthHigh: 100,
  responseTimeHighSeconds: 0.5,
  scaleInBy: 1,
  /**
   * Scale-in trigger (the seed gives none): every scale-out metric below this share of its own mark
   * (CPU < 35 %, memory < 40 %, response time < 250 ms, queue < 50) for 15 minutes. Scaling in on CPU
   * alone flaps: a busy queue or slow responses would scale out, then CPU-low would scale back in.
   */
  scaleInLoadRatio: 0.5,
  scaleInMinutes: 15,
  scaleOutBy: 2,
} as const

/**
 * Account id written into a client stack whose AWS account does not exist yet (manifest
 * `accountId: null`): the platform stack creates it. Not 12 digits, so it can never name a real
 * account; the stack also carries a variable whose validation fails, so terraform refuses to plan
 * it until the real id is in the manifest and the stack is synthesized again.
 */
export const PENDING_ACCOUNT_PREFIX = 'pending-'

export function pendingAccountId(clientId: string): string {
  return `${PENDING_ACCOUNT_PREFIX}${clientId}`
}

/** Stand-in domain until seiketsu.yaml sets `domain`: `.invalid` is reserved and never resolves. */
export function endpointDomain(config: Pick<WorkspaceConfig, 'domain' | 'platform'>, clientId: string): string {
  return `${clientId}.${config.domain ?? `${config.platform}.invalid`}`
}

/**
 * Elastic Load Balancing's log-delivery account per region, for the access-log bucket policy.
 * Regions opened since August 2022 have none: they use the log-delivery service principal.
 * Source: ELB user guide, "Enable access logs for your Application Load Balancer".
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '098369216593',
  'ap-east-1': '754344448648',
  'ap-northeast-1': '582318560864',
  'ap-northeast-2': '600734575887',
  'ap-northeast-3': '383597477331',
  'ap-south-1': '718504428378',
  'ap-southeast-1': '114774131450',
  'ap-southeast-2': '783225319266',
  'ca-central-1': '985666609251',
  'eu-central-1': '054676820928',
  'eu-north-1': '897822967062',
  'eu-south-1': '635631232127',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-west-3': '009996457667',
  'me-south-1': '076674570225',
  'sa-east-1': '507241528517',
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
}

export const ELB_LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com'

/** AZ letters in order; a tier has at most 3 AZs. */
const AZ_LETTERS = ['a', 'b', 'c'] as const

/**
 * Subnet slots in the VPC (cut into 16 blocks of prefix + 4): public, private and isolated subnets
 * each own 3 consecutive slots, one per possible AZ. A tier moving from 2 to 3 AZs only adds
 * subnets; no existing subnet changes CIDR.
 */
const SUBNET_SLOTS = {isolated: 6, private: 3, public: 0} as const

export interface SubnetModel {
  az: string
  cidr: string
  name: string
}

export interface IntegrationSecretModel {
  integration: IntegrationName
  name: string
  /** Environment variable the container receives the secret's value in (by ARN, never a value). */
  envName: string
}

export interface ClientNames {
  prefix: string
  keyAlias: string
  backupKeyAlias: string
  vpc: string
  dataBucket: string
  drBucket: string
  accessLogBucket: string
  loadBalancer: string
  targetGroup: string
  cluster: string
  service: string
  taskFamily: string
  container: string
  database: string
  databaseReplicas: string[]
  databaseFinalSnapshot: string
  databaseSubnetGroup: string
  databaseParameterGroup: string
  cacheGroup: string
  cacheSubnetGroup: string
  queue: string
  deadLetterQueue: string
  alarmTopic: string
  logGroups: {
    app: string
    flowLogs: string
    database: string
    cache: string
    containerInsights: string
    databaseSetup: string
  }
  roles: {
    admin: string
    app: string
    readOnly: string
    execution: string
    flowLogs: string
    replication: string
    databaseSetup: string
  }
  alarms: {
    cpuHigh: string
    memoryHigh: string
    responseTimeHigh: string
    queueDepthHigh: string
    allLow: string
    unhealthyTargets: string
  }
  /** The one-off task that creates the app's database user. */
  databaseSetupTask: string
  cacheUsers: {app: string; disabledDefault: string; group: string}
}

/** What every stack requires of terraform: its own version and the AWS provider's. */
export interface StackTerraformSettings {
  requiredVersion: string
  awsProviderVersion: string
}

export function stackTerraformSettings(config: Pick<WorkspaceConfig, 'terraform'>): StackTerraformSettings {
  return {awsProviderVersion: config.terraform.awsProviderVersion, requiredVersion: `>= ${MINIMUM_TERRAFORM_VERSION}`}
}

export interface ClientStackModel {
  kind: 'client'
  /** Stack id: the client id. */
  id: string
  platform: string
  tierName: string
  terraform: StackTerraformSettings
  account: {id: string; pending: boolean}
  managementAccountId: string
  region: string
  drRegion: string
  azs: string[]
  tags: Record<string, string>
  provisionerRoleArn: string
  /** The host the client's API answers on (ALB certificate name). */
  domain: string
  /**
   * DNS for `domain`, when the workspace has one: the client account owns the zone `<id>.<domain>`, and
   * the client stack writes its delegation (NS) into the platform's zone through a role of the
   * management account allowed to change nothing else.
   */
  dns?: {zoneName: string; parentZone: ParentZone; delegationRoleArn: string}
  /** The platform's on-call destination the client's alarm topic is subscribed to (none: alarms tell no one). */
  alerts?: AlertDestination
  names: ClientNames
  /** ARNs known before anything exists (their names are ours); used in policies. */
  arns: {
    accountRoot: string
    dataBucket: string
    drBucket: string
    accessLogBucket: string
    queue: string
    deadLetterQueue: string
    alarmTopic: string
    cluster: string
    service: string
    database: string
    cacheGroup: string
    appLogGroup: string
    flowLogGroup: string
    databaseLogGroup: string
    cacheLogGroup: string
    platformAdminRole: string
    monitoringRole: string
    imageRepository: string
    containerInsightsLogGroup: string
    databaseSetupLogGroup: string
    cacheAppUser: string
    alarms: string[]
  }
  network: {
    vpcCidr: string
    public: SubnetModel[]
    private: SubnetModel[]
    isolated: SubnetModel[]
    natGateways: number
  }
  integrationSecrets: IntegrationSecretModel[]
  jwtKeysSecretName: string
  database: {
    engine: 'postgres'
    engineVersion: string
    parameterFamily: string
    instanceClass: string
    allocatedStorageGb: number
    maxAllocatedStorageGb: number
    multiAz: boolean
    readReplicas: number
    backupRetentionDays: number
    databaseName: string
    masterUsername: string
    /** The application's login, authenticated with IAM (rds-db:connect), never a password. */
    appUsername: string
  }
  cache: {engineVersion: string; nodeType: string; nodes: number; automaticFailover: boolean}
  task: {cpu: number; memoryMib: number; minTasks: number; maxTasks: number; image: string}
  /**
   * When the service may run tasks: only once `variable` (a bool terraform variable, false unless set)
   * is true. seiketsu plan sets it once the image is pinned by digest and every integration secret
   * holds a value (it checks through the AWS SDK); until then the service exists with 0 tasks.
   */
  serviceGate: {variable: string; imagePinned: boolean; secrets: string[]}
  /** The one-off task that creates the app's PostgreSQL role (psql from this public image). */
  databaseSetup: {image: string}
  scaling: typeof SEED_SCALING
  logRetentionDays: number
  /** KMS automatic rotation period of the client keys (`keys.kmsRotationDays`, as rotate-keys sets it). */
  keyRotationDays: number
  /** Who may write the ALB access logs: the region's ELB account, or the log-delivery service. */
  elbLogDelivery: {accountId: string} | {service: string}
}

/** The platform's hosted zone for `domain`: created by the platform stack, or an existing one by id. */
export interface ParentZone {
  name: string
  /** Existing zone (`dns.zoneId`); absent: the platform stack creates it. */
  id?: string
}

export type AlertDestination = {protocol: 'email'; endpoint: string} | {protocol: 'https'; endpoint: string}

/** The terraform variable a client stack's service waits on: true once its image is pinned and its secrets hold values. */
export const SERVICE_ENABLED_VARIABLE = 'service_enabled'

/**
 * A task count as a gated service writes it: `${var.service_enabled ? N : 0}`. The other side of
 * `gatedTaskCount`: readers (audit, cost) take N, what the service runs once the gate opens.
 */
export function gatedCountOf(value: unknown): number | undefined {
  const match = /^\$\{var\.[\w-]+ \? (\d+) : 0\}$/.exec(typeof value === 'string' ? value.trim() : '')
  return match ? Number(match[1]) : undefined
}

export function alertDestination(config: Pick<WorkspaceConfig, 'alerts'>): AlertDestination | undefined {
  if (config.alerts.email) return {endpoint: config.alerts.email, protocol: 'email'}
  if (config.alerts.https) return {endpoint: config.alerts.https, protocol: 'https'}
  return undefined
}

/** The image every client runs: by digest when one is configured, else the placeholder tag (and no tasks). */
export function imageReference(
  config: Pick<WorkspaceConfig, 'image' | 'managementAccountId' | 'platform'>,
  region: string,
): {reference: string; pinned: boolean} {
  const repository = `${config.managementAccountId}.dkr.ecr.${region}.amazonaws.com/${imageRepositoryName(config.platform)}`
  return config.image.digest
    ? {pinned: true, reference: `${repository}@${config.image.digest}`}
    : {pinned: false, reference: `${repository}:stable`}
}

export function imageRepositoryName(platform: string): string {
  return `${platform}/voice-agent`
}

export interface ClientModelInput {
  config: WorkspaceConfig
  client: ClientManifest
  tier: Tier
}

/** The model of one client's stack. Throws when the tier does not fit the VPC (a bug upstream). */
export function buildClientStackModel({config, client, tier}: ClientModelInput): ClientStackModel {
  const {platform} = config
  const prefix = resourcePrefix(platform, client.id)
  const accountId = client.accountId ?? pendingAccountId(client.id)
  const azs = AZ_LETTERS.slice(0, tier.azCount).map((letter) => `${client.region}${letter}`)
  const subnetPrefix = Number(client.cidr.split('/')[1]) + 4
  const blocks = subdivide(client.cidr, subnetPrefix, 16)
  const subnets = (kind: keyof typeof SUBNET_SLOTS) =>
    azs.map((az, index) => ({az, cidr: blocks[SUBNET_SLOTS[kind] + index]!, name: `${prefix}-${kind}-${az}`}))

  // Bucket names are global: account-scoped names cannot be guessed or claimed first by anyone else.
  const bucket = (suffix: string) =>
    config.storage.bucketNames === 'account-scoped'
      ? boundedName(`${prefix}-${accountId}-${suffix}`, 63)
      : `${prefix}-${suffix}`
  const names: ClientNames = {
    accessLogBucket: bucket('alb-logs'),
    alarmTopic: `${prefix}-alarms`,
    alarms: {
      allLow: `${prefix}-all-low`,
      cpuHigh: `${prefix}-cpu-high`,
      memoryHigh: `${prefix}-memory-high`,
      queueDepthHigh: `${prefix}-queue-depth-high`,
      responseTimeHigh: `${prefix}-response-time-high`,
      unhealthyTargets: `${prefix}-unhealthy-targets`,
    },
    backupKeyAlias: clientBackupKeyAlias(platform, client.id),
    cacheGroup: boundedName(prefix, 40),
    cacheSubnetGroup: `${prefix}-cache`,
    // ElastiCache user ids: at most 40 characters; with IAM authentication the user name must equal the id.
    cacheUsers: {
      app: boundedName(`${prefix}-app`, 40),
      disabledDefault: boundedName(`${prefix}-default-off`, 40),
      group: boundedName(prefix, 40),
    },
    cluster: prefix,
    container: 'app',
    dataBucket: bucket('data'),
    database: `${prefix}-db`,
    databaseFinalSnapshot: `${prefix}-db-final`,
    databaseParameterGroup: `${prefix}-postgres`,
    databaseReplicas: Array.from(
      {length: tier.database.readReplicas},
      (_, index) => `${prefix}-db-replica-${index + 1}`,
    ),
    databaseSetupTask: `${prefix}-db-setup`,
    databaseSubnetGroup: `${prefix}-db`,
    deadLetterQueue: `${prefix}-work-dlq`,
    drBucket: bucket('data-dr'),
    keyAlias: clientKeyAlias(platform, client.id),
    loadBalancer: boundedName(prefix, 32),
    logGroups: {
      app: `/${platform}/${client.id}/app`,
      cache: `/${platform}/${client.id}/redis-slow-log`,
      // ECS writes Container Insights here; created first so that it is encrypted and expires.
      containerInsights: `/aws/ecs/containerinsights/${prefix}/performance`,
      database: `/aws/rds/instance/${prefix}-db/postgresql`,
      databaseSetup: `/${platform}/${client.id}/db-setup`,
      flowLogs: `/${platform}/${client.id}/vpc-flow-logs`,
    },
    prefix,
    queue: `${prefix}-work`,
    roles: {
      admin: CLIENT_ROLES[0],
      app: CLIENT_ROLES[1],
      databaseSetup: `${prefix}-db-setup`,
      execution: `${prefix}-task-execution`,
      flowLogs: `${prefix}-flow-logs`,
      readOnly: CLIENT_ROLES[2],
      replication: `${prefix}-s3-replication`,
    },
    service: `${prefix}-app`,
    targetGroup: boundedName(`${prefix}-app`, 32),
    taskFamily: `${prefix}-app`,
    vpc: prefix,
  }

  const regional = (service: string, resource: string, region = client.region) =>
    `arn:aws:${service}:${region}:${accountId}:${resource}`
  const logGroupArn = (name: string) => regional('logs', `log-group:${name}`)
  const image = imageReference(config, client.region)
  const integrationSecrets = enabledIntegrations(client)
    .filter((integration) => SECRET_INTEGRATIONS.includes(integration))
    .map((integration) => ({
      envName: `${integration.toUpperCase()}_CREDENTIALS`,
      integration,
      name: integrationSecretName(platform, client.id, integration),
    }))

  const alerts = alertDestination(config)
  return {
    account: {id: accountId, pending: client.accountId === null},
    ...(alerts ? {alerts} : {}),
    arns: {
      accessLogBucket: `arn:aws:s3:::${names.accessLogBucket}`,
      accountRoot: `arn:aws:iam::${accountId}:root`,
      alarmTopic: regional('sns', names.alarmTopic),
      alarms: Object.values(names.alarms).map((name) => regional('cloudwatch', `alarm:${name}`)),
      appLogGroup: logGroupArn(names.logGroups.app),
      cacheAppUser: regional('elasticache', `user:${names.cacheUsers.app}`),
      cacheGroup: regional('elasticache', `replicationgroup:${names.cacheGroup}`),
      cacheLogGroup: logGroupArn(names.logGroups.cache),
      cluster: regional('ecs', `cluster/${names.cluster}`),
      containerInsightsLogGroup: logGroupArn(names.logGroups.containerInsights),
      dataBucket: `arn:aws:s3:::${names.dataBucket}`,
      database: regional('rds', `db:${names.database}`),
      databaseLogGroup: logGroupArn(names.logGroups.database),
      databaseSetupLogGroup: logGroupArn(names.logGroups.databaseSetup),
      deadLetterQueue: regional('sqs', names.deadLetterQueue),
      drBucket: `arn:aws:s3:::${names.drBucket}`,
      flowLogGroup: logGroupArn(names.logGroups.flowLogs),
      imageRepository: `arn:aws:ecr:${client.region}:${config.managementAccountId}:repository/${imageRepositoryName(platform)}`,
      monitoringRole: `arn:aws:iam::${config.managementAccountId}:role/${PLATFORM_ROLES[2]}`,
      platformAdminRole: `arn:aws:iam::${config.managementAccountId}:role/${PLATFORM_ROLES[0]}`,
      queue: regional('sqs', names.queue),
      service: regional('ecs', `service/${names.cluster}/${names.service}`),
    },
    azs,
    cache: {
      automaticFailover: tier.cache.nodes > 1,
      engineVersion: '7.1',
      nodeType: tier.cache.nodeType,
      nodes: tier.cache.nodes,
    },
    database: {
      allocatedStorageGb: tier.database.allocatedStorageGb,
      appUsername: 'app',
      backupRetentionDays: tier.database.backupRetentionDays,
      databaseName: 'app',
      engine: 'postgres',
      engineVersion: '16',
      instanceClass: tier.database.instanceClass,
      masterUsername: 'seiketsu_admin',
      maxAllocatedStorageGb: tier.database.maxAllocatedStorageGb,
      multiAz: tier.database.multiAz,
      parameterFamily: 'postgres16',
      readReplicas: tier.database.readReplicas,
    },
    databaseSetup: {image: config.databaseSetup.image},
    ...(config.domain
      ? {
          dns: {
            delegationRoleArn: `arn:aws:iam::${config.managementAccountId}:role/${DNS_DELEGATION_ROLE}`,
            parentZone: {name: config.domain, ...(config.dns.zoneId ? {id: config.dns.zoneId} : {})},
            zoneName: endpointDomain(config, client.id),
          },
        }
      : {}),
    domain: endpointDomain(config, client.id),
    drRegion: client.drRegion,
    elbLogDelivery: ELB_LOG_DELIVERY_ACCOUNTS[client.region]
      ? {accountId: ELB_LOG_DELIVERY_ACCOUNTS[client.region]!}
      : {service: ELB_LOG_DELIVERY_SERVICE},
    id: client.id,
    integrationSecrets,
    jwtKeysSecretName: jwtKeysSecretName(platform, client.id),
    keyRotationDays: config.keys.kmsRotationDays,
    kind: 'client',
    logRetentionDays: tier.logRetentionDays,
    managementAccountId: config.managementAccountId,
    names,
    network: {
      isolated: subnets('isolated'),
      natGateways: tier.natGateways,
      private: subnets('private'),
      public: subnets('public'),
      vpcCidr: client.cidr,
    },
    platform,
    provisionerRoleArn: provisionerRoleArn(accountId),
    region: client.region,
    scaling: SEED_SCALING,
    serviceGate: {
      imagePinned: image.pinned,
      secrets: integrationSecrets.map((secret) => secret.name),
      variable: SERVICE_ENABLED_VARIABLE,
    },
    tags: {[TAG_KEYS.client]: client.id, [TAG_KEYS.managedBy]: MANAGED_BY, [TAG_KEYS.tier]: tier.name},
    task: {
      cpu: tier.task.cpu,
      image: image.reference,
      maxTasks: tier.task.maxTasks,
      memoryMib: tier.task.memoryMib,
      minTasks: tier.task.minTasks,
    },
    terraform: stackTerraformSettings(config),
    tierName: tier.name,
  }
}

export interface PlatformClientModel {
  id: string
  /** The account id, or null when this stack creates the account. */
  accountId: string | null
  /**
   * Organizations account to create (clients without an account that are not offboarded); its root
   * email is null while the workspace has no `accounts.rootEmailTemplate` (the stack then refuses to plan).
   */
  newAccount?: {name: string; email: string | null; tags: Record<string, string>}
  /** The client's monthly cost budget, kept in the management account (the payer sees every linked account). */
  budget: {name: string; limitUsd: number}
}

export interface PlatformStackModel {
  kind: 'platform'
  id: typeof PLATFORM_STACK_ID
  terraform: StackTerraformSettings
  platform: string
  managementAccountId: string
  region: string
  tags: Record<string, string>
  clients: PlatformClientModel[]
  /**
   * Clients whose account this stack does not create (it exists, or the client is offboarded). If
   * this stack created it earlier, terraform forgets it instead of closing it (`removed` blocks).
   */
  accountsToForget: string[]
  roles: {admin: string; provisioner: string; monitoring: string; dnsDelegation: string}
  clientRoles: {admin: string; app: string; readOnly: string; provisioner: string}
  /** The role Organizations creates in new accounts, which the platform assumes to apply a bootstrap stack. */
  bootstrapRole: string
  trail: {name: string; bucket: string; keyAlias: string; arn: string; bucketArn: string}
  stateBucket?: {bucket: string; region: string; keyPrefix: string; keyAlias: string; arn: string}
  /** The voice-agent image repository, and the other regions it is replicated to (every client region). */
  imageRepository: {name: string; replicaRegions: string[]}
  /** The platform's hosted zone for `domain`, when the workspace has one. */
  dns?: ParentZone
  /** Where budget alerts go (the platform alerts topic's subscription). */
  alerts?: AlertDestination
  alertsTopic: string
  /**
   * Resources earlier versions of this stack held and that must be forgotten, not destroyed: the
   * cost-allocation tag activations (now `seiketsu cost activate-tags`).
   */
  forgotten: string[]
}

/** The cost-allocation tag resources of earlier platform stacks (seiketsu 0.1): forgotten, never deactivated. */
const LEGACY_COST_TAG_ADDRESSES = [
  'aws_ce_cost_allocation_tag.cost_tag1',
  'aws_ce_cost_allocation_tag.cost_tag2',
  'aws_ce_cost_allocation_tag.cost_tag3',
]

/**
 * The root email of a new client account, from the workspace's platform-owned template; null when
 * there is none (never the client's own address).
 */
export function accountRootEmail(
  config: Pick<WorkspaceConfig, 'accounts' | 'platform'>,
  clientId: string,
): string | null {
  const template = config.accounts.rootEmailTemplate
  return template ? template.replaceAll('{client}', clientId).replaceAll('{platform}', config.platform) : null
}

/** The model of the management-account stack, from the whole registry (not only selected clients). */
export function buildPlatformStackModel(
  config: WorkspaceConfig,
  allClients: readonly ClientManifest[],
  tiers: Readonly<Record<string, Pick<Tier, 'monthlyBudgetUsd'>>>,
): PlatformStackModel {
  const {platform, managementAccountId, region} = config
  const trailName = `${platform}-organization`
  const trailBucket = `${platform}-${managementAccountId}-cloudtrail`
  const sorted = [...allClients].sort((a, b) => a.id.localeCompare(b.id))
  const live = sorted.filter((client) => client.status !== 'offboarded')
  const clients = live.map((client): PlatformClientModel => ({
    accountId: client.accountId,
    budget: {
      limitUsd: tiers[client.tier]?.monthlyBudgetUsd ?? 0,
      name: `${resourcePrefix(platform, client.id)}-monthly`,
    },
    id: client.id,
    ...(client.accountId === null
      ? {
          newAccount: {
            email: accountRootEmail(config, client.id),
            name: resourcePrefix(platform, client.id),
            tags: {[TAG_KEYS.client]: client.id, [TAG_KEYS.managedBy]: MANAGED_BY, [TAG_KEYS.tier]: client.tier},
          },
        }
      : {}),
  }))
  const state = config.state
  const alerts = alertDestination(config)
  return {
    accountsToForget: sorted
      .filter((client) => !clients.some((entry) => entry.id === client.id && entry.newAccount))
      .map((client) => client.id),
    ...(alerts ? {alerts} : {}),
    alertsTopic: `${platform}-platform-alerts`,
    bootstrapRole: config.accounts.bootstrapRole,
    clientRoles: {
      admin: CLIENT_ROLES[0],
      app: CLIENT_ROLES[1],
      provisioner: PLATFORM_ROLES[1],
      readOnly: CLIENT_ROLES[2],
    },
    clients,
    ...(config.domain ? {dns: {name: config.domain, ...(config.dns.zoneId ? {id: config.dns.zoneId} : {})}} : {}),
    forgotten: LEGACY_COST_TAG_ADDRESSES,
    id: PLATFORM_STACK_ID,
    imageRepository: {
      name: imageRepositoryName(platform),
      replicaRegions: [...new Set(live.map((client) => client.region))].filter((other) => other !== region).sort(),
    },
    kind: 'platform',
    managementAccountId,
    platform,
    region,
    roles: {
      admin: PLATFORM_ROLES[0],
      dnsDelegation: DNS_DELEGATION_ROLE,
      monitoring: PLATFORM_ROLES[2],
      provisioner: PLATFORM_ROLES[1],
    },
    ...(state.backend === 's3'
      ? {
          stateBucket: {
            arn: `arn:aws:s3:::${state.bucket}`,
            bucket: state.bucket,
            keyAlias: `alias/${platform}/terraform-state`,
            keyPrefix: state.keyPrefix,
            region: state.region,
          },
        }
      : {}),
    tags: {[TAG_KEYS.managedBy]: MANAGED_BY, [TAG_KEYS.stack]: PLATFORM_STACK_ID},
    terraform: stackTerraformSettings(config),
    trail: {
      arn: `arn:aws:cloudtrail:${region}:${managementAccountId}:trail/${trailName}`,
      bucket: trailBucket,
      bucketArn: `arn:aws:s3:::${trailBucket}`,
      keyAlias: `alias/${platform}/cloudtrail`,
      name: trailName,
    },
  }
}

/** The id of a client's bootstrap stack: its folder is cdktf.out/stacks/<client>/bootstrap. */
export function bootstrapStackId(clientId: string): string {
  return `${clientId}/bootstrap`
}

/**
 * The bootstrap stack of one client account (applied from the management account, before the
 * client stack): the SeiketsuClientProvisioner role the client stack's provider assumes, trusting
 * only the platform's provisioner role, and the service-linked roles a new account lacks.
 */
export interface BootstrapStackModel {
  kind: 'bootstrap'
  id: string
  clientId: string
  platform: string
  terraform: StackTerraformSettings
  accountId: string
  managementAccountId: string
  region: string
  tags: Record<string, string>
  /** The role the management account assumes in the client account to apply this stack. */
  bootstrapRoleArn: string
  provisionerRole: string
  /** The platform's provisioner role (management account): the only principal the client provisioner trusts. */
  platformProvisionerRoleArn: string
  /** What already exists in the account and is imported instead of created. */
  adopt: readonly BootstrapAdoptable[]
}

export function buildBootstrapStackModel(config: WorkspaceConfig, client: ClientManifest): BootstrapStackModel {
  if (!client.accountId) throw new Error(`client ${client.id} has no account: it has no bootstrap stack`)
  return {
    accountId: client.accountId,
    adopt: client.bootstrap?.adopt ?? [],
    bootstrapRoleArn: `arn:aws:iam::${client.accountId}:role/${client.bootstrap?.role ?? config.accounts.bootstrapRole}`,
    clientId: client.id,
    id: bootstrapStackId(client.id),
    kind: 'bootstrap',
    managementAccountId: config.managementAccountId,
    platform: config.platform,
    platformProvisionerRoleArn: `arn:aws:iam::${config.managementAccountId}:role/${PLATFORM_ROLES[1]}`,
    provisionerRole: PROVISIONER_ROLE,
    region: client.region,
    tags: {[TAG_KEYS.client]: client.id, [TAG_KEYS.managedBy]: MANAGED_BY, [TAG_KEYS.stack]: 'bootstrap'},
    terraform: stackTerraformSettings(config),
  }
}

/**
 * A name within AWS's length limit: itself when short enough, else cut and suffixed with a hash of
 * the whole name, so that it stays unique and the same on every synth.
 */
export function boundedName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6)
  return `${name.slice(0, maxLength - hash.length - 1).replace(/-+$/, '')}-${hash}`
}

export type StackModel = ClientStackModel | BootstrapStackModel | PlatformStackModel
export type StackKind = StackModel['kind']
