import {randomBytes, randomUUID} from 'node:crypto'

import {awsJsonError, epochSeconds, type AwsReply, type JsonHandler} from './protocol.ts'
import {callerScope} from './sts.ts'

/**
 * ECS for RunTask and DescribeTasks (JSON 1.1, `X-Amz-Target:
 * AmazonEC2ContainerServiceV20141113.<Op>`), stateful, per account and region like the other fakes.
 * A task moves one step along its lifecycle on each DescribeTasks call that sees it:
 * PROVISIONING (RunTask's answer) → PENDING → RUNNING → STOPPED, and ends the way its task
 * definition's `outcome` says: the container exits with a code, the task fails to start with a
 * reason (CannotPullContainerError, ResourceInitializationError…; PENDING → STOPPED with stopCode
 * TaskFailedToStart), or it never stops. ECS's input checks are followed: unknown clusters and
 * task definitions, awsvpc without a network configuration, empty or unknown subnets, the length
 * limits of startedBy and clientToken, clientToken idempotency; DescribeTasks answers an unknown
 * task with a `failures` entry (reason MISSING); `runFailures` makes RunTask answer with `failures`
 * (no task), as it does when it cannot place one.
 */

export const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113'

export type FakeTaskOutcome = {exitCode: number; reason?: string} | {failToStart: string} | {neverStops: true}

export interface FakeTaskDefinition {
  accountId: string
  region: string
  family: string
  revision: number
  arn: string
  containers: string[]
  networkMode: 'awsvpc' | 'bridge'
  outcome: FakeTaskOutcome
}

export interface FakeEcsTask {
  accountId: string
  region: string
  taskArn: string
  clusterArn: string
  definition: FakeTaskDefinition
  request: Record<string, unknown>
  clientToken?: string
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED'
  createdAt: Date
  startedAt?: Date
  stoppedAt?: Date
  /** DescribeTasks calls that saw this task. */
  described: number
  /** DescribeTasks calls that did not see it yet (eventual consistency). */
  unseen: number
  containerArns: string[]
}

export class FakeEcs {
  readonly clusters: {accountId: string; region: string; name: string; arn: string}[] = []
  readonly taskDefinitions: FakeTaskDefinition[] = []
  readonly tasks: FakeEcsTask[] = []
  /** Subnets that exist, per account; a RunTask naming another is refused as EC2 would. */
  readonly subnets = new Map<string, Set<string>>()
  /** RunTask answers these as `failures` (and starts nothing), first in first out. */
  readonly runFailures: {reason: string; detail?: string}[] = []
  /** Eventual consistency: DescribeTasks answers MISSING for a new task this many times before it sees it. */
  invisibleDescribes = 0

  addCluster(accountId: string, region: string, name: string): string {
    const arn = `arn:aws:ecs:${region}:${accountId}:cluster/${name}`
    this.clusters.push({accountId, arn, name, region})
    return arn
  }

  addTaskDefinition(input: {
    accountId: string
    region: string
    family: string
    containers?: string[]
    outcome?: FakeTaskOutcome
    networkMode?: 'awsvpc' | 'bridge'
  }): FakeTaskDefinition {
    const revision = this.taskDefinitions.filter((definition) => definition.family === input.family).length + 1
    const definition: FakeTaskDefinition = {
      accountId: input.accountId,
      arn: `arn:aws:ecs:${input.region}:${input.accountId}:task-definition/${input.family}:${revision}`,
      containers: input.containers ?? ['db-setup'],
      family: input.family,
      networkMode: input.networkMode ?? 'awsvpc',
      outcome: input.outcome ?? {exitCode: 0},
      region: input.region,
      revision,
    }
    this.taskDefinitions.push(definition)
    return definition
  }

  addSubnets(accountId: string, ...ids: string[]): void {
    const known = this.subnets.get(accountId) ?? new Set<string>()
    for (const id of ids) known.add(id)
    this.subnets.set(accountId, known)
  }

  handlers(): Record<string, JsonHandler> {
    return {
      DescribeTasks: (body, call) => this.describeTasks(body, callerScope(call)),
      RunTask: (body, call) => this.runTask(body, callerScope(call)),
    }
  }

  private cluster(where: {accountId: string; region: string}, id: unknown) {
    const name = String(id ?? 'default')
    return this.clusters.find(
      (cluster) =>
        cluster.accountId === where.accountId &&
        cluster.region === where.region &&
        (cluster.name === name || cluster.arn === name),
    )
  }

  private definition(where: {accountId: string; region: string}, id: string): FakeTaskDefinition | undefined {
    const mine = this.taskDefinitions.filter(
      (definition) => definition.accountId === where.accountId && definition.region === where.region,
    )
    const [family, revision] = id.startsWith('arn:') ? [undefined, undefined] : id.split(':')
    if (id.startsWith('arn:')) return mine.find((definition) => definition.arn === id)
    const ofFamily = mine.filter((definition) => definition.family === family)
    return revision === undefined ? ofFamily.at(-1) : ofFamily.find((d) => d.revision === Number(revision))
  }

  private runTask(body: Record<string, unknown>, where: {accountId: string; region: string} | AwsReply): AwsReply {
    if ('body' in where) return where
    const cluster = this.cluster(where, body.cluster)
    if (!cluster) return awsJsonError('ClusterNotFoundException', 'Cluster not found.')
    const definition = this.definition(where, String(body.taskDefinition ?? ''))
    if (!definition) return awsJsonError('ClientException', 'TaskDefinition not found.')
    const count = Number(body.count ?? 1)
    if (count < 1 || count > 10) return awsJsonError('InvalidParameterException', 'count must be between 1 and 10.')
    if (typeof body.startedBy === 'string' && body.startedBy.length > 128)
      return awsJsonError('InvalidParameterException', 'startedBy must be at most 128 characters.')
    const token = body.clientToken as string | undefined
    if (token !== undefined && (token.length > 64 || !/^[!-~]+$/.test(token)))
      return awsJsonError('InvalidParameterException', 'clientToken must be 1-64 characters in the range 33-126.')
    const network = (body.networkConfiguration as {awsvpcConfiguration?: Record<string, unknown>} | undefined)
      ?.awsvpcConfiguration
    if (definition.networkMode === 'awsvpc') {
      if (!network)
        return awsJsonError(
          'InvalidParameterException',
          "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        )
      const subnets = (network.subnets as string[] | undefined) ?? []
      if (subnets.length === 0) return awsJsonError('InvalidParameterException', 'subnets can not be empty.')
      const known = this.subnets.get(where.accountId)
      const unknown = known ? subnets.find((subnet) => !known.has(subnet)) : undefined
      if (unknown)
        return awsJsonError(
          'InvalidParameterException',
          `Error retrieving subnet information for [${unknown}]: The subnet ID '${unknown}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)`,
        )
      if (network.assignPublicIp !== undefined && !['ENABLED', 'DISABLED'].includes(String(network.assignPublicIp)))
        return awsJsonError('InvalidParameterException', `Invalid assignPublicIp ${String(network.assignPublicIp)}`)
    }
    if (token) {
      const earlier = this.tasks.find((task) => task.clientToken === token && task.accountId === where.accountId)
      if (earlier) return {body: {failures: [], tasks: [this.taskView(earlier)]}}
    }
    const failure = this.runFailures.shift()
    if (failure) return {body: {failures: [{arn: definition.arn, ...failure}], tasks: []}}
    const task: FakeEcsTask = {
      accountId: where.accountId,
      clientToken: token,
      clusterArn: cluster.arn,
      containerArns: definition.containers.map(
        () => `arn:aws:ecs:${where.region}:${where.accountId}:container/${cluster.name}/${randomUUID()}`,
      ),
      createdAt: new Date(),
      definition,
      described: 0,
      lastStatus: 'PROVISIONING',
      unseen: 0,
      region: where.region,
      request: body,
      taskArn: `arn:aws:ecs:${where.region}:${where.accountId}:task/${cluster.name}/${randomBytes(16).toString('hex')}`,
    }
    this.tasks.push(task)
    return {body: {failures: [], tasks: [this.taskView(task)]}}
  }

  private describeTasks(
    body: Record<string, unknown>,
    where: {accountId: string; region: string} | AwsReply,
  ): AwsReply {
    if ('body' in where) return where
    const cluster = this.cluster(where, body.cluster)
    if (!cluster) return awsJsonError('ClusterNotFoundException', 'Cluster not found.')
    const ids = (body.tasks as string[] | undefined) ?? []
    if (ids.length === 0 || ids.length > 100)
      return awsJsonError('InvalidParameterException', 'Tasks must contain between 1 and 100 items.')
    const tasks: Record<string, unknown>[] = []
    const failures: {arn: string; reason: string}[] = []
    for (const id of ids) {
      const task = this.tasks.find(
        (candidate) =>
          candidate.clusterArn === cluster.arn && (candidate.taskArn === id || candidate.taskArn.endsWith(`/${id}`)),
      )
      if (!task || task.unseen < this.invisibleDescribes) {
        if (task) task.unseen++
        failures.push({arn: id, reason: 'MISSING'})
        continue
      }
      task.described++
      this.advance(task)
      tasks.push(this.taskView(task))
    }
    return {body: {failures, tasks}}
  }

  /** One step along the lifecycle, as seen by one more DescribeTasks. */
  private advance(task: FakeEcsTask): void {
    const outcome = task.definition.outcome
    if (task.lastStatus === 'PROVISIONING') task.lastStatus = 'PENDING'
    else if (task.lastStatus === 'PENDING') {
      if ('failToStart' in outcome) {
        task.lastStatus = 'STOPPED'
        task.stoppedAt = new Date()
      } else {
        task.lastStatus = 'RUNNING'
        task.startedAt = new Date()
      }
    } else if (task.lastStatus === 'RUNNING' && !('neverStops' in outcome)) {
      task.lastStatus = 'STOPPED'
      task.stoppedAt = new Date()
    }
  }

  private taskView(task: FakeEcsTask): Record<string, unknown> {
    const outcome = task.definition.outcome
    const stopped = task.lastStatus === 'STOPPED'
    const failedToStart = 'failToStart' in outcome
    const containers = task.definition.containers.map((name, index) => ({
      containerArn: task.containerArns[index],
      lastStatus: stopped ? 'STOPPED' : task.lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING',
      name,
      taskArn: task.taskArn,
      ...(stopped && 'exitCode' in outcome
        ? {exitCode: outcome.exitCode, ...(outcome.reason ? {reason: outcome.reason} : {})}
        : {}),
      ...(stopped && failedToStart ? {reason: outcome.failToStart} : {}),
    }))
    const request = task.request
    return {
      attachments: [
        {
          details: (
            ((request.networkConfiguration as {awsvpcConfiguration?: {subnets?: string[]}} | undefined)
              ?.awsvpcConfiguration?.subnets ?? []) as string[]
          ).map((value) => ({name: 'subnetId', value})),
          id: randomUUID(),
          status: stopped ? 'DELETED' : 'PRECREATED',
          type: 'ElasticNetworkInterface',
        },
      ],
      clusterArn: task.clusterArn,
      containers,
      createdAt: epochSeconds(task.createdAt),
      desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
      group: `family:${task.definition.family}`,
      lastStatus: task.lastStatus,
      launchType: request.launchType,
      startedAt: epochSeconds(task.startedAt),
      startedBy: request.startedBy,
      ...(stopped
        ? {
            stopCode: failedToStart ? 'TaskFailedToStart' : 'EssentialContainerExited',
            stoppedAt: epochSeconds(task.stoppedAt),
            stoppedReason: failedToStart ? outcome.failToStart : 'Essential container in task exited',
          }
        : {}),
      taskArn: task.taskArn,
      taskDefinitionArn: task.definition.arn,
    }
  }
}
