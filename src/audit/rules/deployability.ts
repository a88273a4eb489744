import type {Resource} from '../../configuration/model.ts'
import {resolve, resourcesOf} from '../../configuration/references.ts'
import {blocks, isLiteral, isObject, list, str} from '../../configuration/values.ts'
import {dependsOn, RunPlacement} from '../run-model.ts'
import type {Rule, Stack, Violation} from '../types.ts'
import {deployabilityIamRules} from './deployability-iam.ts'
import {ALL_STACK_KINDS, DEPLOYABILITY, fleetRule, none} from './kit.ts'
import {RunRegistries} from './registries.ts'
import {
  briefImage,
  containersOf,
  eachImage,
  imageReference,
  injectedSecret,
  injectedSecrets,
  privateImage,
  secretsWithValue,
  ungatedServices,
} from './workloads.ts'

/**
 * Deployability: faults the audit can see in the configuration that make a real apply fail or leave a
 * stack that exists but does not work (issue 11: every stack passed the audit, yet the first provision
 * failed). They read every stack of the run, platform and bootstrap stacks too, since the fault is
 * often between stacks: an image in a repository the platform does not create, a role trusted before
 * the stack that creates it applies.
 */

type RunViolation = Violation & {stack: Stack}

function violation(stack: Stack, resource: Resource, message: string): RunViolation {
  return {address: resource.address, file: resource.file, message, stack}
}

/** Whether some string in a value contains `text` (deep: for_each expressions, nested blocks). */
function mentions(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value.includes(text)
  if (Array.isArray(value)) return value.some((item) => mentions(item, text))
  return isObject(value) && Object.values(value).some((item) => mentions(item, text))
}

function literal(value: unknown): string | undefined {
  const text = str(value)
  return text && isLiteral(text) ? text : undefined
}

const TOPIC_ARN = /^arn:aws[\w-]*:sns:([\w-]*):(\d{12})?:([\w.-]+)$/

/** The DB instance an attribute names: by reference, by literal identifier, or by literal ARN (`:db:<identifier>`). */
function sourceInstance(stack: Stack, value: unknown): Resource | undefined {
  const referenced = resolve(stack, value, ['aws_db_instance'])
  if (referenced) return referenced
  const text = literal(value)
  if (!text) return undefined
  const identifier = /:rds:[^:]*:[^:]*:db:(.+)$/.exec(text)?.[1] ?? text
  return resourcesOf(stack, 'aws_db_instance').find((instance) => str(instance.values.identifier) === identifier)
}

export const deployabilityRules: Rule[] = [
  fleetRule({
    check({allStacks}) {
      const placement = new RunPlacement(allStacks)
      const registries = new RunRegistries(allStacks, placement)
      const violations: RunViolation[] = []
      eachImage(allStacks, (stack, task, container, image) => {
        const parsed = privateImage(image)
        if (!parsed || !registries.knows(parsed) || registries.holds(parsed)) return
        violations.push(
          violation(
            stack,
            task,
            `container ${container} pulls ${briefImage(image)}, but no stack of this run creates repository ${parsed.repository} in account ${parsed.account} in ${parsed.region}, nor replicates it there: every task launch fails (CannotPullContainerError)`,
          ),
        )
      })
      return violations
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-001',
    kinds: ALL_STACK_KINDS,
    remediation:
      'Create the repository (aws_ecr_repository) in the platform stack, and replicate it (aws_ecr_replication_configuration, a repository filter matching its name) to every region a client runs in; or correct the image URI.',
    requirement: `${DEPLOYABILITY}: an image repository that no stack creates; DESIGN.md — the container image repository (in the platform, replicated to client regions) is part of the stacks.`,
    resourceTypes: ['aws_ecs_task_definition', 'aws_ecr_repository', 'aws_ecr_replication_configuration'],
    severity: 'high',
    title: 'Task images come from a repository the run creates',
  }),
  fleetRule({
    check({allStacks}) {
      return allStacks.flatMap((stack) =>
        resourcesOf(stack, 'aws_acm_certificate_validation').flatMap((validation) => {
          const certificate = resolve(stack, validation.values.certificate_arn, ['aws_acm_certificate'])
          // Only a DNS-validated certificate of this configuration can be judged (EMAIL needs no record).
          if (!certificate || str(certificate.values.validation_method) !== 'DNS') return []
          const problems: string[] = []
          if (list(validation.values.validation_record_fqdns).length === 0)
            problems.push(
              'names no validation_record_fqdns: it neither waits for nor checks the records that validate the certificate',
            )
          const options = `${certificate.address}.domain_validation_options`
          if (!resourcesOf(stack, 'aws_route53_record').some((record) => mentions(record.values, options)))
            problems.push(
              `no aws_route53_record writes the validation records of ${certificate.address} (its domain_validation_options): the apply waits out ${timeout(validation)} for a validation that never comes, and fails`,
            )
          return problems.map((message) => violation(stack, validation, message))
        }),
      )
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-002',
    kinds: ALL_STACK_KINDS,
    remediation:
      'Write an aws_route53_record per domain_validation_options entry of the certificate (name, type and records from it) in the zone of the domain, and list their fqdn in validation_record_fqdns. In a seiketsu workspace: set `domain` in seiketsu.yaml (the stacks then manage the zone and the records).',
    requirement: `${DEPLOYABILITY}: a certificate validation with no records; issue 11 item 3 (DNS).`,
    resourceTypes: ['aws_acm_certificate_validation', 'aws_acm_certificate', 'aws_route53_record'],
    severity: 'high',
    title: 'Certificate validations have their DNS records',
  }),
  fleetRule({
    check({allStacks}) {
      return allStacks.flatMap((stack) => {
        const tasks = resourcesOf(stack, 'aws_ecs_task_definition')
        if (tasks.length === 0) return []
        const valued = secretsWithValue(stack)
        return tasks.flatMap((task) => {
          const running = ungatedServices(stack, task)
          if (running.length === 0) return []
          return containersOf(task).flatMap((container) =>
            injectedSecrets(container).flatMap(({name, valueFrom}) => {
              const secret = injectedSecret(stack, valueFrom)
              if (!secret || valued.has(secret)) return []
              return [
                violation(
                  stack,
                  task,
                  `container ${container.name} injects ${name} from ${secret.address}, which nothing in the configuration gives a value (no aws_secretsmanager_secret_version or _rotation, not an RDS-managed secret), and ${running.map((service) => service.address).join(', ')} starts tasks without a gate: every launch fails (ResourceInitializationError) until the value is put`,
                ),
              ]
            }),
          )
        })
      })
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-003',
    kinds: ALL_STACK_KINDS,
    remediation:
      "Gate the service until the secret holds a value: desired_count and the scalable target's min/max_capacity conditional on a variable the operator's tool sets once it has checked the values (`var.service_enabled ? 2 : 0`); or inject an RDS-managed secret (master_user_secret[0].secret_arn).",
    requirement: `${DEPLOYABILITY}: a secret injected into a task with no path to a value; issue 11 item 6; DESIGN.md — Secrets: Terraform creates the container only.`,
    resourceTypes: ['aws_ecs_task_definition', 'aws_ecs_service', 'aws_secretsmanager_secret'],
    severity: 'high',
    title: 'Injected secrets have a value before tasks start',
  }),
  fleetRule({
    check({allStacks}) {
      const placement = new RunPlacement(allStacks)
      const subscribed = new Set<Resource>()
      /** Topics subscribed by literal ARN (or through a data source), by topic name. */
      const byName = new Map<string, {account?: string; region?: string}[]>()
      const addNamed = (name: string, account: string | undefined, region: string | undefined) =>
        byName.set(name, [...(byName.get(name) ?? []), {account, region}])
      for (const stack of allStacks)
        for (const subscription of resourcesOf(stack, 'aws_sns_topic_subscription')) {
          const value = subscription.values.topic_arn
          const topic = resolve(stack, value, ['aws_sns_topic'])
          if (topic?.mode === 'managed') subscribed.add(topic)
          else if (topic) {
            const name = literal(topic.values.name)
            if (name) addNamed(name, placement.account(stack, topic), placement.region(stack, topic))
          } else {
            const arn = TOPIC_ARN.exec(literal(value) ?? '')
            if (arn) addNamed(arn[3]!, arn[2] || undefined, arn[1] || undefined)
          }
        }
      return allStacks.flatMap((stack) =>
        resourcesOf(stack, 'aws_sns_topic').flatMap((topic) => {
          if (topic.mode !== 'managed' || subscribed.has(topic)) return []
          const name = literal(topic.values.name)
          const account = placement.account(stack, topic)
          const region = placement.region(stack, topic)
          const matches = (byName.get(name ?? '') ?? []).some(
            (entry) =>
              (!entry.account || !account || entry.account === account) &&
              (!entry.region || !region || entry.region === region),
          )
          return matches
            ? []
            : [
                violation(
                  stack,
                  topic,
                  'no aws_sns_topic_subscription of this run subscribes to it: what is published to it (alarms, budget alerts) reaches no one',
                ),
              ]
        }),
      )
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-004',
    kinds: ALL_STACK_KINDS,
    remediation:
      "Subscribe the topic (aws_sns_topic_subscription: the platform's on-call email, HTTPS endpoint or queue), by reference in its stack or by its ARN in another; a topic subscribed outside Terraform goes in audit-exceptions.yaml with the reason. In a seiketsu workspace: set alerts.email or alerts.https in seiketsu.yaml.",
    requirement: `${DEPLOYABILITY}: an SNS topic with no subscriber; issue 11 item 12 (alarms reach someone); DESIGN.md — Observability: alarms to an SNS topic.`,
    resourceTypes: ['aws_sns_topic', 'aws_sns_topic_subscription'],
    severity: 'medium',
    title: 'SNS topics have a subscriber',
  }),
  fleetRule({
    check({allStacks}) {
      return allStacks.flatMap((stack) => {
        const bySource = new Map<Resource, Resource[]>()
        const add = (source: Resource | undefined, member: Resource) => {
          if (source && source !== member) bySource.set(source, [...(bySource.get(source) ?? []), member])
        }
        for (const instance of resourcesOf(stack, 'aws_db_instance'))
          if (instance.values.replicate_source_db !== undefined)
            add(sourceInstance(stack, instance.values.replicate_source_db), instance)
        for (const replication of resourcesOf(stack, 'aws_db_instance_automated_backups_replication'))
          add(sourceInstance(stack, replication.values.source_db_instance_arn), replication)
        return [...bySource].flatMap(([source, members]) =>
          members.flatMap((member, index) => {
            const problems: string[] = []
            if (!dependsOn(stack, member, source))
              problems.push(
                `does not depend on its source ${source.address} (it names it literally): it can start before the primary exists`,
              )
            const racing = members
              .slice(0, index)
              .filter((earlier) => !dependsOn(stack, member, earlier) && !dependsOn(stack, earlier, member))
              .map((earlier) => earlier.address)
            if (racing.length > 0)
              problems.push(
                `starts against ${source.address} at the same time as ${racing.join(', ')} (neither waits for the other): one of them fails with InvalidDBInstanceState while the primary is busy with another; chain them with depends_on`,
              )
            return problems.map((message) => violation(stack, member, message))
          }),
        )
      })
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-006',
    kinds: ALL_STACK_KINDS,
    remediation:
      'Chain the read replicas and the automated-backup replication of one source: the first depends on the instance, each next one on the one before (depends_on).',
    requirement: `${DEPLOYABILITY}: an RDS replica or backup replication racing its primary; issue 11 item 9.`,
    resourceTypes: ['aws_db_instance', 'aws_db_instance_automated_backups_replication'],
    severity: 'high',
    title: 'Replicas and backup replication of a database are chained',
  }),
  fleetRule({
    check({allStacks}) {
      const violations: RunViolation[] = []
      for (const stack of allStacks)
        for (const task of resourcesOf(stack, 'aws_ecs_task_definition')) {
          const running = ungatedServices(stack, task)
          if (running.length === 0) continue
          for (const container of containersOf(task)) {
            const image = str(container.values.image)
            const reference = image ? imageReference(image) : undefined
            if (image && reference?.by === 'tag')
              violations.push(
                violation(
                  stack,
                  task,
                  `container ${container.name} runs ${briefImage(image)} by the mutable tag "${reference.tag}" in ${running.map((service) => service.address).join(', ')}, which starts tasks: each new task (scale-out, replacement) runs whatever the tag names then, or fails once it names nothing`,
                ),
              )
          }
        }
      return violations
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-008',
    kinds: ALL_STACK_KINDS,
    remediation:
      'Pin the image by digest (`<repository>@sha256:<digest>`, a workspace setting); keep a tag only while the service is gated (0 tasks) until a digest is configured.',
    requirement: `${DEPLOYABILITY}: an image referenced by a mutable tag; issue 11 item 4 (pin the image by digest instead of a mutable tag).`,
    resourceTypes: ['aws_ecs_task_definition', 'aws_ecs_service'],
    severity: 'medium',
    title: 'Running services pin their images by digest',
  }),
  ...deployabilityIamRules,
].sort((a, b) => a.id.localeCompare(b.id))

function timeout(validation: Resource): string {
  const create = str(blocks(validation.values.timeouts)[0]?.create)
  return create && isLiteral(create) ? `its create timeout (${create})` : "the provider's default create timeout"
}
