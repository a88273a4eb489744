import {readFile} from 'node:fs/promises'

import {expect} from 'chai'

/** A resource's configuration as written in cdk.tf.json (cdktf's `//` metadata removed). */
export type ResourceConfig = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface StackDocument {
  text: string
  provider: Record<string, ResourceConfig[]>
  resource: Record<string, Record<string, ResourceConfig>>
  data?: Record<string, Record<string, ResourceConfig>>
  terraform: ResourceConfig
  variable?: Record<string, ResourceConfig>
  output?: Record<string, ResourceConfig>
  /** `removed` blocks: what terraform forgets instead of destroying. */
  removed?: ResourceConfig[]
  import?: ResourceConfig[]
}

export async function readStack(file: string): Promise<StackDocument> {
  const text = await readFile(file, 'utf8')
  return {...JSON.parse(text), text}
}

/** Every resource of a type, by name. */
export function resourcesOf(doc: StackDocument, type: string): Record<string, ResourceConfig> {
  return Object.fromEntries(
    Object.entries(doc.resource[type] ?? {}).map(([name, config]) => {
      const {'//': _metadata, ...rest} = config
      return [name, rest]
    }),
  )
}

export function listOf(doc: StackDocument, type: string): ResourceConfig[] {
  return Object.values(resourcesOf(doc, type))
}

/** The one resource of a type with this name; fails the test when it is missing. */
export function resourceOf(doc: StackDocument, type: string, name: string): ResourceConfig {
  const config = resourcesOf(doc, type)[name]
  expect(config, `${type}.${name}`).to.be.an('object')
  return config!
}

export interface Statement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Principal?: '*' | {AWS?: string | string[]; Service?: string | string[]}
  Action: string | string[]
  Resource?: string | string[]
  Condition?: Record<string, Record<string, unknown>>
}

export function statementsOf(policy: string): Statement[] {
  return (JSON.parse(policy) as {Statement: Statement[]}).Statement
}

export const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

/** Every IAM policy document in a stack: role trust and inline policies, key, bucket and topic policies. */
export function policiesOf(doc: StackDocument): {where: string; statements: Statement[]}[] {
  const policies: {where: string; statements: Statement[]}[] = []
  for (const [name, role] of Object.entries(resourcesOf(doc, 'aws_iam_role')))
    policies.push({statements: statementsOf(role.assume_role_policy), where: `aws_iam_role.${name} trust`})
  for (const type of ['aws_iam_role_policy', 'aws_kms_key', 'aws_s3_bucket_policy', 'aws_sns_topic_policy'])
    for (const [name, config] of Object.entries(resourcesOf(doc, type)))
      policies.push({statements: statementsOf(config.policy), where: `${type}.${name}`})
  return policies
}

/** The statements of a role's inline policies (aws_iam_role_policy resources naming the role). */
export function rolePolicyStatements(doc: StackDocument, roleAddress: string): Statement[] {
  return listOf(doc, 'aws_iam_role_policy')
    .filter((policy) => policy.role === `\${${roleAddress}.name}`)
    .flatMap((policy) => statementsOf(policy.policy))
}

/** Every string anywhere in a value, recursively. */
export function stringsIn(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value)
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, into)
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, into)
  return into
}
