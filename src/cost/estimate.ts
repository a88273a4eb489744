import {readConfiguration, type Resource, type TerraformJson} from '../configuration/model.ts'
import {defaultProvider, providerOf} from '../configuration/providers.ts'
import {indexResources, references, resolve, type ResourceIndex} from '../configuration/references.ts'
import type {PricedResourceType} from '../configuration/resource-catalogue.ts'
import {block, blocks, isTrue, literal, num} from '../configuration/values.ts'
import {usageError} from '../errors.ts'
import {gatedCountOf} from '../stacks/model.ts'
import {decimal, sum, type Decimal} from './money.ts'
import {
  priceRef,
  type DeploymentPrice,
  type Price,
  type PriceRef,
  type PriceTable,
  type UsageAssumptions,
} from './prices.ts'

/**
 * The offline estimate: a stack's Terraform JSON + price tables + usage assumptions → the monthly
 * cost, component by component. Pure (data in, data out) and exact: quantities and amounts are
 * decimals; nothing is rounded except log storage volumes (see below).
 */

/** One line of an estimate: a priced quantity of one kind of resource. */
export interface EstimateComponent {
  /** Terraform resource type, e.g. aws_nat_gateway. */
  resource: string
  /** How many resources of the stack this line covers. */
  count: number
  component: string
  region: string
  quantity: Decimal
  unit: string
  price: PriceRef
  monthly: Decimal
}

export interface StackEstimate {
  region: string
  hoursPerMonth: Decimal
  monthly: Decimal
  components: EstimateComponent[]
  /** Assumptions made on the way (shown under the table and in JSON). */
  notes: string[]
}

export interface EstimateInputs {
  /** Price tables by region; the stack's own region must be there. */
  prices: Record<string, PriceTable>
  usage: UsageAssumptions
  /** The client's region, used where the provider's region is not a literal. */
  region?: string
}

/** An AWS resource of the stack: how many instances its block creates, and in which region. */
interface StackResource extends Resource {
  /** Its literal `count`, else 1. */
  count: number
  region: string
}

/** What every pricing function reads, and the lines and notes they add to. */
interface Pricing {
  resources: StackResource[]
  index: ResourceIndex
  tableFor: (region: string) => PriceTable
  hours: Decimal
  usage: UsageAssumptions
  lines: Lines
  notes: string[]
}

/** Prices the resources of one type. */
type PricingFunction = (resources: StackResource[], pricing: Pricing) => void

/**
 * The pricing function of every type the resource catalogue calls priced, in the order the estimate
 * lists its lines (and looks its prices up: a missing price names the first one).
 */
const PRICING: {[type in PricedResourceType]: PricingFunction} = {
  aws_nat_gateway: priceNatGateways,
  aws_eip: priceAddresses,
  aws_lb: priceLoadBalancers,
  aws_ecs_service: priceFargate,
  aws_db_instance: priceDatabases,
  aws_elasticache_replication_group: priceReplicationGroups,
  aws_elasticache_cluster: priceCacheClusters,
  aws_kms_key: priceKeys,
  aws_secretsmanager_secret: priceSecrets,
  aws_cloudwatch_log_group: priceLogs,
  aws_s3_bucket: priceBuckets,
}

const PRICED_ORDER: readonly string[] = Object.keys(PRICING)

const GIB_PER_MIB = decimal('0.0009765625') // 1 / 1024, exact
const HOURS_PER_DAY = decimal(24)

/**
 * The AWS resources of the configuration with their count and region. `fallbackRegion` (the client's)
 * is used where a provider's region is an expression rather than a literal.
 */
function readStack(json: TerraformJson, fallbackRegion: string | undefined) {
  // The estimate's messages name addresses, never the file.
  const configuration = readConfiguration({file: 'cdk.tf.json', json})
  const region = defaultProvider(configuration)?.region ?? fallbackRegion
  if (!region)
    throw new TypeError('the configuration has no aws provider with a literal region, and no client region was given')
  const notes: string[] = []
  const resources = configuration.resources
    .filter((resource) => resource.type.startsWith('aws_'))
    .map((resource): StackResource => {
      let count = 1
      if (resource.values.count !== undefined) {
        const literalCount = num(resource.values.count)
        if (literalCount === undefined) notes.push(`${resource.address}: count is an expression; priced once`)
        else count = literalCount
      }
      const provider = providerOf(configuration, resource) ?? defaultProvider(configuration)
      return {...resource, count, region: provider?.region ?? fallbackRegion ?? region}
    })
  return {notes, region, resources}
}

export function estimateStack(json: TerraformJson, inputs: EstimateInputs): StackEstimate {
  const stack = readStack(json, inputs.region)
  const primary = inputs.prices[stack.region]
  if (!primary)
    throw usageError(`No price table loaded for ${stack.region}, the region of the stack`, {code: 'NO_PRICE_TABLE'})
  const notes = [...stack.notes]
  const fallbackNoted = new Set<string>()
  const tableFor = (region: string): PriceTable => {
    const table = inputs.prices[region]
    if (table) return table
    if (!fallbackNoted.has(region)) {
      fallbackNoted.add(region)
      notes.push(`no price table for ${region}: its resources are priced at ${stack.region} prices`)
    }
    return primary
  }
  const hours = primary.hoursPerMonth
  const lines = new Lines()
  const pricing: Pricing = {
    hours,
    index: indexResources(stack.resources),
    lines,
    notes,
    resources: stack.resources,
    tableFor,
    usage: inputs.usage,
  }
  for (const [type, price] of Object.entries(PRICING))
    price(
      stack.resources.filter((resource) => resource.type === type),
      pricing,
    )

  const components = lines.list()
  return {
    components,
    hoursPerMonth: hours,
    monthly: sum(components.map((line) => line.monthly)),
    notes,
    region: stack.region,
  }
}

/** NAT gateways: hours each; the client's NAT traffic once, over all of them. */
function priceNatGateways(natGateways: StackResource[], {hours, lines, tableFor, usage}: Pricing) {
  for (const nat of natGateways) {
    const table = tableFor(nat.region)
    lines.add(nat, 'NAT gateway hours', hours.times(nat.count), lookup(table, ['natGateway', 'hour']))
  }
  if (natGateways.length === 0) return
  const first = natGateways[0]!
  lines.add(
    {...first, count: natGateways.reduce((count, nat) => count + nat.count, 0)},
    'NAT data processed (usage)',
    usage.natGatewayDataGb,
    lookup(tableFor(first.region), ['natGateway', 'dataProcessedGb']),
  )
}

function priceAddresses(eips: StackResource[], {hours, lines, tableFor}: Pricing) {
  for (const eip of eips)
    lines.add(
      eip,
      'public IPv4 address hours',
      hours.times(eip.count),
      lookup(tableFor(eip.region), ['publicIpv4', 'hour']),
    )
}

function priceLoadBalancers(loadBalancers: StackResource[], {hours, lines, tableFor, usage}: Pricing) {
  for (const lb of loadBalancers) {
    const type = literal(lb.values.load_balancer_type) ?? 'application'
    const table = tableFor(lb.region)
    lines.add(lb, 'load balancer hours', hours.times(lb.count), lookup(table, ['loadBalancer', type, 'hour']))
    lines.add(
      lb,
      'load balancer capacity units (usage)',
      usage.albLcu.times(hours).times(lb.count),
      lookup(table, ['loadBalancer', type, 'lcuHour']),
    )
  }
}

/** Fargate: vCPU and GB hours of each service's task size × its task count (desired or the scaling minimum). */
function priceFargate(services: StackResource[], {hours, index, lines, notes, resources, tableFor}: Pricing) {
  const scalingTargets = resources.filter(
    (resource) => resource.type === 'aws_appautoscaling_target' && literal(resource.values.service_namespace) === 'ecs',
  )
  for (const service of services) {
    const launchType = literal(service.values.launch_type)
    const providers = blocks(service.values.capacity_provider_strategy).map((item) => literal(item.capacity_provider))
    const fargate = launchType === 'FARGATE' || providers.some((provider) => provider?.startsWith('FARGATE'))
    if (!fargate) {
      notes.push(`${service.address}: not a Fargate service (EC2 capacity is not priced)`)
      continue
    }
    const definition = resolve(index, service.values.task_definition, ['aws_ecs_task_definition'])
    const cpu = num(definition?.values.cpu)
    const memory = num(definition?.values.memory)
    if (!definition || cpu === undefined || memory === undefined)
      throw usageError(
        `${service.address}: its task definition (with literal cpu and memory) is not in the stack, so its Fargate size is unknown`,
        {code: 'UNPRICEABLE_STACK'},
      )
    const scaling =
      scalingTargets.find((target) => references(target.values.resource_id).includes(service.address)) ??
      (services.length === 1 && scalingTargets.length === 1 ? scalingTargets[0] : undefined)
    // A gated service (0 tasks until its image and secrets are ready) is priced as it will run.
    const count = (value: unknown) => num(value) ?? gatedCountOf(value) ?? 0
    const desired = count(service.values.desired_count)
    const minimum = count(scaling?.values.min_capacity)
    const tasks = Math.max(desired, minimum)
    const architecture =
      literal(block(definition.values.runtime_platform)?.cpu_architecture) === 'ARM64' ? 'linuxArm64' : 'linuxX86'
    const table = tableFor(service.region)
    const taskHours = decimal(tasks * service.count).times(hours)
    const vcpu = decimal(cpu).times(GIB_PER_MIB)
    const gb = decimal(memory).times(GIB_PER_MIB)
    const size = `${tasks} × ${vcpu.toFixed()} vCPU`
    lines.add(
      service,
      `Fargate vCPU (${size})`,
      taskHours.times(vcpu),
      lookup(table, ['fargate', architecture, 'vcpuHour']),
    )
    lines.add(
      service,
      `Fargate memory (${tasks} × ${gb.toFixed()} GB)`,
      taskHours.times(gb),
      lookup(table, ['fargate', architecture, 'gbHour']),
    )
  }
}

/** RDS: instance hours (Single- or Multi-AZ), storage; read replicas are instances of their own. */
function priceDatabases(instances: StackResource[], {hours, index, lines, tableFor}: Pricing) {
  for (const instance of instances) {
    const values = instance.values
    const replicaOf = values.replicate_source_db
    const source = resolve(index, replicaOf, ['aws_db_instance'])
    const isReplica = replicaOf !== undefined && replicaOf !== null
    const engine = literal(values.engine) ?? literal(source?.values.engine) ?? 'postgres'
    const instanceClass = literal(values.instance_class)
    if (!instanceClass)
      throw usageError(`${instance.address}: instance_class is not a literal; cannot price it`, {
        code: 'UNPRICEABLE_STACK',
      })
    const multiAz = isTrue(values.multi_az)
    const deployment = multiAz ? 'multiAz' : 'singleAz'
    const table = tableFor(instance.region)
    const label = `${instanceClass}${multiAz ? ', Multi-AZ' : ''}`
    lines.add(
      instance,
      `${isReplica ? 'read replica' : 'instance'} hours (${label})`,
      hours.times(instance.count),
      lookupDeployment(table, ['rds', engine, 'instanceHour', instanceClass], deployment, 'instance-hour'),
    )
    const storage = num(values.allocated_storage) ?? num(source?.values.allocated_storage)
    if (storage === undefined) continue
    const storageType = literal(values.storage_type) ?? literal(source?.values.storage_type) ?? 'gp2'
    lines.add(
      instance,
      `${storageType} storage${multiAz ? ' (Multi-AZ)' : ''}`,
      decimal(storage).times(instance.count),
      lookupDeployment(table, ['rds', 'storageGbMonth', storageType], deployment, 'GB-month'),
    )
  }
}

/** ElastiCache: node hours of every node of a replication group. */
function priceReplicationGroups(groups: StackResource[], pricing: Pricing) {
  for (const group of groups) {
    const values = group.values
    const clustered = num(values.num_node_groups)
    const nodes =
      num(values.num_cache_clusters) ??
      num(values.number_cache_clusters) ??
      (clustered ?? 1) * ((num(values.replicas_per_node_group) ?? 0) + 1)
    priceCacheNodes(group, nodes, pricing)
  }
}

/** ElastiCache: node hours of a cluster outside any replication group. */
function priceCacheClusters(clusters: StackResource[], pricing: Pricing) {
  for (const cluster of clusters) {
    if (cluster.values.replication_group_id !== undefined) continue // priced with its group
    priceCacheNodes(cluster, num(cluster.values.num_cache_nodes) ?? 1, pricing)
  }
}

function priceCacheNodes(resource: StackResource, nodes: number, {hours, lines, tableFor}: Pricing) {
  const engine = literal(resource.values.engine) ?? 'redis'
  const nodeType = literal(resource.values.node_type)
  if (!nodeType)
    throw usageError(`${resource.address}: node_type is not a literal; cannot price it`, {code: 'UNPRICEABLE_STACK'})
  lines.add(
    resource,
    `node hours (${nodes} × ${nodeType})`,
    hours.times(nodes * resource.count),
    lookup(tableFor(resource.region), ['elasticache', engine, 'nodeHour', nodeType]),
  )
}

function priceKeys(keys: StackResource[], {lines, tableFor}: Pricing) {
  for (const key of keys)
    lines.add(key, 'customer-managed keys', decimal(key.count), lookup(tableFor(key.region), ['kms', 'keyMonth']))
}

function priceSecrets(secrets: StackResource[], {lines, tableFor}: Pricing) {
  for (const secret of secrets)
    lines.add(
      secret,
      'secrets',
      decimal(secret.count),
      lookup(tableFor(secret.region), ['secretsManager', 'secretMonth']),
    )
}

/**
 * CloudWatch Logs: the client's ingestion once, split evenly over its log groups; storage is the
 * steady state of each group's retention (retention_in_days × 24 / hours-per-month months of its
 * share). That volume is rounded to 0.001 GB-month: the only rounding in an estimate.
 */
function priceLogs(groups: StackResource[], {hours, lines, tableFor, usage}: Pricing) {
  if (groups.length === 0) return
  const first = groups[0]!
  const table = tableFor(first.region)
  const total = groups.reduce((count, group) => count + group.count, 0)
  lines.add(
    {...first, count: total},
    'ingestion (usage)',
    usage.logIngestedGb,
    lookup(table, ['cloudwatchLogs', 'ingestedGb']),
  )
  const monthsKept = sum(
    groups.map((group) => {
      const days = num(group.values.retention_in_days)
      const months = days && days > 0 ? decimal(days).times(HOURS_PER_DAY).div(hours) : usage.logNeverExpireMonths
      return months.times(group.count)
    }),
  )
  const stored = usage.logIngestedGb.times(monthsKept).div(total).round(3)
  lines.add(
    {...first, count: total},
    'storage at retention (usage)',
    stored,
    lookup(table, ['cloudwatchLogs', 'storedGbMonth']),
  )
}

function priceBuckets(buckets: StackResource[], {lines, tableFor, usage}: Pricing) {
  for (const bucket of buckets)
    lines.add(
      bucket,
      'Standard storage (usage)',
      usage.s3StoredGbPerBucket.times(bucket.count),
      lookup(tableFor(bucket.region), ['s3', 'standardGbMonth']),
    )
}

/** Lines grouped by resource type, component, region and price: three NAT gateways are one line. */
class Lines {
  private readonly lines = new Map<string, EstimateComponent>()

  add(
    resource: Pick<StackResource, 'type' | 'count' | 'region'>,
    component: string,
    quantity: Decimal,
    price: PriceRef,
  ) {
    const key = [resource.type, component, resource.region, price.key].join('|')
    const existing = this.lines.get(key)
    const monthly = quantity.times(price.amount)
    if (existing) {
      existing.count += resource.count
      existing.quantity = existing.quantity.plus(quantity)
      existing.monthly = existing.monthly.plus(monthly)
      return
    }
    this.lines.set(key, {
      component,
      count: resource.count,
      monthly,
      price,
      quantity,
      region: resource.region,
      resource: resource.type,
      unit: price.unit,
    })
  }

  list(): EstimateComponent[] {
    const order = (type: string) => PRICED_ORDER.indexOf(type)
    return [...this.lines.values()].sort((a, b) => order(a.resource) - order(b.resource))
  }
}

function entryAt(table: PriceTable, path: string[]): unknown {
  let node: unknown = table.data
  for (const part of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined
  if (node !== undefined && node !== null) return node
  const key = path.join('.')
  throw usageError(`${table.file} has no price for ${key}`, {
    code: 'MISSING_PRICE',
    details: {file: table.file, key},
    suggestions: [
      `Add ${key} to ${table.file} (or to prices/${table.region}.yaml in the workspace), with its source and date.`,
    ],
  })
}

/** A price from the table, or exit 2 naming the file and the missing entry. */
function lookup(table: PriceTable, path: string[]): PriceRef {
  return priceRef(entryAt(table, path) as Price, path.join('.'))
}

/** A Single-AZ or Multi-AZ amount of an RDS entry (they share its source and date). */
function lookupDeployment(
  table: PriceTable,
  path: string[],
  deployment: 'singleAz' | 'multiAz',
  unit: string,
): PriceRef {
  const entry = entryAt(table, path) as DeploymentPrice
  return priceRef({...entry, price: entry[deployment], unit}, [...path, deployment].join('.'))
}
