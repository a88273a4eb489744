import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js'
import {S3BucketOwnershipControls} from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js'
import {S3BucketPolicy} from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js'
import {S3BucketPublicAccessBlock} from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js'
import {S3BucketServerSideEncryptionConfigurationA} from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js'
import {S3BucketVersioningA} from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js'
import {S3Bucket} from '@cdktf/provider-aws/lib/s3-bucket/index.js'
import {Construct} from 'constructs'

import {policyDocument, tlsOnlyStatement, type PolicyStatement} from '../policy.ts'

export interface HardenedBucketProps {
  name: string
  /** SSE-KMS with this key; without one, SSE-S3 (only for buckets AWS services can write to no other way). */
  key?: KmsKey
  /** Statements besides the TLS-only deny. */
  statements?: PolicyStatement[]
  lifecycle: S3BucketLifecycleConfigurationRule[]
  provider?: AwsProvider
}

/**
 * A bucket with every control the baseline asks for: default encryption, all four public-access
 * blocks, ACLs disabled (BucketOwnerEnforced), versioning, a TLS-only policy and a lifecycle.
 */
export class HardenedBucket extends Construct {
  readonly bucket: S3Bucket
  readonly versioning: S3BucketVersioningA
  readonly policy: S3BucketPolicy

  constructor(scope: Construct, id: string, props: HardenedBucketProps) {
    super(scope, id)
    const {provider} = props
    const arn = `arn:aws:s3:::${props.name}`
    this.bucket = new S3Bucket(this, 'bucket', {bucket: props.name, forceDestroy: false, provider})
    const bucket = this.bucket.id
    const publicAccess = new S3BucketPublicAccessBlock(this, 'publicAccess', {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      bucket,
      ignorePublicAcls: true,
      provider,
      restrictPublicBuckets: true,
    })
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      provider,
      rule: {objectOwnership: 'BucketOwnerEnforced'},
    })
    this.versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket,
      provider,
      versioningConfiguration: {status: 'Enabled'},
    })
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      provider,
      rule: [
        props.key
          ? {
              applyServerSideEncryptionByDefault: {kmsMasterKeyId: props.key.arn, sseAlgorithm: 'aws:kms'},
              bucketKeyEnabled: true,
            }
          : {applyServerSideEncryptionByDefault: {sseAlgorithm: 'AES256'}},
      ],
    })
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket,
      // S3 rejects a policy while the public-access block is being created.
      dependsOn: [publicAccess],
      policy: policyDocument([tlsOnlyStatement(arn), ...(props.statements ?? [])]),
      provider,
    })
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      dependsOn: [this.versioning],
      provider,
      rule: props.lifecycle,
    })
  }
}

/** Archive, then expire old versions; never leave incomplete uploads behind. */
export function archivalLifecycle(options: {
  archiveAfterDays: number
  storageClass: string
  noncurrentExpireDays: number
  expireAfterDays?: number
}): S3BucketLifecycleConfigurationRule[] {
  return [
    {
      abortIncompleteMultipartUpload: [{daysAfterInitiation: 7}],
      filter: [{prefix: ''}],
      id: 'archive',
      noncurrentVersionExpiration: [{noncurrentDays: options.noncurrentExpireDays}],
      status: 'Enabled',
      transition: [{days: options.archiveAfterDays, storageClass: options.storageClass}],
      ...(options.expireAfterDays ? {expiration: [{days: options.expireAfterDays}]} : {}),
    },
  ]
}
