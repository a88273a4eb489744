import type {DbInstance} from '@cdktf/provider-aws/lib/db-instance/index.js'
import {EcsTaskDefinition} from '@cdktf/provider-aws/lib/ecs-task-definition/index.js'
import type {ElasticacheReplicationGroup} from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {SecretsmanagerSecret} from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js'
import type {SqsQueue} from '@cdktf/provider-aws/lib/sqs-queue/index.js'
import type {Construct} from 'constructs'

import {PORTS, type ClientNames, type ClientStackModel} from '../model.ts'
import {serviceTrustPolicy, type PolicyStatement} from '../policy.ts'
import {encryptedLogGroup} from './log-group.ts'
import {roleWithPolicies} from './role.ts'

/** A credential the container receives by ARN from Secrets Manager, in the environment variable `envName`. */
export interface InjectedSecret {
  envName: string
  secret: SecretsmanagerSecret
}

export interface TaskExecutionRoleProps {
  clientId: string
  accountId: string
  name: string
  arns: Pick<ClientStackModel['arns'], 'appLogGroup' | 'imageRepository'>
  /** The client key: the secrets are encrypted with it. */
  key: KmsKey
  secrets: InjectedSecret[]
}

/**
 * The role ECS starts the app's tasks with (not the task role the app itself runs as): it pulls the
 * image, writes the app's logs and reads the integration secrets it injects, nothing else.
 */
export function taskExecutionRole(scope: Construct, props: TaskExecutionRoleProps): IamRole {
  const {arns} = props
  const secretStatements: PolicyStatement[] =
    props.secrets.length > 0
      ? [
          {
            Action: 'secretsmanager:GetSecretValue',
            Resource: props.secrets.map(({secret}) => secret.arn),
            Sid: 'InjectIntegrationSecrets',
          },
        ]
      : []
  return roleWithPolicies(scope, 'executionRole', {
    description: `Starts the tasks of client ${props.clientId}: pulls the image, writes logs, injects secrets`,
    name: props.name,
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
        {Action: 'kms:Decrypt', Resource: props.key.arn, Sid: 'DecryptSecrets'},
      ],
    },
    trust: serviceTrustPolicy('ecs-tasks.amazonaws.com', props.accountId),
  }).role
}

/** What the app connects to, handed to it as environment variables. */
export interface AppConnections {
  database: DbInstance
  replicas: DbInstance[]
  databaseName: string
  databaseUser: string
  cache: ElasticacheReplicationGroup
  cacheUser: string
  dataBucket: string
  queue: SqsQueue
}

export interface AppTaskDefinitionProps {
  clientId: string
  region: string
  task: Pick<ClientStackModel['task'], 'cpu' | 'image' | 'memoryMib'>
  names: Pick<ClientNames, 'container' | 'taskFamily'> & {logGroup: string}
  logRetentionDays: number
  /** The client key, which encrypts the app's log group. */
  key: KmsKey
  executionRole: IamRole
  /** The role the app runs as (SeiketsuClientApp). */
  taskRole: IamRole
  connections: AppConnections
  secrets: InjectedSecret[]
}

/**
 * The app's Fargate task: one container on port 8000 with a read-only root filesystem, not
 * privileged, logging to its own encrypted log group, configured by environment variables, and
 * given its credentials by ARN (never a value in the task definition).
 */
export function appTaskDefinition(scope: Construct, props: AppTaskDefinitionProps): EcsTaskDefinition {
  const {names, task} = props
  const logGroup = encryptedLogGroup(scope, 'logGroup', {
    key: props.key,
    name: names.logGroup,
    retentionDays: props.logRetentionDays,
  })
  return new EcsTaskDefinition(scope, 'taskDefinition', {
    containerDefinitions: JSON.stringify([
      {
        environment: appEnvironment(props),
        essential: true,
        image: task.image,
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': names.logGroup,
            'awslogs-region': props.region,
            'awslogs-stream-prefix': 'app',
          },
        },
        // The root filesystem is read-only; scratch space is this task-local volume.
        mountPoints: [{containerPath: '/tmp', readOnly: false, sourceVolume: 'scratch'}],
        name: names.container,
        portMappings: [{containerPort: PORTS.app, protocol: 'tcp'}],
        privileged: false,
        readonlyRootFilesystem: true,
        secrets: props.secrets.map(({envName, secret}) => ({name: envName, valueFrom: secret.arn})),
      },
    ]),
    cpu: String(task.cpu),
    dependsOn: [logGroup],
    executionRoleArn: props.executionRole.arn,
    family: names.taskFamily,
    memory: String(task.memoryMib),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    runtimePlatform: {cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX'},
    taskRoleArn: props.taskRole.arn,
    volume: [{name: 'scratch'}],
  })
}

function appEnvironment(props: AppTaskDefinitionProps): {name: string; value: string}[] {
  const {connections} = props
  const variables: [string, string][] = [
    ['SEIKETSU_CLIENT_ID', props.clientId],
    ['AWS_REGION', props.region],
    ['PORT', String(PORTS.app)],
    ['DATABASE_HOST', connections.database.address],
    // Read replicas (comma-separated; empty on tiers without): same user, same IAM authentication. A
    // literal join of references: a join() call would put quotes inside the container JSON.
    ['DATABASE_READ_HOSTS', connections.replicas.map((replica) => replica.address).join(',')],
    ['DATABASE_PORT', String(PORTS.postgres)],
    ['DATABASE_NAME', connections.databaseName],
    ['DATABASE_USER', connections.databaseUser],
    ['DATABASE_AUTH', 'iam'],
    ['REDIS_HOST', connections.cache.primaryEndpointAddress],
    ['REDIS_PORT', String(PORTS.redis)],
    ['REDIS_TLS', 'true'],
    ['REDIS_USER', connections.cacheUser],
    ['REDIS_AUTH', 'iam'],
    ['DATA_BUCKET', connections.dataBucket],
    ['WORK_QUEUE_URL', connections.queue.url],
  ]
  return variables.map(([name, value]) => ({name, value}))
}
