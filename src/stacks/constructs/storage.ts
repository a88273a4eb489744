import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import {S3BucketReplicationConfigurationA} from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration/index.js'
import {Construct} from 'constructs'

import type {ClientStackModel} from '../model.ts'
import {serviceTrustPolicy} from '../policy.ts'
import {HardenedBucket, archivalLifecycle} from './bucket.ts'
import {roleWithPolicies} from './role.ts'

/**
 * The client's data bucket (SSE-KMS with the client key) replicated to a DR bucket in the DR region
 * (SSE-KMS with the backup key), and the bucket the ALB writes its access logs to.
 */
export class ClientStorage extends Construct {
  readonly data: HardenedBucket
  readonly disasterRecovery: HardenedBucket
  readonly accessLogs: HardenedBucket
  readonly replication: S3BucketReplicationConfigurationA

  constructor(
    scope: Construct,
    id: string,
    model: ClientStackModel,
    keys: {key: KmsKey; backupKey: KmsKey},
    drProvider: AwsProvider,
  ) {
    super(scope, id)
    const {arns, names} = model
    const archival = archivalLifecycle({archiveAfterDays: 90, noncurrentExpireDays: 365, storageClass: 'GLACIER_IR'})
    this.data = new HardenedBucket(this, 'data', {key: keys.key, lifecycle: archival, name: names.dataBucket})
    this.disasterRecovery = new HardenedBucket(this, 'disasterRecovery', {
      key: keys.backupKey,
      lifecycle: archival,
      name: names.drBucket,
      provider: drProvider,
    })

    const replicationRole = roleWithPolicies(this, 'replicationRole', {
      description: `Replicates the data bucket of ${model.id} to its DR bucket`,
      name: names.roles.replication,
      policies: {
        'replicate-to-dr': [
          {
            Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
            Resource: arns.dataBucket,
            Sid: 'ReadReplicationConfiguration',
          },
          {
            Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
            Resource: `${arns.dataBucket}/*`,
            Sid: 'ReadSourceVersions',
          },
          {
            Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
            Resource: `${arns.drBucket}/*`,
            Sid: 'WriteReplicas',
          },
          {Action: 'kms:Decrypt', Resource: keys.key.arn, Sid: 'DecryptSource'},
          {Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Resource: keys.backupKey.arn, Sid: 'EncryptReplicas'},
        ],
      },
      trust: serviceTrustPolicy('s3.amazonaws.com', model.account.id),
    }).role
    this.replication = new S3BucketReplicationConfigurationA(this, 'replication', {
      bucket: this.data.bucket.id,
      dependsOn: [this.data.versioning, this.disasterRecovery.versioning],
      role: replicationRole.arn,
      rule: [
        {
          deleteMarkerReplication: {status: 'Enabled'},
          destination: {
            bucket: this.disasterRecovery.bucket.arn,
            encryptionConfiguration: {replicaKmsKeyId: keys.backupKey.arn},
          },
          filter: {prefix: ''},
          id: 'disaster-recovery',
          sourceSelectionCriteria: {sseKmsEncryptedObjects: {status: 'Enabled'}},
          status: 'Enabled',
        },
      ],
    })

    // ALB access logs: ELB writes them with SSE-S3 only (it cannot use a KMS key), so this bucket
    // alone uses S3-managed keys; it holds request metadata, never client data.
    const delivery =
      'accountId' in model.elbLogDelivery
        ? {AWS: `arn:aws:iam::${model.elbLogDelivery.accountId}:root`}
        : {Service: model.elbLogDelivery.service}
    this.accessLogs = new HardenedBucket(this, 'accessLogs', {
      lifecycle: archivalLifecycle({
        archiveAfterDays: 30,
        expireAfterDays: model.logRetentionDays,
        noncurrentExpireDays: 30,
        storageClass: 'GLACIER_IR',
      }),
      name: names.accessLogBucket,
      statements: [
        {
          Action: 's3:PutObject',
          Principal: delivery,
          Resource: `${arns.accessLogBucket}/alb/AWSLogs/${model.account.id}/*`,
          Sid: 'ElasticLoadBalancingWritesAccessLogs',
        },
      ],
    })
  }
}
