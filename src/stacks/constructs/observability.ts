import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {SnsTopicPolicy} from '@cdktf/provider-aws/lib/sns-topic-policy/index.js'
import {SnsTopicSubscription} from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js'
import {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import {Construct} from 'constructs'

import type {ClientStackModel} from '../model.ts'
import {policyDocument} from '../policy.ts'

/**
 * Where a client's alarms go: an SNS topic encrypted with the client key that CloudWatch alarms
 * publish to, subscribed to the platform's on-call destination (`alerts` in seiketsu.yaml). The
 * client's monthly budget lives in the management account (platform stack): only the payer
 * account sees the bill, and client accounts are created without billing access for roles.
 */
export class ClientObservability extends Construct {
  readonly alarmTopic: SnsTopic
  readonly onCall?: SnsTopicSubscription

  constructor(scope: Construct, id: string, model: ClientStackModel, key: KmsKey) {
    super(scope, id)
    const {arns, names} = model
    this.alarmTopic = new SnsTopic(this, 'alarmTopic', {kmsMasterKeyId: key.arn, name: names.alarmTopic})
    new SnsTopicPolicy(this, 'alarmTopicPolicy', {
      arn: this.alarmTopic.arn,
      policy: policyDocument([
        {
          Action: 'sns:Publish',
          Condition: {StringEquals: {'aws:SourceAccount': model.account.id}},
          Principal: {Service: 'cloudwatch.amazonaws.com'},
          Resource: arns.alarmTopic,
          Sid: 'AlarmsPublish',
        },
      ]),
    })
    // An email subscription waits for its confirmation link; an HTTPS one for the endpoint's confirmation.
    if (model.alerts)
      this.onCall = new SnsTopicSubscription(this, 'onCall', {
        endpoint: model.alerts.endpoint,
        protocol: model.alerts.protocol,
        topicArn: this.alarmTopic.arn,
      })
  }
}
