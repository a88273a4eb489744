import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {SqsQueue} from '@cdktf/provider-aws/lib/sqs-queue/index.js'
import type {Construct} from 'constructs'

import type {ClientNames} from '../model.ts'

export interface WorkQueueProps {
  key: KmsKey
  names: Pick<ClientNames, 'deadLetterQueue' | 'queue'>
}

export interface WorkQueue {
  queue: SqsQueue
  deadLetterQueue: SqsQueue
}

/**
 * The app's work queue, encrypted with the client key: a message received five times without being
 * deleted moves to the dead-letter queue, which keeps it 14 days.
 */
export function workQueue(scope: Construct, props: WorkQueueProps): WorkQueue {
  const {key, names} = props
  const deadLetterQueue = new SqsQueue(scope, 'deadLetterQueue', {
    kmsDataKeyReusePeriodSeconds: 300,
    kmsMasterKeyId: key.arn,
    messageRetentionSeconds: 1_209_600,
    name: names.deadLetterQueue,
  })
  const queue = new SqsQueue(scope, 'queue', {
    kmsDataKeyReusePeriodSeconds: 300,
    kmsMasterKeyId: key.arn,
    name: names.queue,
    redrivePolicy: JSON.stringify({deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: 5}),
    visibilityTimeoutSeconds: 120,
  })
  return {deadLetterQueue, queue}
}
