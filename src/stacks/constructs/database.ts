import type {CloudwatchLogGroup} from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js'
import {DbInstanceAutomatedBackupsReplication} from '@cdktf/provider-aws/lib/db-instance-automated-backups-replication/index.js'
import {DbInstance} from '@cdktf/provider-aws/lib/db-instance/index.js'
import {DbParameterGroup} from '@cdktf/provider-aws/lib/db-parameter-group/index.js'
import {DbSubnetGroup} from '@cdktf/provider-aws/lib/db-subnet-group/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import type {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import type {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import {Construct} from 'constructs'

import {PORTS, type ClientStackModel} from '../model.ts'
import {encryptedLogGroup} from './log-group.ts'

/**
 * RDS PostgreSQL in the isolated subnets: never public, encrypted with the client key, TLS forced
 * (`rds.force_ssl`), IAM authentication, a master password RDS creates and rotates in Secrets
 * Manager (Terraform never sees it), deletion protection, daily backups kept 30 days (point-in-time
 * recovery over the same window) and copied to the DR region under the backup key. Multi-AZ and
 * read replicas come from the tier.
 */
export class ClientDatabase extends Construct {
  readonly instance: DbInstance
  readonly replicas: DbInstance[]
  readonly parameterGroup: DbParameterGroup
  readonly subnetGroup: DbSubnetGroup
  readonly backupReplication: DbInstanceAutomatedBackupsReplication
  readonly logGroup: CloudwatchLogGroup

  constructor(
    scope: Construct,
    id: string,
    model: ClientStackModel,
    deps: {
      key: KmsKey
      backupKey: KmsKey
      drProvider: AwsProvider
      isolatedSubnets: Subnet[]
      securityGroup: SecurityGroup
    },
  ) {
    super(scope, id)
    const {database, names} = model
    this.subnetGroup = new DbSubnetGroup(this, 'subnetGroup', {
      description: `Isolated subnets of ${model.id}`,
      name: names.databaseSubnetGroup,
      subnetIds: deps.isolatedSubnets.map((subnet) => subnet.id),
    })
    this.parameterGroup = new DbParameterGroup(this, 'parameterGroup', {
      description: `PostgreSQL settings of ${model.id}: TLS only, slow queries logged`,
      family: database.parameterFamily,
      name: names.databaseParameterGroup,
      parameter: [
        {applyMethod: 'pending-reboot', name: 'rds.force_ssl', value: '1'},
        {applyMethod: 'immediate', name: 'log_min_duration_statement', value: '500'},
      ],
    })
    // RDS would create this group itself, unencrypted and kept forever: create it first.
    this.logGroup = encryptedLogGroup(this, 'logGroup', {
      key: deps.key,
      name: names.logGroups.database,
      retentionDays: model.logRetentionDays,
    })
    const common = {
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      deletionProtection: true,
      iamDatabaseAuthenticationEnabled: true,
      instanceClass: database.instanceClass,
      kmsKeyId: deps.key.arn,
      parameterGroupName: this.parameterGroup.name,
      port: PORTS.postgres,
      publiclyAccessible: false,
      storageEncrypted: true,
      storageType: 'gp3',
      vpcSecurityGroupIds: [deps.securityGroup.id],
    }
    this.instance = new DbInstance(this, 'instance', {
      ...common,
      allocatedStorage: database.allocatedStorageGb,
      backupRetentionPeriod: database.backupRetentionDays,
      backupWindow: '03:00-04:00',
      dbName: database.databaseName,
      dbSubnetGroupName: this.subnetGroup.name,
      dependsOn: [this.logGroup],
      enabledCloudwatchLogsExports: ['postgresql'],
      engine: database.engine,
      engineVersion: database.engineVersion,
      finalSnapshotIdentifier: names.databaseFinalSnapshot,
      identifier: names.database,
      maintenanceWindow: 'sun:04:30-sun:05:30',
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: deps.key.arn,
      maxAllocatedStorage: database.maxAllocatedStorageGb,
      multiAz: database.multiAz,
      skipFinalSnapshot: false,
      username: database.masterUsername,
    })
    // Replicas inherit engine, storage, credentials and subnets from the source instance. RDS works on
    // one of them at a time (a second CreateDBInstanceReadReplica, or starting backup replication,
    // while the source is busy fails with InvalidDBInstanceState): each waits for the one before.
    this.replicas = []
    for (const [index, identifier] of names.databaseReplicas.entries())
      this.replicas.push(
        new DbInstance(this, `replica${index + 1}`, {
          ...common,
          dependsOn: [this.replicas.at(-1) ?? this.instance],
          identifier,
          replicateSourceDb: this.instance.identifier,
          skipFinalSnapshot: true,
        }),
      )
    this.backupReplication = new DbInstanceAutomatedBackupsReplication(this, 'backupReplication', {
      dependsOn: [this.replicas.at(-1) ?? this.instance],
      kmsKeyId: deps.backupKey.arn,
      provider: deps.drProvider,
      retentionPeriod: database.backupRetentionDays,
      sourceDbInstanceArn: this.instance.arn,
    })
  }
}
