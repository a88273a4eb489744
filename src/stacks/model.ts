import {createHash} from 'node:crypto'

import {
  CLIENT_ROLES,
  PLATFORM_ROLES,
  PLATFORM_STACK_ID,
  clientBackupKeyAlias,
  clientKeyAlias,
  integrationSecretName,
  jwtKeysSecretName,
  provisionerRoleArn,
  resourcePrefix,
} from '../naming.ts'
import {subdivide} from '../registry/cidr.ts'
import {
  SECRET_INTEGRATIONS,
  enabledIntegrations,
  type ClientManifest,
  type IntegrationName,
} from '../registry/manifest.ts'
import {MINIMUM_TERRAFORM_VERSION} from '../terraform/binary.ts'
import type {Tier} from '../tiers/tiers.ts'
import type {WorkspaceConfig} from '../workspace/config.ts'

/**
 * The stack models: everything a stack needs, computed from the workspace settings, one client
 * manifest and its tier. Pure data in, data out: the constructs only turn a model into resources,
 * and the audit can rebuild the same model to know what a stack must contain.
 */

export const MANAGED_BY = 'seiketsu'

/** Default tags of every resource; also the cost-allocation keys the platform stack activates. */
export const TAG_KEYS = {client: 'seiketsu:client', managedBy: 'seiketsu:managed-by', tier: 'seiketsu:tier'} as const
export const COST_ALLOCATION_TAGS: readonly string[] = [TAG_KEYS.client, TAG_KEYS.tier, TAG_KEYS.managedBy]

export const PORTS = {app: 8000, https: 443, postgres: 5432, redis: 6379} as const

/** TLS 1.3 only: the seed asks for TLS 1.3 on every API call. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-3-2021-06'

/** The seed's auto-scaling strategy (multi-tenant-architecture.md, "Auto-Scaling Strategy"). */
export const SEED_SCALING = {
  cooldownSeconds: 300,
  cpuHighPercent: 70,
  /** Scale-in trigger: the seed gives none, so CPU well below the scale-out mark for 15 minutes. */
  cpuLowPercent: 30,
  memoryHighPercent: 80,
  queueDepthHigh: 100,
  responseTimeHighSeconds: 0.5,
  scaleInBy: 1,
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
  budget: string
  logGroups: {app: string; flowLogs: string; database: string; cache: string}
  roles: {
    admin: string
    app: string
    readOnly: string
    execution: string
    flowLogs: string
    replication: string
  }
  alarms: {
    cpuHigh: string
    memoryHigh: string
    responseTimeHigh: string
    queueDepthHigh: string
    cpuLow: string
    unhealthyTargets: string
  }
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
    budget: string
    platformAdminRole: string
    monitoringRole: string
    imageRepository: string
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
  scaling: typeof SEED_SCALING
  logRetentionDays: number
  /** KMS automatic rotation period of the client keys (`keys.kmsRotationDays`, as rotate-keys sets it). */
  keyRotationDays: number
  monthlyBudgetUsd: number
  /** Who may write the ALB access logs: the region's ELB account, or the log-delivery service. */
  elbLogDelivery: {accountId: string} | {service: string}
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

  const names: ClientNames = {
    accessLogBucket: `${prefix}-alb-logs`,
    alarmTopic: `${prefix}-alarms`,
    alarms: {
      cpuHigh: `${prefix}-cpu-high`,
      cpuLow: `${prefix}-cpu-low`,
      memoryHigh: `${prefix}-memory-high`,
      queueDepthHigh: `${prefix}-queue-depth-high`,
      responseTimeHigh: `${prefix}-response-time-high`,
      unhealthyTargets: `${prefix}-unhealthy-targets`,
    },
    backupKeyAlias: clientBackupKeyAlias(platform, client.id),
    budget: `${prefix}-monthly`,
    cacheGroup: boundedName(prefix, 40),
    cacheSubnetGroup: `${prefix}-cache`,
    cluster: prefix,
    container: 'app',
    dataBucket: `${prefix}-data`,
    database: `${prefix}-db`,
    databaseFinalSnapshot: `${prefix}-db-final`,
    databaseParameterGroup: `${prefix}-postgres`,
    databaseReplicas: Array.from(
      {length: tier.database.readReplicas},
      (_, index) => `${prefix}-db-replica-${index + 1}`,
    ),
    databaseSubnetGroup: `${prefix}-db`,
    deadLetterQueue: `${prefix}-work-dlq`,
    drBucket: `${prefix}-data-dr`,
    keyAlias: clientKeyAlias(platform, client.id),
    loadBalancer: boundedName(prefix, 32),
    logGroups: {
      app: `/${platform}/${client.id}/app`,
      cache: `/${platform}/${client.id}/redis-slow-log`,
      database: `/aws/rds/instance/${prefix}-db/postgresql`,
      flowLogs: `/${platform}/${client.id}/vpc-flow-logs`,
    },
    prefix,
    queue: `${prefix}-work`,
    roles: {
      admin: CLIENT_ROLES[0],
      app: CLIENT_ROLES[1],
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
  const imageRepository = `${platform}/voice-agent`

  return {
    account: {id: accountId, pending: client.accountId === null},
    arns: {
      accessLogBucket: `arn:aws:s3:::${names.accessLogBucket}`,
      accountRoot: `arn:aws:iam::${accountId}:root`,
      alarmTopic: regional('sns', names.alarmTopic),
      alarms: Object.values(names.alarms).map((name) => regional('cloudwatch', `alarm:${name}`)),
      appLogGroup: logGroupArn(names.logGroups.app),
      budget: `arn:aws:budgets::${accountId}:budget/${names.budget}`,
      cacheGroup: regional('elasticache', `replicationgroup:${names.cacheGroup}`),
      cacheLogGroup: logGroupArn(names.logGroups.cache),
      cluster: regional('ecs', `cluster/${names.cluster}`),
      dataBucket: `arn:aws:s3:::${names.dataBucket}`,
      database: regional('rds', `db:${names.database}`),
      databaseLogGroup: logGroupArn(names.logGroups.database),
      deadLetterQueue: regional('sqs', names.deadLetterQueue),
      drBucket: `arn:aws:s3:::${names.drBucket}`,
      flowLogGroup: logGroupArn(names.logGroups.flowLogs),
      imageRepository: `arn:aws:ecr:${client.region}:${config.managementAccountId}:repository/${imageRepository}`,
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
    domain: endpointDomain(config, client.id),
    drRegion: client.drRegion,
    elbLogDelivery: ELB_LOG_DELIVERY_ACCOUNTS[client.region]
      ? {accountId: ELB_LOG_DELIVERY_ACCOUNTS[client.region]!}
      : {service: ELB_LOG_DELIVERY_SERVICE},
    id: client.id,
    integrationSecrets: enabledIntegrations(client)
      .filter((integration) => SECRET_INTEGRATIONS.includes(integration))
      .map((integration) => ({
        envName: `${integration.toUpperCase()}_CREDENTIALS`,
        integration,
        name: integrationSecretName(platform, client.id, integration),
      })),
    jwtKeysSecretName: jwtKeysSecretName(platform, client.id),
    keyRotationDays: config.keys.kmsRotationDays,
    kind: 'client',
    logRetentionDays: tier.logRetentionDays,
    managementAccountId: config.managementAccountId,
    monthlyBudgetUsd: tier.monthlyBudgetUsd,
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
    tags: {[TAG_KEYS.client]: client.id, [TAG_KEYS.managedBy]: MANAGED_BY, [TAG_KEYS.tier]: tier.name},
    task: {
      cpu: tier.task.cpu,
      image: `${config.managementAccountId}.dkr.ecr.${client.region}.amazonaws.com/${imageRepository}:stable`,
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
  /** Organizations account to create (clients without an account that are not offboarded). */
  newAccount?: {name: string; email: string; tags: Record<string, string>}
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
  roles: {admin: string; provisioner: string; monitoring: string}
  clientRoles: {admin: string; app: string; readOnly: string; provisioner: string}
  trail: {name: string; bucket: string; keyAlias: string; arn: string; bucketArn: string}
  stateBucket?: {bucket: string; region: string; keyPrefix: string; keyAlias: string; arn: string}
  costAllocationTags: readonly string[]
}

/** The model of the management-account stack, from the whole registry (not only selected clients). */
export function buildPlatformStackModel(
  config: WorkspaceConfig,
  allClients: readonly ClientManifest[],
): PlatformStackModel {
  const {platform, managementAccountId, region} = config
  const trailName = `${platform}-organization`
  const trailBucket = `${platform}-${managementAccountId}-cloudtrail`
  const sorted = [...allClients].sort((a, b) => a.id.localeCompare(b.id))
  const clients = sorted
    .filter((client) => client.status !== 'offboarded')
    .map((client): PlatformClientModel => ({
      accountId: client.accountId,
      id: client.id,
      ...(client.accountId === null
        ? {
            newAccount: {
              email: client.email,
              name: resourcePrefix(platform, client.id),
              tags: {[TAG_KEYS.client]: client.id, [TAG_KEYS.managedBy]: MANAGED_BY, [TAG_KEYS.tier]: client.tier},
            },
          }
        : {}),
    }))
  const state = config.state
  return {
    accountsToForget: sorted
      .filter((client) => !clients.some((entry) => entry.id === client.id && entry.newAccount))
      .map((client) => client.id),
    clientRoles: {
      admin: CLIENT_ROLES[0],
      app: CLIENT_ROLES[1],
      provisioner: PLATFORM_ROLES[1],
      readOnly: CLIENT_ROLES[2],
    },
    clients,
    costAllocationTags: COST_ALLOCATION_TAGS,
    id: PLATFORM_STACK_ID,
    kind: 'platform',
    managementAccountId,
    platform,
    region,
    roles: {admin: PLATFORM_ROLES[0], monitoring: PLATFORM_ROLES[2], provisioner: PLATFORM_ROLES[1]},
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
    tags: {[TAG_KEYS.managedBy]: MANAGED_BY, 'seiketsu:stack': PLATFORM_STACK_ID},
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

/**
 * A name within AWS's length limit: itself when short enough, else cut and suffixed with a hash of
 * the whole name, so that it stays unique and the same on every synth.
 */
export function boundedName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6)
  return `${name.slice(0, maxLength - hash.length - 1).replace(/-+$/, '')}-${hash}`
}
