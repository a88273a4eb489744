import {Cloudtrail} from '@cdktf/provider-aws/lib/cloudtrail/index.js'
import type {DataAwsOrganizationsOrganization} from '@cdktf/provider-aws/lib/data-aws-organizations-organization/index.js'
import {KmsAlias} from '@cdktf/provider-aws/lib/kms-alias/index.js'
import {Fn} from 'cdktf'
import type {Construct} from 'constructs'

import type {PlatformStackModel} from '../model.ts'
import {HardenedBucket, archivalLifecycle} from './bucket.ts'
import {managementKey} from './management-account.ts'

/**
 * The organization trail: every region, every account, log file validation, encrypted with a key of
 * its own into a bucket kept seven years. CloudTrail can only create one once it has trusted access in
 * Organizations: a precondition refuses the plan with the fix instead of failing mid-apply.
 */
export function organizationTrail(
  scope: Construct,
  model: Pick<PlatformStackModel, 'managementAccountId' | 'platform' | 'trail'>,
  organization: DataAwsOrganizationsOrganization,
): Cloudtrail {
  const {managementAccountId, platform, trail} = model
  const trailArns = `arn:aws:cloudtrail:*:${managementAccountId}:trail/*`
  const trailKey = managementKey(scope, 'trailKey', {
    description: `${platform}: organization CloudTrail logs`,
    managementAccountId,
    statements: [
      {
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: {'aws:SourceArn': trail.arn},
          StringLike: {'kms:EncryptionContext:aws:cloudtrail:arn': trailArns},
        },
        Principal: {Service: 'cloudtrail.amazonaws.com'},
        Resource: '*',
        Sid: 'CloudTrailEncryptsLogs',
      },
      // The trail bucket uses an S3 Bucket Key: CloudTrail needs Decrypt to create or update the trail.
      {
        Action: 'kms:Decrypt',
        Condition: {StringEquals: {'aws:SourceArn': trail.arn}},
        Principal: {Service: 'cloudtrail.amazonaws.com'},
        Resource: '*',
        Sid: 'CloudTrailDecryptsWithBucketKey',
      },
      {
        Action: 'kms:DescribeKey',
        Principal: {Service: 'cloudtrail.amazonaws.com'},
        Resource: '*',
        Sid: 'CloudTrailDescribesKey',
      },
    ],
  })
  new KmsAlias(scope, 'trailKeyAlias', {name: trail.keyAlias, targetKeyId: trailKey.keyId})
  const sourceTrail = {StringEquals: {'aws:SourceArn': trail.arn}}
  const trailBucket = new HardenedBucket(scope, 'trailBucket', {
    key: trailKey,
    lifecycle: archivalLifecycle({
      archiveAfterDays: 90,
      expireAfterDays: 2557,
      noncurrentExpireDays: 90,
      storageClass: 'GLACIER',
    }),
    name: trail.bucket,
    statements: [
      {
        Action: 's3:GetBucketAcl',
        Condition: sourceTrail,
        Principal: {Service: 'cloudtrail.amazonaws.com'},
        Resource: trail.bucketArn,
        Sid: 'CloudTrailChecksAcl',
      },
      {
        Action: 's3:PutObject',
        Condition: sourceTrail,
        Principal: {Service: 'cloudtrail.amazonaws.com'},
        Resource: [
          `${trail.bucketArn}/AWSLogs/${managementAccountId}/*`,
          `${trail.bucketArn}/AWSLogs/${organization.id}/*`,
        ],
        Sid: 'CloudTrailWritesLogs',
      },
    ],
  })
  return new Cloudtrail(scope, 'trail', {
    dependsOn: [trailBucket.policy],
    enableLogFileValidation: true,
    enableLogging: true,
    includeGlobalServiceEvents: true,
    isMultiRegionTrail: true,
    isOrganizationTrail: true,
    kmsKeyId: trailKey.arn,
    lifecycle: {
      precondition: [
        {
          condition: Fn.contains(organization.awsServiceAccessPrincipals, 'cloudtrail.amazonaws.com'),
          errorMessage:
            'CloudTrail has no trusted access in AWS Organizations, so the organization trail cannot be created. Enable it once from the management account: aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com (or CloudTrail console, Settings, Organization), then plan again.',
        },
      ],
    },
    name: trail.name,
    s3BucketName: trailBucket.bucket.id,
  })
}
