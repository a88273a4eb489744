import {KmsAlias} from '@cdktf/provider-aws/lib/kms-alias/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {Construct} from 'constructs'

import type {PlatformStackModel} from '../model.ts'
import type {PolicyStatement} from '../policy.ts'
import {HardenedBucket, archivalLifecycle} from './bucket.ts'
import {managementKey, managementProvider} from './management-account.ts'

export interface StateStore {
  key: KmsKey
  bucket: HardenedBucket
  /** What a platform role needs to read and write the state and its locks. */
  access: PolicyStatement[]
}

/**
 * The S3 backend of every stack: the state bucket, in its own region (with a provider of its own
 * when that is not the platform's), encrypted with a key of its own.
 */
export function stateStore(
  scope: Construct,
  model: Pick<PlatformStackModel, 'managementAccountId' | 'platform' | 'region' | 'tags'>,
  stateBucket: NonNullable<PlatformStackModel['stateBucket']>,
): StateStore {
  const provider =
    stateBucket.region === model.region
      ? undefined
      : managementProvider(scope, 'awsState', model, {alias: 'state', region: stateBucket.region})
  const key = managementKey(scope, 'stateKey', {
    description: `${model.platform}: terraform state`,
    managementAccountId: model.managementAccountId,
    provider,
  })
  new KmsAlias(scope, 'stateKeyAlias', {name: stateBucket.keyAlias, provider, targetKeyId: key.keyId})
  const bucket = new HardenedBucket(scope, 'stateBucket', {
    key,
    lifecycle: archivalLifecycle({archiveAfterDays: 365, noncurrentExpireDays: 90, storageClass: 'STANDARD_IA'}),
    name: stateBucket.bucket,
    provider,
  })
  const access: PolicyStatement[] = [
    {Action: 's3:ListBucket', Resource: stateBucket.arn, Sid: 'ListState'},
    {
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      Resource: `${stateBucket.arn}/${stateBucket.keyPrefix}*`,
      Sid: 'ReadWriteStateAndLocks',
    },
    // The state objects are encrypted with the state key (SSE-KMS): reading and writing them needs it.
    {Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: key.arn, Sid: 'UseStateKey'},
  ]
  return {access, bucket, key}
}
