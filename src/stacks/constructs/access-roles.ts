import type {DbInstance} from '@cdktf/provider-aws/lib/db-instance/index.js'
import type {ElasticacheReplicationGroup} from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js'
import type {ElasticacheUser} from '@cdktf/provider-aws/lib/elasticache-user/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {SecretsmanagerSecret} from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js'
import {Construct} from 'constructs'

import type {ClientStackModel} from '../model.ts'
import {roleTrustPolicy, serviceTrustPolicy, type PolicyStatement} from '../policy.ts'
import {roleWithPolicies} from './role.ts'

/**
 * The seed's client roles: SeiketsuClientAdmin (operators, from the management account's platform
 * admin role), SeiketsuClientApp (the ECS task role) and SeiketsuClientReadOnly (monitoring, from
 * the management account's monitoring role). Every statement names its actions and the ARNs of
 * this client's own resources; none uses a wildcard action.
 */
export class ClientAccessRoles extends Construct {
  readonly admin: IamRole
  readonly app: IamRole
  readonly readOnly: IamRole

  constructor(
    scope: Construct,
    id: string,
    model: ClientStackModel,
    deps: {
      key: KmsKey
      backupKey: KmsKey
      database: DbInstance
      replicas: DbInstance[]
      cache: ElasticacheReplicationGroup
      cacheUser: ElasticacheUser
      /** Every secret of the client, the JWT signing keys included. */
      secrets: SecretsmanagerSecret[]
    },
  ) {
    super(scope, id)
    const {arns, names} = model
    const databaseArns = [
      arns.database,
      ...names.databaseReplicas.map((name) => arns.database.replace(names.database, name)),
    ]
    const logGroups = [arns.appLogGroup, arns.flowLogGroup, arns.databaseLogGroup, arns.cacheLogGroup]
    const queues = [arns.queue, arns.deadLetterQueue]
    const readStatements: PolicyStatement[] = [
      {
        Action: ['logs:DescribeLogStreams', 'logs:FilterLogEvents', 'logs:GetLogEvents'],
        Resource: [...logGroups, ...logGroups.map((arn) => `${arn}:log-stream:*`)],
        Sid: 'ReadClientLogs',
      },
      {Action: 'cloudwatch:DescribeAlarms', Resource: arns.alarms, Sid: 'ReadClientAlarms'},
      {Action: 'ecs:DescribeClusters', Resource: arns.cluster, Sid: 'ReadCluster'},
      {Action: 'ecs:DescribeServices', Resource: arns.service, Sid: 'ReadService'},
      {Action: 'rds:DescribeDBInstances', Resource: databaseArns, Sid: 'ReadDatabase'},
      {Action: 'elasticache:DescribeReplicationGroups', Resource: arns.cacheGroup, Sid: 'ReadCache'},
      {Action: 'sqs:GetQueueAttributes', Resource: queues, Sid: 'ReadQueues'},
    ]

    this.admin = roleWithPolicies(this, 'admin', {
      description: `Operators' full access to client ${model.id}'s own resources`,
      maxSessionDuration: 3600,
      name: names.roles.admin,
      policies: {
        operate: [
          {Action: 'ecs:UpdateService', Resource: arns.service, Sid: 'DeployAndScaleService'},
          {
            Action: ['rds:ModifyDBInstance', 'rds:RebootDBInstance'],
            Resource: databaseArns,
            Sid: 'OperateDatabase',
          },
          {Action: 'elasticache:ModifyReplicationGroup', Resource: arns.cacheGroup, Sid: 'OperateCache'},
          {
            Action: [
              'secretsmanager:DescribeSecret',
              'secretsmanager:GetSecretValue',
              'secretsmanager:PutSecretValue',
              'secretsmanager:UpdateSecretVersionStage',
            ],
            Resource: deps.secrets.map((secret) => secret.arn),
            Sid: 'ManageClientSecrets',
          },
          {
            Action: [
              'kms:Decrypt',
              'kms:DescribeKey',
              'kms:Encrypt',
              'kms:GenerateDataKey',
              'kms:GetKeyRotationStatus',
              'kms:RotateKeyOnDemand',
            ],
            Resource: [deps.key.arn, deps.backupKey.arn],
            Sid: 'UseAndRotateClientKeys',
          },
          {Action: 's3:ListBucket', Resource: arns.dataBucket, Sid: 'ListClientData'},
          {
            Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
            Resource: `${arns.dataBucket}/*`,
            Sid: 'ManageClientData',
          },
          {
            Action: ['sqs:PurgeQueue', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
            Resource: queues,
            Sid: 'OperateQueues',
          },
          {
            Action: ['cloudwatch:DisableAlarmActions', 'cloudwatch:EnableAlarmActions', 'cloudwatch:SetAlarmState'],
            Resource: arns.alarms,
            Sid: 'OperateAlarms',
          },
        ],
        read: readStatements,
      },
      trust: roleTrustPolicy(model.managementAccountId, [arns.platformAdminRole]),
    }).role

    // rds-db:connect names each instance by its resource id (db-…), known only once it exists.
    const databaseUsers = [deps.database, ...deps.replicas].map(
      (instance) =>
        `arn:aws:rds-db:${model.region}:${model.account.id}:dbuser:${instance.resourceId}/${model.database.appUsername}`,
    )
    this.app = roleWithPolicies(this, 'app', {
      description: `The voice-agent application of client ${model.id} (ECS task role)`,
      name: names.roles.app,
      policies: {
        application: [
          {Action: 's3:ListBucket', Resource: arns.dataBucket, Sid: 'ListClientData'},
          {
            Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
            Resource: `${arns.dataBucket}/*`,
            Sid: 'ReadWriteClientData',
          },
          {Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: deps.key.arn, Sid: 'UseClientKey'},
          {
            Action: [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:ReceiveMessage',
              'sqs:SendMessage',
            ],
            Resource: arns.queue,
            Sid: 'UseWorkQueue',
          },
          {
            Action: 'rds-db:connect',
            Resource: databaseUsers.length === 1 ? databaseUsers[0]! : databaseUsers,
            Sid: 'ConnectToDatabaseWithIam',
          },
          // Redis with IAM authentication: the app's cache user on the client's replication group.
          {
            Action: 'elasticache:Connect',
            Resource: [deps.cache.arn, deps.cacheUser.arn],
            Sid: 'ConnectToCacheWithIam',
          },
        ],
      },
      trust: serviceTrustPolicy('ecs-tasks.amazonaws.com', model.account.id),
    }).role

    this.readOnly = roleWithPolicies(this, 'readOnly', {
      description: `Monitoring and reporting on client ${model.id}; no access to its data`,
      maxSessionDuration: 3600,
      name: names.roles.readOnly,
      policies: {read: readStatements},
      trust: roleTrustPolicy(model.managementAccountId, [arns.monitoringRole]),
    }).role
  }
}
