import {expect} from 'chai'

import {loadRegistry} from '../../src/registry/registry.ts'
import {CLIENT_STACK_ADDRESSES} from '../../src/stacks/addresses.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import type {Tier} from '../../src/tiers/tiers.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {FLEET, makeFleetWorkspace} from './fleet.ts'
import {listOf, readStack, resourceOf, type StackDocument} from './helpers.ts'

/** A task bound of a gated service (`${var.ready ? N : 0}`): N, what it runs once the gate opens. */
function gated(value: unknown): number {
  const match = /^\$\{var\.service_enabled \? (\d+) : 0\}$/.exec(String(value))
  expect(match, `a gated task count: ${String(value)}`).to.not.equal(null)
  return Number(match![1])
}

function tierFigures(doc: StackDocument, platform: StackDocument) {
  const subnets = listOf(doc, 'aws_subnet')
  const database = resourceOf(doc, 'aws_db_instance', 'database_instance')
  const target = resourceOf(doc, 'aws_appautoscaling_target', 'app_scaling_target')
  const cache = resourceOf(doc, 'aws_elasticache_replication_group', 'cache_replication_group')
  const task = resourceOf(doc, 'aws_ecs_task_definition', 'app_task_definition')
  return {
    azs: new Set(subnets.map((subnet) => subnet.availability_zone)).size,
    budget: Number(
      resourceOf(platform, 'aws_budgets_budget', `budget-${JSON.parse(doc.text)['//'].metadata.stackName}`)
        .limit_amount,
    ),
    cacheNodes: cache.num_cache_clusters,
    cacheNodeType: cache.node_type,
    failover: cache.automatic_failover_enabled,
    instanceClass: database.instance_class,
    logRetention: listOf(doc, 'aws_cloudwatch_log_group')[0]!.retention_in_days,
    multiAz: database.multi_az,
    natGateways: listOf(doc, 'aws_nat_gateway').length,
    replicas: listOf(doc, 'aws_db_instance').filter((instance) => instance.replicate_source_db).length,
    subnets: subnets.length,
    taskCpu: Number(task.cpu),
    taskMax: gated(target.max_capacity),
    taskMemory: Number(task.memory),
    taskMin: gated(target.min_capacity),
  }
}

function expectedFigures(tier: Tier) {
  return {
    azs: tier.azCount,
    budget: tier.monthlyBudgetUsd,
    cacheNodes: tier.cache.nodes,
    cacheNodeType: tier.cache.nodeType,
    failover: tier.cache.nodes > 1,
    instanceClass: tier.database.instanceClass,
    logRetention: tier.logRetentionDays,
    multiAz: tier.database.multiAz,
    natGateways: tier.natGateways,
    replicas: tier.database.readReplicas,
    subnets: tier.azCount * 3,
    taskCpu: tier.task.cpu,
    taskMax: tier.task.maxTasks,
    taskMemory: tier.task.memoryMib,
    taskMin: tier.task.minTasks,
  }
}

describe('tiers in the client stack', () => {
  let workspace: Workspace
  const docs: Record<string, StackDocument> = {}

  before(async () => {
    // The service runs the tier's task counts once seiketsu plan opens its gate.
    workspace = await makeFleetWorkspace()
    const registry = await loadRegistry(workspace)
    const stacks = await synthesizeStacks(workspace, registry.clients)
    for (const stack of stacks) docs[stack.id] = await readStack(stack.file)
  })
  const figures = (id: string) => tierFigures(docs[id]!, docs.platform!)
  after(() => removeDir(workspace.root))

  for (const [tierName, clientId] of Object.entries(FLEET))
    it(`sizes a ${tierName} client from the tier data: AZs, NAT, Multi-AZ, replicas, task bounds, cache, budget`, () => {
      expect(figures(clientId)).to.deep.equal(expectedFigures(workspace.tiers[tierName]!))
    })

  it('differs between tiers where the shipped tiers differ', () => {
    const bronze = figures(FLEET.bronze)
    const enterprise = figures(FLEET.enterprise)
    expect([bronze.natGateways, enterprise.natGateways]).to.deep.equal([1, 3])
    expect([bronze.multiAz, enterprise.multiAz]).to.deep.equal([false, true])
    expect([bronze.replicas, enterprise.replicas]).to.deep.equal([0, 2])
    expect([bronze.taskMin, bronze.taskMax, enterprise.taskMin, enterprise.taskMax]).to.deep.equal([1, 3, 2, 10])
  })

  it('has every resource at the address other commands look for', () => {
    const addresses = (doc: StackDocument) =>
      Object.entries(doc.resource).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    const enterprise = addresses(docs[FLEET.enterprise]!)
    expect(enterprise).to.include.members(Object.values(CLIENT_STACK_ADDRESSES))
    expect(enterprise).to.include.members(['aws_db_instance.database_replica1', 'aws_db_instance.database_replica2'])
    expect(enterprise).to.include.members([
      'aws_secretsmanager_secret.secrets_elevenlabs',
      'aws_secretsmanager_secret.secrets_twilio',
    ])
    expect(addresses(docs[FLEET.bronze]!)).to.include('aws_secretsmanager_secret.secrets_mls')
  })

  it('makes read replicas encrypted, private copies of the primary', () => {
    const replicas = listOf(docs[FLEET.enterprise]!, 'aws_db_instance').filter(
      (instance) => instance.replicate_source_db,
    )
    expect(replicas.map((replica) => replica.identifier)).to.deep.equal([
      'seiketsu-dunmore-db-replica-1',
      'seiketsu-dunmore-db-replica-2',
    ])
    for (const replica of replicas)
      expect(replica).to.include({
        deletion_protection: true,
        publicly_accessible: false,
        replicate_source_db: '${aws_db_instance.database_instance.identifier}',
        storage_encrypted: true,
      })
    // RDS works on one follower of a primary at a time: each waits for the one before, then backup replication.
    expect(replicas.map((replica) => replica.depends_on)).to.deep.equal([
      ['aws_db_instance.database_instance'],
      ['aws_db_instance.database_replica1'],
    ])
    expect(
      resourceOf(
        docs[FLEET.enterprise]!,
        'aws_db_instance_automated_backups_replication',
        'database_backup_replication',
      ).depends_on,
    ).to.deep.equal(['aws_db_instance.database_replica2'])
  })

  it('spreads private subnets over the NAT gateways the tier has', () => {
    const routes = listOf(docs[FLEET.bronze]!, 'aws_route').filter((route) => route.nat_gateway_id)
    expect(routes.map((route) => route.nat_gateway_id)).to.deep.equal([
      '${aws_nat_gateway.network_nat_gateway1.id}',
      '${aws_nat_gateway.network_nat_gateway1.id}',
    ])
  })

  it('follows a tier overridden in seiketsu.yaml (data, not tier names)', async () => {
    const overridden = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222', tier: 'bronze'})],
      configText: (text) =>
        text.replace(
          'tiers: {}',
          'tiers:\n  bronze:\n    natGateways: 2\n    database: {readReplicas: 1}\n    task: {maxTasks: 4}',
        ),
    })
    try {
      const registry = await loadRegistry(overridden)
      const stacks = await synthesizeStacks(overridden, registry.clients)
      const read = (kind: string) => readStack(stacks.find((stack) => stack.kind === kind)!.file)
      const overriddenFigures = tierFigures(await read('client'), await read('platform'))
      expect(overriddenFigures).to.deep.include({natGateways: 2, replicas: 1, taskMax: 4})
      expect(overriddenFigures).to.deep.equal(expectedFigures(overridden.tiers.bronze!))
    } finally {
      await removeDir(overridden.root)
    }
  })
})
