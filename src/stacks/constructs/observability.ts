import {BudgetsBudget} from '@cdktf/provider-aws/lib/budgets-budget/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {SnsTopicPolicy} from '@cdktf/provider-aws/lib/sns-topic-policy/index.js'
import {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import {Construct} from 'constructs'

import type {ClientStackModel} from '../model.ts'
import {policyDocument} from '../policy.ts'

/**
 * Where a client's alerts go: an SNS topic encrypted with the client key (CloudWatch alarms and
 * budget alerts publish to it; operators subscribe), and the monthly budget of the client account
 * from its tier, alerting at 80 % and 100 % of actual spend and 100 % of the forecast.
 */
export class ClientObservability extends Construct {
  readonly alarmTopic: SnsTopic
  readonly budget: BudgetsBudget

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
          Principal: {Service: ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']},
          Resource: arns.alarmTopic,
          Sid: 'AlarmsAndBudgetsPublish',
        },
      ]),
    })
    const notify = (notificationType: string, threshold: number) => ({
      comparisonOperator: 'GREATER_THAN',
      notificationType,
      subscriberSnsTopicArns: [this.alarmTopic.arn],
      threshold,
      thresholdType: 'PERCENTAGE',
    })
    this.budget = new BudgetsBudget(this, 'budget', {
      budgetType: 'COST',
      limitAmount: String(model.monthlyBudgetUsd),
      limitUnit: 'USD',
      name: names.budget,
      notification: [notify('ACTUAL', 80), notify('ACTUAL', 100), notify('FORECASTED', 100)],
      timeUnit: 'MONTHLY',
    })
  }
}
