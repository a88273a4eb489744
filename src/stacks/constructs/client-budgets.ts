import {BudgetsBudget} from '@cdktf/provider-aws/lib/budgets-budget/index.js'
import {SnsTopicPolicy} from '@cdktf/provider-aws/lib/sns-topic-policy/index.js'
import {SnsTopicSubscription} from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js'
import {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import type {Construct} from 'constructs'

import type {PlatformClientModel, PlatformStackModel} from '../model.ts'
import {policyDocument} from '../policy.ts'
import {managementKey} from './management-account.ts'

/** A client's budget, and the account it is on (its own, or the one the platform stack creates). */
export interface ClientBudget {
  clientId: string
  accountId: string
  budget: PlatformClientModel['budget']
}

/**
 * Each client's monthly cost budget, in the payer account (a linked-account filter), alerting the
 * platform's alerts topic at 80 % and 100 % of actual spend and 100 % of the forecast. Client
 * accounts deny billing access to roles, so a budget inside them could not be created at all.
 */
export function clientBudgets(
  scope: Construct,
  model: Pick<PlatformStackModel, 'alerts' | 'alertsTopic' | 'managementAccountId' | 'platform' | 'region'>,
  budgets: ClientBudget[],
): void {
  const {managementAccountId} = model
  const alertsKey = managementKey(scope, 'alertsKey', {
    description: `${model.platform}: platform alerts (client budgets)`,
    managementAccountId,
    statements: [
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {StringEquals: {'aws:SourceAccount': managementAccountId}},
        Principal: {Service: 'budgets.amazonaws.com'},
        Resource: '*',
        Sid: 'BudgetsPublishToEncryptedTopic',
      },
    ],
  })
  const topic = new SnsTopic(scope, 'alertsTopic', {kmsMasterKeyId: alertsKey.arn, name: model.alertsTopic})
  new SnsTopicPolicy(scope, 'alertsTopicPolicy', {
    arn: topic.arn,
    policy: policyDocument([
      {
        Action: 'sns:Publish',
        Condition: {StringEquals: {'aws:SourceAccount': managementAccountId}},
        Principal: {Service: 'budgets.amazonaws.com'},
        Resource: `arn:aws:sns:${model.region}:${managementAccountId}:${model.alertsTopic}`,
        Sid: 'BudgetsPublish',
      },
    ]),
  })
  if (model.alerts)
    new SnsTopicSubscription(scope, 'alertsOnCall', {
      endpoint: model.alerts.endpoint,
      protocol: model.alerts.protocol,
      topicArn: topic.arn,
    })
  const notify = (notificationType: string, threshold: number) => ({
    comparisonOperator: 'GREATER_THAN',
    notificationType,
    subscriberSnsTopicArns: [topic.arn],
    threshold,
    thresholdType: 'PERCENTAGE',
  })
  for (const {accountId, budget, clientId} of budgets)
    new BudgetsBudget(scope, `budget-${clientId}`, {
      budgetType: 'COST',
      costFilter: [{name: 'LinkedAccount', values: [accountId]}],
      limitAmount: String(budget.limitUsd),
      limitUnit: 'USD',
      name: budget.name,
      notification: [notify('ACTUAL', 80), notify('ACTUAL', 100), notify('FORECASTED', 100)],
      timeUnit: 'MONTHLY',
    })
}
