import {jsonencodeValue} from '../../configuration/jsonencode.ts'
import type {Resource} from '../../configuration/model.ts'
import {references, resolveAll} from '../../configuration/references.ts'
import {at, isObject, isTrue, str, strings, type JsonObject} from '../../configuration/values.ts'
import {subnetRouting} from '../network-model.ts'
import type {Rule} from '../types.ts'
import {DESIGN, isSecretName, literalSecretValue, resourceRule, secretValueKind, stackRule} from './kit.ts'

/** The container definitions of a task definition, when they can be read statically. */
export function containers(task: Resource): JsonObject[] | undefined {
  const raw = task.values.container_definitions
  if (Array.isArray(raw)) return raw.filter(isObject)
  if (typeof raw !== 'string') return undefined
  const encoded = jsonencodeValue(raw)
  if (Array.isArray(encoded)) return encoded.filter(isObject)
  try {
    const parsed = JSON.parse(raw) as unknown
    return Array.isArray(parsed) ? parsed.filter(isObject) : undefined
  } catch {
    // `${jsonencode(…)}` written in HCL: only terraform can evaluate it.
    return undefined
  }
}

function name(container: JsonObject): string {
  return str(container.name) ?? '(unnamed)'
}

function eachContainer(task: Resource, problem: (container: JsonObject) => string | string[] | undefined): string[] {
  return (containers(task) ?? []).flatMap((container) => {
    const result = problem(container)
    return result === undefined ? [] : Array.isArray(result) ? result : [result]
  })
}

const SECRET_ARN = /^arn:aws[\w-]*:(secretsmanager|ssm):/
const SECRET_SOURCES = ['aws_secretsmanager_secret', 'aws_ssm_parameter', 'aws_secretsmanager_secret_version']
const DATABASE_TYPES = ['aws_db_instance', 'aws_rds_cluster']

export const computeRules: Rule[] = [
  resourceRule({
    check(service) {
      return isTrue(at(service.values, 'network_configuration', 'assign_public_ip'))
        ? 'assign_public_ip = true'
        : undefined
    },
    domain: 'compute',
    equivalents: {checkov: ['CKV_AWS_333'], trivy: []},
    id: 'SKT-ECS-001',
    remediation: 'Set network_configuration { assign_public_ip = false } and reach the internet through NAT.',
    requirement: `${DESIGN}: Compute — no public IP.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'high',
    title: 'Tasks get no public IP',
  }),
  resourceRule({
    check(service, stack) {
      const subnets = resolveAll(stack, at(service.values, 'network_configuration', 'subnets'), ['aws_subnet'])
      if (!at(service.values, 'network_configuration', 'subnets')) return 'no network_configuration subnets'
      return subnets
        .filter((subnet) => subnetRouting(stack, subnet) === 'public')
        .map((subnet) => `runs in public subnet ${subnet.address}`)
    },
    domain: 'compute',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-ECS-002',
    remediation: 'Place the service in the private (app) subnets, which reach the internet only through NAT.',
    requirement: `${DESIGN}: Compute — ECS Fargate service in private subnets.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'high',
    title: 'The service runs in private subnets',
  }),
  resourceRule({
    check(task) {
      return eachContainer(task, (container) =>
        isTrue(container.readonlyRootFilesystem)
          ? undefined
          : `container ${name(container)} has a writable root filesystem`,
      )
    },
    domain: 'compute',
    equivalents: {checkov: ['CKV_AWS_336'], trivy: []},
    id: 'SKT-ECS-003',
    remediation: 'Set "readonlyRootFilesystem": true on every container (mount a volume for scratch space).',
    requirement: `${DESIGN}: Compute — read-only root filesystem.`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'high',
    title: 'Containers have read-only root filesystems',
  }),
  resourceRule({
    check(task) {
      return eachContainer(task, (container) =>
        isTrue(container.privileged) ? `container ${name(container)} is privileged` : undefined,
      )
    },
    domain: 'compute',
    equivalents: {checkov: ['CKV_AWS_334'], trivy: []},
    id: 'SKT-ECS-004',
    remediation: 'Remove "privileged": true.',
    requirement: `${DESIGN}: Compute — ECS Fargate, least privilege.`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'critical',
    title: 'No privileged containers',
  }),
  resourceRule({
    check(task) {
      return eachContainer(task, (container) =>
        (Array.isArray(container.environment) ? container.environment : []).filter(isObject).flatMap((variable) => {
          const key = str(variable.name) ?? ''
          const value = variable.value
          if (isSecretName(key) && literalSecretValue(value))
            return [`container ${name(container)} has ${key} in plain environment`]
          const kind = typeof value === 'string' ? secretValueKind(value) : undefined
          return kind ? [`container ${name(container)} environment ${key} holds ${kind}`] : []
        }),
      )
    },
    domain: 'compute',
    equivalents: {checkov: [], trivy: ['AVD-AWS-0036']},
    id: 'SKT-ECS-005',
    remediation: 'Move the value into Secrets Manager and reference it from the container\'s "secrets" by ARN.',
    requirement: `${DESIGN}: Compute — secrets referenced by ARN (never plaintext env).`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'critical',
    title: 'No plaintext secrets in container environment',
  }),
  resourceRule({
    check(task, stack) {
      return eachContainer(task, (container) =>
        (Array.isArray(container.secrets) ? container.secrets : []).filter(isObject).flatMap((secret) => {
          const from = str(secret.valueFrom) ?? ''
          const byReference = references(from).some((address) => {
            const type = stack.byAddress.get(address)?.type ?? ''
            // The secret RDS manages for a database's master user (optionally one JSON key of it).
            const rdsManaged = DATABASE_TYPES.includes(type) && from.includes(`${address}.master_user_secret`)
            return SECRET_SOURCES.includes(type) || rdsManaged
          })
          return SECRET_ARN.test(from) || byReference
            ? []
            : [`container ${name(container)} secret ${str(secret.name)} comes from '${from}', not a secret ARN`]
        }),
      )
    },
    domain: 'compute',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-ECS-006',
    remediation:
      "Set each secret's valueFrom to the ARN of the Secrets Manager secret (a reference to aws_secretsmanager_secret.<name>.arn).",
    requirement: `${DESIGN}: Compute — secrets referenced by ARN.`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'high',
    title: 'Container secrets are referenced by ARN',
  }),
  resourceRule({
    check(task) {
      const taskRole = str(task.values.task_role_arn)
      const executionRole = str(task.values.execution_role_arn)
      if (!executionRole) return 'execution_role_arn is not set'
      // No task role: the containers get no AWS credentials at all (a one-off task that needs none).
      if (!taskRole) return undefined
      const same =
        taskRole === executionRole ||
        references(taskRole).some((address) => references(executionRole).includes(address))
      return same
        ? 'the task role is the execution role: the app would hold the rights to pull images and read every secret'
        : undefined
    },
    domain: 'compute',
    equivalents: {checkov: ['CKV_AWS_249'], trivy: []},
    id: 'SKT-ECS-007',
    remediation:
      'Give the task definition a task role (the app’s permissions) distinct from its execution role (ECS agent), or none when its containers need no AWS access.',
    requirement: `${DESIGN}: Compute — task role distinct from execution role.`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'high',
    title: 'Task role and execution role are distinct',
  }),
  resourceRule({
    check(task) {
      const problems: string[] = []
      if (!strings(task.values.requires_compatibilities).includes('FARGATE'))
        problems.push('requires_compatibilities does not include FARGATE')
      if (str(task.values.network_mode) !== 'awsvpc')
        problems.push(`network_mode is ${str(task.values.network_mode) ?? '(default bridge)'}, not awsvpc`)
      return problems
    },
    domain: 'compute',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-ECS-008',
    remediation: 'Set requires_compatibilities = ["FARGATE"] and network_mode = "awsvpc".',
    requirement: `${DESIGN}: Compute — ECS Fargate service.`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'medium',
    title: 'Tasks run on Fargate with their own network interface',
  }),
  resourceRule({
    check(task) {
      return eachContainer(task, (container) =>
        str(at(container, 'logConfiguration', 'logDriver'))
          ? undefined
          : `container ${name(container)} has no logConfiguration`,
      )
    },
    domain: 'compute',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-ECS-009',
    remediation: "Give every container a logConfiguration (awslogs) into the client's encrypted log group.",
    requirement: `${DESIGN}: Observability — encrypted log groups with retention.`,
    resourceTypes: ['aws_ecs_task_definition'],
    severity: 'medium',
    title: 'Containers send their logs to CloudWatch',
  }),
  stackRule({
    check(stack) {
      const services = (stack.byType.get('aws_ecs_service') ?? []).filter(
        (service) =>
          str(service.values.launch_type) === 'FARGATE' ||
          JSON.stringify(service.values.capacity_provider_strategy ?? '').includes('FARGATE'),
      )
      return services.length > 0 ? [] : [{address: 'aws_ecs_service', message: 'no ECS service on Fargate'}]
    },
    domain: 'compute',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-ECS-010',
    remediation: 'Run the voice agent as an aws_ecs_service with launch_type = "FARGATE".',
    requirement: `${DESIGN}: Compute — ECS Fargate service.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'medium',
    title: 'The client runs an ECS Fargate service',
  }),
]
