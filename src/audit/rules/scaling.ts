import type {Resource} from '../../configuration/model.ts'
import {references, resourcesOf} from '../../configuration/references.ts'
import {at, blocks, num, str, strings} from '../../configuration/values.ts'
import {gatedCountValue} from '../run-model.ts'
import type {Rule, Stack} from '../types.ts'
import {DESIGN, none, resourceRule} from './kit.ts'

const SEED_SCALING = 'seed, Scalability: 1–10 instances, out +2, in −1, cooldown 5 minutes'
const COOLDOWN_SECONDS = 300

/** The scalable target of a service: its resource_id references the service (or names it literally). */
export function scalingTarget(stack: Stack, service: Resource): Resource | undefined {
  const name = str(service.values.name)
  return resourcesOf(stack, 'aws_appautoscaling_target').find((target) => {
    const id = str(target.values.resource_id) ?? ''
    return references(id).includes(service.address) || (name !== undefined && id.endsWith(`/${name}`))
  })
}

function policiesOf(stack: Stack, target: Resource): Resource[] {
  const id = str(target.values.resource_id)
  return resourcesOf(stack, 'aws_appautoscaling_policy').filter(
    (policy) =>
      references(policy.values.resource_id).includes(target.address) ||
      (id !== undefined && policy.values.resource_id === id),
  )
}

/** Step adjustments of a step-scaling policy, with its cooldown. */
function stepPolicy(policy: Resource): {adjustments: number[]; cooldown?: number; type?: string} {
  const config = blocks(policy.values.step_scaling_policy_configuration)[0]
  return {
    adjustments: blocks(config?.step_adjustment).map((step) => num(step.scaling_adjustment) ?? 0),
    cooldown: num(config?.cooldown),
    type: str(config?.adjustment_type),
  }
}

function scaleOut(policies: Resource[]) {
  return policies.filter((policy) => stepPolicy(policy).adjustments.some((adjustment) => adjustment > 0))
}

function scaleIn(policies: Resource[]) {
  return policies.filter((policy) => stepPolicy(policy).adjustments.some((adjustment) => adjustment < 0))
}

/** Alarms whose actions include one of the policies. */
function alarmsFor(stack: Stack, policies: Resource[]): Resource[] {
  return resourcesOf(stack, 'aws_cloudwatch_metric_alarm').filter((alarm) =>
    references(alarm.values.alarm_actions).some((address) => policies.some((policy) => policy.address === address)),
  )
}

function metricNames(alarm: Resource): string[] {
  return [
    ...strings(alarm.values.metric_name),
    ...blocks(alarm.values.metric_query).flatMap((query) => strings(at(query, 'metric', 'metric_name'))),
  ]
}

const TRIGGERS: {label: string; metric: RegExp; threshold: number}[] = [
  {label: 'CPU > 70 %', metric: /^CPUUtilization$/, threshold: 70},
  {label: 'memory > 80 %', metric: /^MemoryUtilization$/, threshold: 80},
  {label: 'response time > 500 ms', metric: /^TargetResponseTime$/, threshold: 0.5},
  // SQS's own depth metric, or a custom one named for the queue.
  {label: 'queue depth > 100', metric: /^ApproximateNumberOfMessages(Visible)?$|queue|backlog|depth/i, threshold: 100},
]

export const scalingRules: Rule[] = [
  resourceRule({
    check(service, stack) {
      const target = scalingTarget(stack, service)
      if (!target) return 'no aws_appautoscaling_target scales it'
      // A service gated until the operator's tool opens it (`var.ready ? 2 : 0`) is judged on its open bounds.
      const min = num(target.values.min_capacity) ?? gatedCountValue(target.values.min_capacity)
      const max = num(target.values.max_capacity) ?? gatedCountValue(target.values.max_capacity)
      const tier = stack.client?.tier
      const [low, high] = tier ? [tier.task.minTasks, tier.task.maxTasks] : [1, 10]
      const problems: string[] = []
      if (min === undefined || max === undefined) return 'min_capacity / max_capacity are not set'
      // 0–0: switched off on purpose (seiketsu does so while no image digest is configured).
      if (min === 0 && max === 0) return undefined
      if (tier ? min !== low || max !== high : min < 1 || max > 10)
        problems.push(
          `scales ${min}–${max} tasks; ${tier ? `the ${tier.name} tier sets ${low}–${high}` : 'the seed bounds it to 1–10'}`,
        )
      return problems
    },
    domain: 'scaling',
    equivalents: none,
    id: 'SKT-SCL-001',
    remediation: "Add an aws_appautoscaling_target for the service with the tier's minTasks / maxTasks (within 1–10).",
    requirement: `${DESIGN}: Scaling — 1–10 tasks (tier-bounded); ${SEED_SCALING}.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'medium',
    title: "The service scales within the tier's task bounds",
  }),
  resourceRule({
    check(service, stack) {
      const target = scalingTarget(stack, service)
      if (!target) return undefined
      const policies = policiesOf(stack, target)
      const problems: string[] = []
      const out = scaleOut(policies)
      const inward = scaleIn(policies)
      if (!out.some((policy) => stepPolicy(policy).adjustments.includes(2)))
        problems.push('no step policy scales out by +2 tasks')
      if (!inward.some((policy) => stepPolicy(policy).adjustments.includes(-1)))
        problems.push('no step policy scales in by −1 task')
      for (const policy of [...out, ...inward]) {
        const {cooldown, type} = stepPolicy(policy)
        if (cooldown !== COOLDOWN_SECONDS)
          problems.push(`${policy.address} cooldown is ${cooldown ?? '(unset)'} s, not ${COOLDOWN_SECONDS}`)
        if (type !== undefined && type !== 'ChangeInCapacity')
          problems.push(`${policy.address} adjusts by ${type}, not ChangeInCapacity`)
      }
      if (inward.length > 0 && alarmsFor(stack, inward).length === 0)
        problems.push('no alarm triggers the scale-in policy')
      return problems
    },
    domain: 'scaling',
    equivalents: none,
    id: 'SKT-SCL-002',
    remediation: 'Add step-scaling policies (ChangeInCapacity): +2 to scale out, −1 to scale in, cooldown 300 s each.',
    requirement: `${DESIGN}: Scaling — out +2, in −1, cooldown 5 minutes.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'medium',
    title: 'Scaling steps are +2 out, −1 in, 5-minute cooldown',
  }),
  resourceRule({
    check(service, stack) {
      const target = scalingTarget(stack, service)
      if (!target) return undefined
      const alarms = alarmsFor(stack, scaleOut(policiesOf(stack, target)))
      return TRIGGERS.filter(
        (trigger) =>
          !alarms.some(
            (alarm) =>
              metricNames(alarm).some((metric) => trigger.metric.test(metric)) &&
              num(alarm.values.threshold) === trigger.threshold &&
              /^GreaterThan/.test(str(alarm.values.comparison_operator) ?? ''),
          ),
      ).map((trigger) => `no alarm scales it out on ${trigger.label}`)
    },
    domain: 'scaling',
    equivalents: none,
    id: 'SKT-SCL-003',
    remediation:
      'Add CloudWatch alarms that trigger the scale-out policy: CPUUtilization > 70, MemoryUtilization > 80, TargetResponseTime > 0.5 s, queue depth > 100.',
    requirement: `${DESIGN}: Scaling — out when CPU > 70 %, memory > 80 %, response time > 500 ms or queue depth > 100.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'medium',
    title: 'Scale-out triggers follow the seed',
  }),
]
