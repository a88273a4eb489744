import type {Resource} from '../../configuration/model.ts'
import {references, resolve, resourcesOf} from '../../configuration/references.ts'
import {isLiteral, isObject, str, type JsonObject} from '../../configuration/values.ts'
import {isGatedCount} from '../run-model.ts'
import type {Stack} from '../types.ts'
import {containers} from './compute.ts'
import {scalingTarget} from './scaling.ts'

/** What the deployability rules read of ECS: who runs a task definition, whether it starts tasks, its images. */

/** The services of the stack that run a task definition (by reference, family or ARN). */
export function servicesOf(stack: Stack, task: Resource): Resource[] {
  const family = str(task.values.family)
  return resourcesOf(stack, 'aws_ecs_service').filter((service) => {
    const value = service.values.task_definition
    if (references(value).includes(task.address)) return true
    const text = str(value)
    if (!family || !text || !isLiteral(text)) return false
    return text === family || text.startsWith(`${family}:`) || text.includes(`:task-definition/${family}:`)
  })
}

/**
 * Whether a service starts no task until the operator's tool opens its gate: its desired_count and the
 * bounds of its scalable target are 0 or conditional on a variable (`${var.secrets_ready ? 2 : 0}`).
 */
export function isGated(stack: Stack, service: Resource): boolean {
  if (str(service.values.scheduling_strategy) === 'DAEMON') return false
  const desired = service.values.desired_count
  // desired_count defaults to 0: then only a scalable target can start tasks.
  if (desired !== undefined && !isGatedCount(desired)) return false
  const target = scalingTarget(stack, service)
  return !target || (isGatedCount(target.values.min_capacity) && isGatedCount(target.values.max_capacity))
}

/** The services that start tasks of a task definition as soon as they are created. */
export function ungatedServices(stack: Stack, task: Resource): Resource[] {
  return servicesOf(stack, task).filter((service) => !isGated(stack, service))
}

export interface Container {
  name: string
  values: JsonObject
}

export function containersOf(task: Resource): Container[] {
  return (containers(task) ?? []).map((values) => ({name: str(values.name) ?? '(unnamed)', values}))
}

/** The secrets a container has ECS inject: name and valueFrom. */
export function injectedSecrets(container: Container): {name: string; valueFrom: string}[] {
  const secrets = Array.isArray(container.values.secrets) ? container.values.secrets : []
  return secrets.filter(isObject).flatMap((secret) => {
    const valueFrom = str(secret.valueFrom)
    return valueFrom ? [{name: str(secret.name) ?? '(unnamed)', valueFrom}] : []
  })
}

/** An image in a private ECR registry: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`. */
export interface PrivateImage {
  account: string
  region: string
  repository: string
}

const PRIVATE_ECR =
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::[\w][\w.-]{0,127})?(?:@[\w+.-]+:[0-9a-f]+)?$/

export function privateImage(image: string): PrivateImage | undefined {
  if (!isLiteral(image)) return undefined
  const match = PRIVATE_ECR.exec(image)
  return match ? {account: match[1]!, region: match[2]!, repository: match[3]!} : undefined
}

/**
 * How an image is referenced: by digest (`@sha256:…`, or a digest interpolated after `@`), by tag (a
 * missing tag is `latest`), or unknown (the whole reference is an expression).
 */
export function imageReference(image: string): {by: 'digest'} | {by: 'tag'; tag: string} | undefined {
  // `${…}` may hold any character: judge what is written around it.
  const written = image.replaceAll(/\$\{(?:[^{}]|\{[^{}]*\})*\}/g, '\u0000')
  const last = written.slice(written.lastIndexOf('/') + 1)
  if (last.includes('@')) return {by: 'digest'}
  const colon = last.lastIndexOf(':')
  if (colon !== -1) return {by: 'tag', tag: last.slice(colon + 1).replaceAll('\u0000', '${…}')}
  return isLiteral(image) ? {by: 'tag', tag: 'latest'} : undefined
}

/** An image for a message: a digest cut to its first 12 characters. */
export function briefImage(image: string): string {
  return image.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]+$/, '@$1…')
}

/** Every task definition of the run with its containers' images. */
export function eachImage(
  stacks: readonly Stack[],
  visit: (stack: Stack, task: Resource, container: string, image: string) => void,
) {
  for (const stack of stacks)
    for (const task of resourcesOf(stack, 'aws_ecs_task_definition'))
      for (const container of containersOf(task)) {
        const image = str(container.values.image)
        if (image) visit(stack, task, container.name, image)
      }
}

/** The secret a valueFrom names: a secret of the stack by reference, or by its literal ARN. */
export function injectedSecret(stack: Stack, valueFrom: string): Resource | undefined {
  const referenced = resolve(stack, valueFrom, ['aws_secretsmanager_secret'])
  if (referenced || !isLiteral(valueFrom)) return referenced
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>[:json-key:stage:version]
  const named = /:secretsmanager:[^:]*:[^:]*:secret:([^:]+)/.exec(valueFrom)?.[1]
  if (!named) return undefined
  return resourcesOf(stack, 'aws_secretsmanager_secret').find((secret) => {
    const name = str(secret.values.name)
    return name !== undefined && (named === name || (named.startsWith(`${name}-`) && named.length === name.length + 7))
  })
}

/** Secrets of the stack that something gives a value: a secret version, or a rotation. */
export function secretsWithValue(stack: Stack): Set<Resource> {
  const found = new Set<Resource>()
  for (const source of resourcesOf(stack, 'aws_secretsmanager_secret_version', 'aws_secretsmanager_secret_rotation')) {
    const id = str(source.values.secret_id)
    const secret = id ? injectedSecret(stack, id) : undefined
    if (secret) found.add(secret)
    else if (id && isLiteral(id))
      for (const candidate of resourcesOf(stack, 'aws_secretsmanager_secret'))
        if (str(candidate.values.name) === id) found.add(candidate)
  }
  return found
}
