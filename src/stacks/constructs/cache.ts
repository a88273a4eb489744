import {ElasticacheReplicationGroup} from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js'
import {ElasticacheSubnetGroup} from '@cdktf/provider-aws/lib/elasticache-subnet-group/index.js'
import {ElasticacheUserGroup} from '@cdktf/provider-aws/lib/elasticache-user-group/index.js'
import {ElasticacheUser} from '@cdktf/provider-aws/lib/elasticache-user/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import type {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import {Construct} from 'constructs'

import {PORTS, type ClientStackModel} from '../model.ts'
import {encryptedLogGroup} from './log-group.ts'

/**
 * ElastiCache Redis in the isolated subnets: a replication group encrypted at rest with the client
 * key and in transit (TLS required). Node count from the tier; failover whenever there is a replica.
 * Nobody connects as the default user: the group's only enabled user is the app's, authenticated
 * with IAM (`elasticache:Connect`, granted to SeiketsuClientApp alone), so reaching port 6379 is not
 * enough to read a client's cache.
 */
export class ClientCache extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup
  readonly subnetGroup: ElasticacheSubnetGroup
  readonly appUser: ElasticacheUser
  readonly userGroup: ElasticacheUserGroup

  constructor(
    scope: Construct,
    id: string,
    model: ClientStackModel,
    deps: {key: KmsKey; isolatedSubnets: Subnet[]; securityGroup: SecurityGroup},
  ) {
    super(scope, id)
    const {cache, names} = model
    this.subnetGroup = new ElasticacheSubnetGroup(this, 'subnetGroup', {
      description: `Isolated subnets of ${model.id}`,
      name: names.cacheSubnetGroup,
      subnetIds: deps.isolatedSubnets.map((subnet) => subnet.id),
    })
    const slowLog = encryptedLogGroup(this, 'slowLogGroup', {
      key: deps.key,
      name: names.logGroups.cache,
      retentionDays: model.logRetentionDays,
    })
    // Every user group must hold a user named "default": this one is switched off and can run nothing.
    const disabledDefault = new ElasticacheUser(this, 'disabledDefaultUser', {
      accessString: 'off -@all',
      authenticationMode: {type: 'no-password-required'},
      engine: 'REDIS',
      userId: names.cacheUsers.disabledDefault,
      userName: 'default',
    })
    // IAM authentication: the user name must equal the user id.
    this.appUser = new ElasticacheUser(this, 'appUser', {
      accessString: 'on ~* +@all -@dangerous',
      authenticationMode: {type: 'iam'},
      engine: 'REDIS',
      userId: names.cacheUsers.app,
      userName: names.cacheUsers.app,
    })
    this.userGroup = new ElasticacheUserGroup(this, 'userGroup', {
      engine: 'REDIS',
      userGroupId: names.cacheUsers.group,
      userIds: [disabledDefault.userId, this.appUser.userId],
    })
    this.replicationGroup = new ElasticacheReplicationGroup(this, 'replicationGroup', {
      atRestEncryptionEnabled: 'true',
      autoMinorVersionUpgrade: 'true',
      automaticFailoverEnabled: cache.automaticFailover,
      description: `Redis of client ${model.id}`,
      engine: 'redis',
      engineVersion: cache.engineVersion,
      kmsKeyId: deps.key.arn,
      logDeliveryConfiguration: [
        {destination: slowLog.name, destinationType: 'cloudwatch-logs', logFormat: 'json', logType: 'slow-log'},
      ],
      multiAzEnabled: cache.automaticFailover,
      nodeType: cache.nodeType,
      numCacheClusters: cache.nodes,
      port: PORTS.redis,
      replicationGroupId: names.cacheGroup,
      securityGroupIds: [deps.securityGroup.id],
      snapshotRetentionLimit: 7,
      subnetGroupName: this.subnetGroup.name,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      userGroupIds: [this.userGroup.userGroupId],
    })
  }
}
