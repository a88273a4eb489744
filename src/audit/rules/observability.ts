import type {Resource} from '../../configuration/model.ts'
import {references, resolve, resourcesOf} from '../../configuration/references.ts'
import {at, blocks, isFalse, num, str, strings} from '../../configuration/values.ts'
import {TAG_KEYS} from '../../stacks/model.ts'
import type {Rule, Stack} from '../types.ts'
import {customerKeyProblem, DESIGN, fleetRule, ownAccount, resourceRule, stackRule} from './kit.ts'

const DEFAULT_LOG_DAYS = 365

export const observabilityRules: Rule[] = [
  resourceRule({
    check(group, stack) {
      return customerKeyProblem(stack, group.values.kms_key_id, 'kms_key_id')
    },
    domain: 'observability',
    equivalents: {checkov: ['CKV_AWS_158'], trivy: ['AVD-AWS-0017']},
    id: 'SKT-LOG-001',
    remediation: "Set kms_key_id = the client's key (its key policy must allow the CloudWatch Logs service).",
    requirement: `${DESIGN}: Observability — encrypted log groups.`,
    resourceTypes: ['aws_cloudwatch_log_group'],
    severity: 'medium',
    title: "Log groups are encrypted with the client's key",
  }),
  resourceRule({
    check(group, stack) {
      const days = num(group.values.retention_in_days)
      const required = stack.client?.tier?.logRetentionDays ?? DEFAULT_LOG_DAYS
      if (days === undefined || days === 0) return 'no retention: logs are kept forever at full price'
      return days >= required
        ? undefined
        : `logs are kept ${days} days; ${stack.client?.tier ? `the ${stack.client.tier.name} tier keeps` : 'keep at least'} ${required}`
    },
    domain: 'observability',
    equivalents: {checkov: ['CKV_AWS_66', 'CKV_AWS_338'], trivy: []},
    id: 'SKT-LOG-002',
    remediation: "Set retention_in_days to the tier's logRetentionDays.",
    requirement: `${DESIGN}: Observability — log groups with retention.`,
    resourceTypes: ['aws_cloudwatch_log_group'],
    severity: 'medium',
    title: "Log groups keep logs for the tier's retention",
  }),
  resourceRule({
    check(topic, stack) {
      return customerKeyProblem(stack, topic.values.kms_master_key_id, 'kms_master_key_id')
    },
    domain: 'observability',
    equivalents: {checkov: ['CKV_AWS_26'], trivy: ['AVD-AWS-0095', 'AVD-AWS-0136']},
    id: 'SKT-OBS-001',
    remediation: "Set kms_master_key_id = the client's key on every SNS topic.",
    requirement: `${DESIGN}: Observability — CloudWatch alarms to an encrypted SNS topic.`,
    resourceTypes: ['aws_sns_topic'],
    severity: 'medium',
    title: "Alarm topics are encrypted with the client's key",
  }),
  resourceRule({
    check(alarm) {
      if (isFalse(alarm.values.actions_enabled)) return 'actions_enabled = false: the alarm tells no one'
      return strings(alarm.values.alarm_actions).length > 0 ? undefined : 'no alarm_actions'
    },
    domain: 'observability',
    equivalents: {checkov: ['CKV_AWS_319'], trivy: []},
    id: 'SKT-OBS-002',
    remediation: 'Give every alarm an action (the SNS topic, or a scaling policy) and keep actions enabled.',
    requirement: `${DESIGN}: Observability — CloudWatch alarms to an encrypted SNS topic.`,
    resourceTypes: ['aws_cloudwatch_metric_alarm'],
    severity: 'low',
    title: 'Alarms act when they fire',
  }),
  stackRule({
    check(stack) {
      const notifying = resourcesOf(stack, 'aws_cloudwatch_metric_alarm').filter((alarm) =>
        references(alarm.values.alarm_actions).some(
          (address) => stack.byAddress.get(address)?.type === 'aws_sns_topic',
        ),
      )
      return notifying.length > 0
        ? []
        : [{address: 'aws_cloudwatch_metric_alarm', message: 'no CloudWatch alarm notifies an SNS topic of the stack'}]
    },
    domain: 'observability',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-OBS-003',
    remediation:
      'Add CloudWatch alarms (5xx, unhealthy targets, database, cache) whose alarm_actions name the client SNS topic.',
    requirement: `${DESIGN}: Observability — CloudWatch alarms to an encrypted SNS topic.`,
    resourceTypes: ['aws_cloudwatch_metric_alarm', 'aws_sns_topic'],
    severity: 'medium',
    title: 'Alarms notify the operators',
  }),
  resourceRule({
    check(group) {
      const check = blocks(group.values.health_check)[0]
      if ((str(group.values.target_type) ?? 'instance') === 'lambda') return undefined
      if (!check) return 'no health_check block: AWS defaults may not reflect the app'
      if (isFalse(check.enabled)) return 'health checks are disabled'
      const protocol = str(check.protocol) ?? str(group.values.protocol) ?? 'HTTP'
      return protocol.startsWith('HTTP') && !str(check.path) ? 'the HTTP health check names no path' : undefined
    },
    domain: 'observability',
    equivalents: {checkov: ['CKV_AWS_261'], trivy: []},
    id: 'SKT-OBS-004',
    remediation: 'Add health_check { enabled = true, path = "/health" } to the target group.',
    requirement: `${DESIGN}: Observability — target health checks.`,
    resourceTypes: ['aws_lb_target_group', 'aws_alb_target_group'],
    severity: 'low',
    title: 'Target groups check the health of their targets',
  }),
  fleetRule({
    check({allStacks, stacks}) {
      const platforms = allStacks.filter((stack) => stack.kind === 'platform')
      return stacks.flatMap((stack) => {
        const own = monthlyBudgets(stack)
        const kept = own.length > 0 ? own : platforms.flatMap((platform) => budgetsFor(platform, stack))
        // Neither here nor in a platform stack of this run: only the payer's stack could say.
        if (kept.length === 0 && platforms.length === 0) return []
        if (kept.length === 0)
          return [
            {
              address: 'aws_budgets_budget',
              message: `no monthly cost budget for the client's account, neither in its stack nor in the platform stack`,
              stack,
            },
          ]
        const problems = kept.map((budget) => budgetProblems(budget, stack))
        // One good budget is enough; otherwise say what is wrong with each.
        return problems.some((list) => list.length === 0)
          ? []
          : problems.flat().map((message) => ({address: 'aws_budgets_budget', message, stack}))
      })
    },
    domain: 'observability',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-OBS-005',
    remediation:
      "Keep an aws_budgets_budget (COST, MONTHLY, limit = the tier's monthlyBudgetUsd) with notifications to the operators for each client: in the platform stack with a LinkedAccount cost filter on the client's account (the payer sees the bill), or in the client's own stack.",
    requirement: `${DESIGN}: Observability — a monthly budget with alerts for the client account; seed: budget alerts and spending limits.`,
    resourceTypes: ['aws_budgets_budget'],
    severity: 'medium',
    title: 'A monthly budget with alerts follows the tier',
  }),
]

function monthlyBudgets(stack: Stack): Resource[] {
  return resourcesOf(stack, 'aws_budgets_budget').filter(
    (budget) => str(budget.values.time_unit) === 'MONTHLY' && (str(budget.values.budget_type) ?? 'COST') === 'COST',
  )
}

/**
 * The platform stack's budgets on a client's linked account: by its account id, or, for an account
 * the platform stack creates, by a reference to that aws_organizations_account (tagged with the client).
 */
function budgetsFor(platform: Stack, client: Stack): Resource[] {
  const account = client.client?.accountId ?? ownAccount(client)
  return monthlyBudgets(platform).filter((budget) =>
    blocks(budget.values.cost_filter)
      .filter((filter) => str(filter.name) === 'LinkedAccount')
      .flatMap((filter) => strings(filter.values))
      .some((value) => {
        if (account && value === account) return true
        const created = resolve(platform, value, ['aws_organizations_account'])
        return created !== undefined && str(at(created.values, 'tags', TAG_KEYS.client)) === client.client?.id
      }),
  )
}

function budgetProblems(budget: Resource, stack: Stack): string[] {
  const problems: string[] = []
  const alerts = blocks(budget.values.notification).filter(
    (notification) =>
      strings(notification.subscriber_email_addresses).length + strings(notification.subscriber_sns_topic_arns).length >
      0,
  )
  if (alerts.length === 0) problems.push(`${budget.address}: the budget alerts no one`)
  const expected = stack.client?.tier?.monthlyBudgetUsd
  const amount = num(budget.values.limit_amount)
  if (expected !== undefined && amount !== expected)
    problems.push(
      `${budget.address}: limit is ${amount ?? '(unset)'} USD; the ${stack.client!.tier!.name} tier sets ${expected}`,
    )
  return problems
}
