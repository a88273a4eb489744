import {AppautoscalingPolicy} from '@cdktf/provider-aws/lib/appautoscaling-policy/index.js'
import {AppautoscalingTarget} from '@cdktf/provider-aws/lib/appautoscaling-target/index.js'
import type {CloudwatchMetricAlarm} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js'
import type {DbInstance} from '@cdktf/provider-aws/lib/db-instance/index.js'
import {EcsCluster} from '@cdktf/provider-aws/lib/ecs-cluster/index.js'
import {EcsService} from '@cdktf/provider-aws/lib/ecs-service/index.js'
import {EcsTaskDefinition} from '@cdktf/provider-aws/lib/ecs-task-definition/index.js'
import type {ElasticacheReplicationGroup} from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js'
import type {CloudwatchLogGroup} from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {LbListener} from '@cdktf/provider-aws/lib/lb-listener/index.js'
import type {LbTargetGroup} from '@cdktf/provider-aws/lib/lb-target-group/index.js'
import type {Lb} from '@cdktf/provider-aws/lib/lb/index.js'
import type {SecretsmanagerSecret} from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js'
import type {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import type {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import {SqsQueue} from '@cdktf/provider-aws/lib/sqs-queue/index.js'
import type {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import {Token} from 'cdktf'
import {Construct} from 'constructs'

import {PORTS, type ClientStackModel} from '../model.ts'
import {serviceTrustPolicy, type PolicyStatement} from '../policy.ts'
import {encryptedLogGroup} from './log-group.ts'
import {roleWithPolicies} from './role.ts'
import {serviceAlarms} from './service-alarms.ts'

export interface ClientServiceDeps {
  key: KmsKey
  privateSubnets: Subnet[]
  securityGroup: SecurityGroup
  loadBalancer: Lb
  targetGroup: LbTargetGroup
  listener: LbListener
  taskRole: IamRole
  integrationSecrets: {envName: string; secret: SecretsmanagerSecret}[]
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
 */
export class ClientService extends Construct {
  readonly cluster: EcsCluster
  readonly insightsLogGroup: CloudwatchLogGroup
  readonly taskDefinition: EcsTaskDefinition
  readonly service: EcsService
  readonly executionRole: IamRole
  readonly queue: SqsQueue
  readonly deadLetterQueue: SqsQueue
  readonly scalingTarget: AppautoscalingTarget
  readonly scaleOut: AppautoscalingPolicy
  readonly scaleIn: AppautoscalingPolicy
  readonly alarms: CloudwatchMetricAlarm[]

  constructor(scope: Construct, id: string, model: ClientStackModel, deps: ClientServiceDeps) {
    super(scope, id)
    const {arns, names, scaling, task} = model
    this.deadLetterQueue = new SqsQueue(this, 'deadLetterQueue', {
      kmsDataKeyReusePeriodSeconds: 300,
      kmsMasterKeyId: deps.key.arn,
      messageRetentionSeconds: 1_209_600,
      name: names.deadLetterQueue,
    })
    this.queue = new SqsQueue(this, 'queue', {
      kmsDataKeyReusePeriodSeconds: 300,
      kmsMasterKeyId: deps.key.arn,
      name: names.queue,
      redrivePolicy: JSON.stringify({deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: 5}),
      visibilityTimeoutSeconds: 120,
    })

    // Container Insights would create this group itself, unencrypted and kept forever: create it first.
    this.insightsLogGroup = encryptedLogGroup(this, 'insightsLogGroup', {
      key: deps.key,
      name: names.logGroups.containerInsights,
      retentionDays: model.logRetentionDays,
    })
    this.cluster = new EcsCluster(this, 'cluster', {
      dependsOn: [this.insightsLogGroup],
      name: names.cluster,
      setting: [{name: 'containerInsights', value: 'enabled'}],
    })
    const logGroup = encryptedLogGroup(this, 'logGroup', {
      key: deps.key,
      name: names.logGroups.app,
      retentionDays: model.logRetentionDays,
    })
    const secretStatements: PolicyStatement[] =
      deps.integrationSecrets.length > 0
        ? [
            {
              Action: 'secretsmanager:GetSecretValue',
              Resource: deps.integrationSecrets.map(({secret}) => secret.arn),
              Sid: 'InjectIntegrationSecrets',
            },
          ]
        : []
    this.executionRole = roleWithPolicies(this, 'executionRole', {
      description: `Starts the tasks of client ${model.id}: pulls the image, writes logs, injects secrets`,
      name: names.roles.execution,
      policies: {
        'start-tasks': [
          // GetAuthorizationToken has no resource-level permissions: AWS only accepts "*" here.
          {Action: 'ecr:GetAuthorizationToken', Resource: '*', Sid: 'EcrLogin'},
          {
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Resource: arns.imageRepository,
            Sid: 'PullAppImage',
          },
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `${arns.appLogGroup}:log-stream:*`,
            Sid: 'WriteAppLogs',
          },
          ...secretStatements,
          {Action: 'kms:Decrypt', Resource: deps.key.arn, Sid: 'DecryptSecrets'},
        ],
      },
      trust: serviceTrustPolicy('ecs-tasks.amazonaws.com', model.account.id),
    }).role

    const environment = [
      ['SEIKETSU_CLIENT_ID', model.id],
      ['AWS_REGION', model.region],
      ['PORT', String(PORTS.app)],
      ['DATABASE_HOST', deps.database.address],
      // Read replicas (comma-separated; empty on tiers without): same user, same IAM authentication. A
      // literal join of references: a join() call would put quotes inside the container JSON.
      ['DATABASE_READ_HOSTS', deps.replicas.map((replica) => replica.address).join(',')],
      ['DATABASE_PORT', String(PORTS.postgres)],
      ['DATABASE_NAME', model.database.databaseName],
      ['DATABASE_USER', model.database.appUsername],
      ['DATABASE_AUTH', 'iam'],
      ['REDIS_HOST', deps.cache.primaryEndpointAddress],
      ['REDIS_PORT', String(PORTS.redis)],
      ['REDIS_TLS', 'true'],
      ['REDIS_USER', deps.cacheUser],
      ['REDIS_AUTH', 'iam'],
      ['DATA_BUCKET', deps.dataBucket],
      ['WORK_QUEUE_URL', this.queue.url],
    ].map(([name, value]) => ({name, value}))
    this.taskDefinition = new EcsTaskDefinition(this, 'taskDefinition', {
      containerDefinitions: JSON.stringify([
        {
          environment,
          essential: true,
          image: task.image,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': names.logGroups.app,
              'awslogs-region': model.region,
              'awslogs-stream-prefix': 'app',
            },
          },
          // The root filesystem is read-only; scratch space is this task-local volume.
          mountPoints: [{containerPath: '/tmp', readOnly: false, sourceVolume: 'scratch'}],
          name: names.container,
          portMappings: [{containerPort: PORTS.app, protocol: 'tcp'}],
          privileged: false,
          readonlyRootFilesystem: true,
          secrets: deps.integrationSecrets.map(({envName, secret}) => ({name: envName, valueFrom: secret.arn})),
        },
      ]),
      cpu: String(task.cpu),
      dependsOn: [logGroup],
      executionRoleArn: this.executionRole.arn,
      family: names.taskFamily,
      memory: String(task.memoryMib),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      runtimePlatform: {cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX'},
      taskRoleArn: deps.taskRole.arn,
      volume: [{name: 'scratch'}],
    })
    const gated = (tasks: number) => gatedTaskCount(model.serviceGate, tasks)
    this.service = new EcsService(this, 'service', {
      cluster: this.cluster.id,
      dependsOn: [deps.listener],
      deploymentCircuitBreaker: {enable: true, rollback: true},
      desiredCount: gated(task.minTasks),
      enableEcsManagedTags: true,
      healthCheckGracePeriodSeconds: 60,
      launchType: 'FARGATE',
      // Auto scaling owns the task count once the service exists.
      lifecycle: {ignoreChanges: ['desired_count']},
      loadBalancer: [{containerName: names.container, containerPort: PORTS.app, targetGroupArn: deps.targetGroup.arn}],
      name: names.service,
      networkConfiguration: {
        assignPublicIp: false,
        securityGroups: [deps.securityGroup.id],
        subnets: deps.privateSubnets.map((subnet) => subnet.id),
      },
      platformVersion: 'LATEST',
      propagateTags: 'SERVICE',
      taskDefinition: this.taskDefinition.arn,
    })

    this.scalingTarget = new AppautoscalingTarget(this, 'scalingTarget', {
      maxCapacity: gated(task.maxTasks),
      minCapacity: gated(task.minTasks),
      resourceId: `service/${this.cluster.name}/${this.service.name}`,
      scalableDimension: 'ecs:service:DesiredCount',
      serviceNamespace: 'ecs',
    })
    const stepPolicy = (policyId: string, name: string, adjustment: number, bound: 'lower' | 'upper') =>
      new AppautoscalingPolicy(this, policyId, {
        name,
        policyType: 'StepScaling',
        resourceId: this.scalingTarget.resourceId,
        scalableDimension: this.scalingTarget.scalableDimension,
        serviceNamespace: this.scalingTarget.serviceNamespace,
        stepScalingPolicyConfiguration: {
          adjustmentType: 'ChangeInCapacity',
          cooldown: scaling.cooldownSeconds,
          metricAggregationType: 'Maximum',
          stepAdjustment: [
            bound === 'lower'
              ? {metricIntervalLowerBound: '0', scalingAdjustment: adjustment}
              : {metricIntervalUpperBound: '0', scalingAdjustment: adjustment},
          ],
        },
      })
    this.scaleOut = stepPolicy('scaleOut', `${names.prefix}-scale-out`, scaling.scaleOutBy, 'lower')
    this.scaleIn = stepPolicy('scaleIn', `${names.prefix}-scale-in`, -scaling.scaleInBy, 'upper')

    this.alarms = serviceAlarms(this, {
      alarmTopic: deps.alarmTopic,
      loadBalancer: deps.loadBalancer,
      names,
      scaleIn: this.scaleIn,
      scaleOut: this.scaleOut,
      scaling,
      targetGroup: deps.targetGroup,
    })
  }
}

/** The task count the service and its scaling target reach once the gate variable opens (`${var.x ? n : 0}`). */
export function gatedTaskCount(gate: ClientStackModel['serviceGate'], tasks: number): number {
  return Token.asNumber(`\${var.${gate.variable} ? ${tasks} : 0}`)
}
