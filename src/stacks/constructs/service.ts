import type {CloudwatchLogGroup} from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js'
import type {CloudwatchMetricAlarm} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js'
import type {DbInstance} from '@cdktf/provider-aws/lib/db-instance/index.js'
import {EcsCluster} from '@cdktf/provider-aws/lib/ecs-cluster/index.js'
import {EcsService} from '@cdktf/provider-aws/lib/ecs-service/index.js'
import type {EcsTaskDefinition} from '@cdktf/provider-aws/lib/ecs-task-definition/index.js'
import type {ElasticacheReplicationGroup} from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {LbListener} from '@cdktf/provider-aws/lib/lb-listener/index.js'
import type {LbTargetGroup} from '@cdktf/provider-aws/lib/lb-target-group/index.js'
import type {Lb} from '@cdktf/provider-aws/lib/lb/index.js'
import type {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import type {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import type {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import {Token} from 'cdktf'
import {Construct} from 'constructs'

import {PORTS, type ClientNames, type ClientStackModel} from '../model.ts'
import {appTaskDefinition, taskExecutionRole, type InjectedSecret} from './app-task.ts'
import {encryptedLogGroup} from './log-group.ts'
import {serviceAlarms} from './service-alarms.ts'
import {serviceScaling, type ServiceScaling} from './service-scaling.ts'
import {workQueue, type WorkQueue} from './work-queue.ts'

/** The slice of the client's model the service reads. */
export type ClientServiceModel = Pick<
  ClientStackModel,
  'account' | 'arns' | 'database' | 'id' | 'logRetentionDays' | 'names' | 'region' | 'scaling' | 'serviceGate' | 'task'
>

/** What the service uses from the rest of the client stack. */
export interface ClientServiceDeps {
  key: KmsKey
  /** Where the tasks run (no public IP). */
  privateSubnets: Subnet[]
  securityGroup: SecurityGroup
  loadBalancer: Lb
  targetGroup: LbTargetGroup
  /** ECS refuses a target group that no listener forwards to: the service waits for this one. */
  listener: LbListener
  /** The role the app runs as (SeiketsuClientApp). */
  taskRole: IamRole
  integrationSecrets: InjectedSecret[]
  database: DbInstance
  replicas: DbInstance[]
  cache: ElasticacheReplicationGroup
  cacheUser: string
  dataBucket: string
  alarmTopic: SnsTopic
}

/**
 * The voice-agent application: ECS Fargate tasks in the private subnets (no public IP, read-only
 * root filesystem, port 8000), credentials injected from Secrets Manager by ARN, a task role
 * (SeiketsuClientApp) separate from the execution role; the work queue (encrypted SQS); and the
 * seed's scaling: step scaling +2 when CPU > 70 %, memory > 80 %, response time > 0.5 s or queue
 * depth > 100, −1 only when all four are low, 5-minute cooldowns, bounded by the tier.
 *
 * The service runs no task that cannot start (model.serviceGate): its task counts wait on a bool
 * variable that seiketsu plan sets once the image is pinned by digest and every integration secret
 * holds a value. Until then the service exists with 0 tasks.
 *
 * Every resource is created in this construct's own scope (`app_<id>` addresses, `<client>/app/<id>`
 * paths): the families below are functions, not child constructs, so splitting them out moved nothing.
 */
export class ClientService extends Construct {
  readonly queues: WorkQueue
  readonly cluster: EcsCluster
  readonly insightsLogGroup: CloudwatchLogGroup
  readonly executionRole: IamRole
  readonly taskDefinition: EcsTaskDefinition
  readonly service: EcsService
  readonly scaling: ServiceScaling
  readonly alarms: CloudwatchMetricAlarm[]

  constructor(scope: Construct, id: string, model: ClientServiceModel, deps: ClientServiceDeps) {
    super(scope, id)
    const {names, task} = model
    this.queues = workQueue(this, {key: deps.key, names})
    const cluster = serviceCluster(this, {
      insightsLogGroup: names.logGroups.containerInsights,
      key: deps.key,
      logRetentionDays: model.logRetentionDays,
      name: names.cluster,
    })
    this.cluster = cluster.cluster
    this.insightsLogGroup = cluster.insightsLogGroup
    this.executionRole = taskExecutionRole(this, {
      accountId: model.account.id,
      arns: model.arns,
      clientId: model.id,
      key: deps.key,
      name: names.roles.execution,
      secrets: deps.integrationSecrets,
    })
    this.taskDefinition = appTaskDefinition(this, {
      clientId: model.id,
      connections: {
        cache: deps.cache,
        cacheUser: deps.cacheUser,
        dataBucket: deps.dataBucket,
        database: deps.database,
        databaseName: model.database.databaseName,
        databaseUser: model.database.appUsername,
        queue: this.queues.queue,
        replicas: deps.replicas,
      },
      executionRole: this.executionRole,
      key: deps.key,
      logRetentionDays: model.logRetentionDays,
      names: {container: names.container, logGroup: names.logGroups.app, taskFamily: names.taskFamily},
      region: model.region,
      secrets: deps.integrationSecrets,
      task,
      taskRole: deps.taskRole,
    })
    const gated = (tasks: number) => gatedTaskCount(model.serviceGate, tasks)
    this.service = fargateService(this, {
      cluster: this.cluster,
      desiredCount: gated(task.minTasks),
      listener: deps.listener,
      names,
      privateSubnets: deps.privateSubnets,
      securityGroup: deps.securityGroup,
      targetGroup: deps.targetGroup,
      taskDefinition: this.taskDefinition,
    })
    this.scaling = serviceScaling(this, {
      cluster: this.cluster,
      maxTasks: gated(task.maxTasks),
      minTasks: gated(task.minTasks),
      namePrefix: names.prefix,
      scaling: model.scaling,
      service: this.service,
    })
    this.alarms = serviceAlarms(this, {
      alarmTopic: deps.alarmTopic,
      loadBalancer: deps.loadBalancer,
      names,
      scaleIn: this.scaling.scaleIn,
      scaleOut: this.scaling.scaleOut,
      scaling: model.scaling,
      targetGroup: deps.targetGroup,
    })
  }
}

/**
 * The client's ECS cluster, with Container Insights. Insights would create its log group itself,
 * unencrypted and kept forever: it is created first, encrypted and with the tier's retention.
 */
function serviceCluster(
  scope: Construct,
  props: {name: string; insightsLogGroup: string; key: KmsKey; logRetentionDays: number},
): {cluster: EcsCluster; insightsLogGroup: CloudwatchLogGroup} {
  const insightsLogGroup = encryptedLogGroup(scope, 'insightsLogGroup', {
    key: props.key,
    name: props.insightsLogGroup,
    retentionDays: props.logRetentionDays,
  })
  const cluster = new EcsCluster(scope, 'cluster', {
    dependsOn: [insightsLogGroup],
    name: props.name,
    setting: [{name: 'containerInsights', value: 'enabled'}],
  })
  return {cluster, insightsLogGroup}
}

/**
 * The ECS service behind the load balancer's target group: Fargate tasks in the private subnets,
 * rolled back by the deployment circuit breaker when a deployment fails.
 */
function fargateService(
  scope: Construct,
  props: {
    names: Pick<ClientNames, 'container' | 'service'>
    cluster: EcsCluster
    taskDefinition: EcsTaskDefinition
    /** The task count the service starts with (gated). */
    desiredCount: number
    privateSubnets: Subnet[]
    securityGroup: SecurityGroup
    targetGroup: LbTargetGroup
    listener: LbListener
  },
): EcsService {
  const {names} = props
  return new EcsService(scope, 'service', {
    cluster: props.cluster.id,
    dependsOn: [props.listener],
    deploymentCircuitBreaker: {enable: true, rollback: true},
    desiredCount: props.desiredCount,
    enableEcsManagedTags: true,
    healthCheckGracePeriodSeconds: 60,
    launchType: 'FARGATE',
    // Auto scaling owns the task count once the service exists.
    lifecycle: {ignoreChanges: ['desired_count']},
    loadBalancer: [{containerName: names.container, containerPort: PORTS.app, targetGroupArn: props.targetGroup.arn}],
    name: names.service,
    networkConfiguration: {
      assignPublicIp: false,
      securityGroups: [props.securityGroup.id],
      subnets: props.privateSubnets.map((subnet) => subnet.id),
    },
    platformVersion: 'LATEST',
    propagateTags: 'SERVICE',
    taskDefinition: props.taskDefinition.arn,
  })
}

/** The task count the service and its scaling target reach once the gate variable opens (`${var.x ? n : 0}`). */
function gatedTaskCount(gate: ClientStackModel['serviceGate'], tasks: number): number {
  return Token.asNumber(`\${var.${gate.variable} ? ${tasks} : 0}`)
}
