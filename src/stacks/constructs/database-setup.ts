import type {DbInstance} from '@cdktf/provider-aws/lib/db-instance/index.js'
import type {EcsCluster} from '@cdktf/provider-aws/lib/ecs-cluster/index.js'
import {EcsTaskDefinition} from '@cdktf/provider-aws/lib/ecs-task-definition/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import type {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import {TerraformOutput, Token} from 'cdktf'
import {Construct} from 'constructs'

import {PORTS, type ClientStackModel} from '../model.ts'
import {serviceTrustPolicy} from '../policy.ts'
import {encryptedLogGroup} from './log-group.ts'
import {roleWithPolicies} from './role.ts'

/** The container of the setup task, as `seiketsu provision` names it when it reads the task's result. */
export const DATABASE_SETUP_CONTAINER = 'db-setup'

/**
 * What the setup task runs as the master user: the app's login (IAM authentication only, no
 * password), its grants, and nothing when they are already there, so running it again is harmless.
 */
export function databaseSetupSql(appUser: string, databaseName: string): string {
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${appUser}') THEN CREATE ROLE "${appUser}" LOGIN; END IF; END $$;`,
    `GRANT rds_iam TO "${appUser}";`,
    `GRANT CONNECT ON DATABASE "${databaseName}" TO "${appUser}";`,
    // PostgreSQL 15+ no longer lets every role create in the public schema.
    `GRANT USAGE, CREATE ON SCHEMA public TO "${appUser}";`,
  ].join(' ')
}

/**
 * The one-off task that creates the app's PostgreSQL role: nothing else can reach the isolated
 * database, so `seiketsu provision` runs this task (ECS RunTask, in the private subnets with the
 * app's security group, the only one the database accepts) after the database exists. Its
 * execution role alone may read the RDS-managed master secret, which ECS injects as PGPASSWORD;
 * the SQL is idempotent. The `database_setup` output tells seiketsu how to run it.
 */
export class ClientDatabaseSetup extends Construct {
  readonly taskDefinition: EcsTaskDefinition

  constructor(
    scope: Construct,
    id: string,
    model: ClientStackModel,
    deps: {
      key: KmsKey
      database: DbInstance
      cluster: EcsCluster
      privateSubnets: Subnet[]
      securityGroup: SecurityGroup
    },
  ) {
    super(scope, id)
    const {database, names} = model
    const logGroup = encryptedLogGroup(this, 'logGroup', {
      key: deps.key,
      name: names.logGroups.databaseSetup,
      retentionDays: model.logRetentionDays,
    })
    const masterSecret = deps.database.masterUserSecret.get(0).secretArn
    const executionRole = roleWithPolicies(this, 'executionRole', {
      description: `Runs the database user setup of client ${model.id}: the only role that reads its master secret`,
      name: names.roles.databaseSetup,
      policies: {
        'set-up-database': [
          {Action: 'secretsmanager:GetSecretValue', Resource: masterSecret, Sid: 'InjectMasterSecret'},
          // RDS encrypts the master secret with the client key (master_user_secret_kms_key_id).
          {Action: 'kms:Decrypt', Resource: deps.key.arn, Sid: 'DecryptMasterSecret'},
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `${model.arns.databaseSetupLogGroup}:log-stream:*`,
            Sid: 'WriteSetupLogs',
          },
        ],
      },
      trust: serviceTrustPolicy('ecs-tasks.amazonaws.com', model.account.id),
    }).role
    this.taskDefinition = new EcsTaskDefinition(this, 'taskDefinition', {
      containerDefinitions: JSON.stringify([
        {
          command: [
            'psql',
            '--no-psqlrc',
            '-v',
            'ON_ERROR_STOP=1',
            '-c',
            databaseSetupSql(database.appUsername, database.databaseName),
          ],
          environment: [
            ['PGHOST', deps.database.address],
            ['PGPORT', String(PORTS.postgres)],
            ['PGDATABASE', database.databaseName],
            ['PGUSER', database.masterUsername],
            ['PGSSLMODE', 'require'],
            ['PGCONNECT_TIMEOUT', '30'],
          ].map(([name, value]) => ({name, value})),
          essential: true,
          image: model.databaseSetup.image,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': names.logGroups.databaseSetup,
              'awslogs-region': model.region,
              'awslogs-stream-prefix': 'db-setup',
            },
          },
          mountPoints: [{containerPath: '/tmp', readOnly: false, sourceVolume: 'scratch'}],
          name: DATABASE_SETUP_CONTAINER,
          privileged: false,
          readonlyRootFilesystem: true,
          // The master password, straight from the secret RDS manages (its JSON key "password").
          secrets: [{name: 'PGPASSWORD', valueFrom: `${masterSecret}:password::`}],
        },
      ]),
      cpu: '256',
      dependsOn: [logGroup],
      executionRoleArn: executionRole.arn,
      family: names.databaseSetupTask,
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      runtimePlatform: {cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX'},
      volume: [{name: 'scratch'}],
    })
    new TerraformOutput(this, 'output', {
      description: 'How seiketsu provision runs the database user setup task (ECS RunTask).',
      // As a token: cdktf inspects a plain object value with the deprecated util.isArray (a warning on stderr).
      value: Token.asAny({
        cluster: deps.cluster.name,
        container: DATABASE_SETUP_CONTAINER,
        log_group: names.logGroups.databaseSetup,
        log_stream_prefix: 'db-setup',
        region: model.region,
        security_groups: [deps.securityGroup.id],
        subnets: deps.privateSubnets.map((subnet) => subnet.id),
        task_definition: this.taskDefinition.arn,
      }),
    }).overrideLogicalId('database_setup')
  }
}
