import {CloudwatchLogGroup} from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {Construct} from 'constructs'

/** Every log group of a client: encrypted with the client key, kept as long as the tier says. */
export function encryptedLogGroup(
  scope: Construct,
  id: string,
  props: {name: string; key: KmsKey; retentionDays: number},
): CloudwatchLogGroup {
  return new CloudwatchLogGroup(scope, id, {
    kmsKeyId: props.key.arn,
    name: props.name,
    retentionInDays: props.retentionDays,
  })
}
