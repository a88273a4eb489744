import {jsonencodeValue} from '../../configuration/jsonencode.ts'
import type {Resource} from '../../configuration/model.ts'
import {resolve, resourcesOf} from '../../configuration/references.ts'
import {at, blocks, isLiteral, isObject, str} from '../../configuration/values.ts'
import {DEFAULT_PLATFORM} from '../fleet-members.ts'
import {policyStatements, type Statement} from '../policies.ts'
import {APPLY_ORDER, applyStep, dependsOn, RunPlacement} from '../run-model.ts'
import type {FleetMember, Rule, Stack, Violation} from '../types.ts'
import {NameOwners, platformTokens} from './fleet.ts'
import {ALL_STACK_KINDS, DEPLOYABILITY, fleetRule, none} from './kit.ts'

/** The deployability rules about IAM: trust in roles that do not exist yet, policies that outgrow IAM's quotas. */

const ORDER =
  'DESIGN.md: "Stacks apply in an order: the platform stack (management account) first, then a bootstrap stack per client account, then the client stack"'

/**
 * The fleet a policy must still fit at: far enough ahead that a policy listing every client is found
 * long before it breaks (issue 11: the platform role policies broke at about 170 clients).
 */
export const FLEET_PROJECTION_CLIENTS = 500

/** IAM's default quotas, in characters with whitespace not counted. */
export const IAM_POLICY_LIMITS = {inline: 10_240, managed: 6_144, trust: 2_048} as const

type RunViolation = Violation & {stack: Stack}

/** A role ARN: `arn:aws:iam::<account>:role/<path/>name` (role names are unique in an account, whatever the path). */
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/

function trustStatements(stack: Stack, role: Resource): Statement[] {
  const result = policyStatements(stack, role.values.assume_role_policy)
  return result.kind === 'statements' ? result.statements.filter((statement) => statement.effect === 'Allow') : []
}

/** The literal role ARNs a trust policy names as AWS principals. */
function trustedRoleArns(stack: Stack, role: Resource): string[] {
  const arns = trustStatements(stack, role)
    .flatMap((statement) => statement.principals)
    .filter((principal) => principal.type === 'AWS')
    .flatMap((principal) => principal.identifiers)
    .filter((identifier) => isLiteral(identifier) && ROLE_ARN.test(identifier))
  return [...new Set(arns)]
}

interface CreatedRole {
  stack: Stack
  role: Resource
}

/** Why a role another role trusts may not exist when the trusting role is created, or undefined. */
function createdTooLate(stack: Stack, role: Resource, creator: CreatedRole): string | undefined {
  if (creator.stack === stack) {
    if (creator.role === role) return 'is this role itself'
    return dependsOn(stack, role, creator.role)
      ? undefined
      : `${creator.role.address} creates in this stack, and nothing (a reference, depends_on) makes it come first`
  }
  const own = applyStep(stack)
  const theirs = applyStep(creator.stack)
  if (own === undefined || theirs === undefined || theirs < own) return undefined
  const where = `stack ${creator.stack.id} creates (${creator.role.address})`
  return theirs === own
    ? `${where}, a ${creator.stack.kind} stack that applies at the same step as this one`
    : `${where}, a ${creator.stack.kind} stack that applies after this ${stack.kind} stack (${APPLY_ORDER})`
}

/** The characters a policy text counts for IAM: no whitespace; an account id expression stands for 12 digits. */
const INTERPOLATION = /\$\{(?:[^{}]|\{[^{}]*\})*\}/g
const ACCOUNT_ID_EXPRESSION = /(\.account_id|^\$\{aws_organizations_account\.[\w-]+\.id)\}$/

function characters(text: string): number {
  let size = 0
  const written = text.replaceAll(INTERPOLATION, (expression) => {
    size += ACCOUNT_ID_EXPRESSION.test(expression) ? 12 : expression.replaceAll(/\s/g, '').length
    return ''
  })
  return size + written.replaceAll(/\s/g, '').length
}

/** A policy as the JSON text IAM receives, when the audit can tell (literal, jsonencode, a policy document). */
function policyText(stack: Stack, value: unknown): string | undefined {
  if (isObject(value)) return JSON.stringify(value)
  if (typeof value !== 'string' || value === '') return undefined
  const encoded = jsonencodeValue(value)
  if (encoded !== undefined) return isObject(encoded) ? JSON.stringify(encoded) : undefined
  const result = policyStatements(stack, value)
  if (result.kind !== 'statements') return undefined
  return value.trimStart().startsWith('{') ? value : documentJson(result.statements)
}

function conditionJson(conditions: Statement['conditions']): Record<string, Record<string, string | string[]>> {
  const json: Record<string, Record<string, string | string[]>> = {}
  for (const {test, values, variable} of conditions)
    (json[test] ??= {})[variable] = values.length === 1 ? values[0]! : values
  return json
}

/** The JSON an aws_iam_policy_document renders for its statements (close enough to count its size). */
function documentJson(statements: readonly Statement[]): string {
  const one = (values: string[]) => (values.length === 1 ? values[0] : values)
  return JSON.stringify({
    Statement: statements.map((statement) => ({
      Effect: statement.effect,
      ...(statement.actions.length > 0 ? {Action: one(statement.actions)} : {}),
      ...(statement.notActions.length > 0 ? {NotAction: one(statement.notActions)} : {}),
      ...(statement.resources.length > 0 ? {Resource: one(statement.resources)} : {}),
      ...(statement.notResources.length > 0 ? {NotResource: one(statement.notResources)} : {}),
      ...(statement.principals.length > 0
        ? {Principal: Object.fromEntries(statement.principals.map((p) => [p.type, one(p.identifiers)]))}
        : {}),
      ...(statement.conditions.length > 0 ? {Condition: conditionJson(statement.conditions)} : {}),
    })),
    Version: '2012-10-17',
  })
}

/**
 * Entries of a policy (ARNs, principals, condition values) as the fleet member they name and their
 * shape with that member taken out: `arn:aws:iam::<account>:role/SeiketsuClientAdmin`. Entries of one
 * shape naming two or more members are a list that grows by one entry per client.
 */
class FleetEntries {
  private readonly accounts = new Map<string, FleetMember>()
  private readonly names: NameOwners

  constructor(members: readonly FleetMember[], platformNames: readonly string[]) {
    for (const member of members) if (member.accountId) this.accounts.set(member.accountId, member)
    this.names = new NameOwners(members, platformNames)
  }

  shape(stack: Stack, entry: string): {owner: string; shape: string} | undefined {
    const member = this.memberOf(stack, entry)
    if (member) {
      let shape = member.accountId ? entry.replaceAll(member.accountId, '<account>') : entry
      for (const prefix of member.prefixes) shape = shape.replaceAll(prefix, '<client>')
      return {owner: member.id, shape}
    }
    // An account the platform creates for a client is known by reference only.
    const account = entry.includes('aws_organizations_account.')
      ? resolve(stack, entry, ['aws_organizations_account'])
      : undefined
    if (!account) return undefined
    const owner = str(at(account.values, 'tags', 'seiketsu:client')) ?? account.address
    return {owner, shape: entry.replace(/\$\{aws_organizations_account\.[\w-]+\.id\}/, '<account>')}
  }

  private memberOf(stack: Stack, entry: string): FleetMember | undefined {
    if (/\d{12}/.test(entry))
      for (const match of entry.matchAll(/(?<!\d)\d{12}(?!\d)/g)) {
        const member = this.accounts.get(match[0])
        if (member) return member
      }
    for (const platform of new Set([stack.platform ?? DEFAULT_PLATFORM, ...this.names.platforms]))
      if (entry.includes(platform))
        for (const token of platformTokens(entry, platform)) {
          const member = this.names.owners(token).owners[0]
          if (member) return member
        }
    return undefined
  }
}

/**
 * How a policy grows with the fleet: the clients its per-client lists name now, and the characters one
 * more client adds (an entry of each such list, with its quotes and comma). The stack's own client is
 * not the fleet.
 */
function growthPerClient(stack: Stack, statements: readonly Statement[], fleet: FleetEntries) {
  const shapes = new Map<string, {owners: Set<string>; size: number; count: number}>()
  for (const statement of statements)
    for (const entry of [
      ...statement.resources,
      ...statement.notResources,
      ...statement.principals.flatMap((principal) => principal.identifiers),
      ...statement.conditions.flatMap((condition) => condition.values),
    ]) {
      const named = fleet.shape(stack, entry)
      if (!named || named.owner === stack.client?.id) continue
      const shape = shapes.get(named.shape) ?? {count: 0, owners: new Set(), size: 0}
      shape.owners.add(named.owner)
      shape.count++
      shape.size += characters(entry) + 3
      shapes.set(named.shape, shape)
    }
  const lists = [...shapes.values()].filter((shape) => shape.owners.size >= 2)
  return {
    characters: Math.ceil(lists.reduce((total, shape) => total + shape.size / shape.count, 0)),
    clients: Math.max(0, ...lists.map((shape) => shape.owners.size)),
  }
}

interface PolicyGroup {
  /** Where the finding goes: the role (inline, trust) or the managed policy. */
  resource: Resource
  quota: keyof typeof IAM_POLICY_LIMITS
  /** What is measured, for the message. */
  label: string
  values: unknown[]
}

/** The policies of a stack measured against one quota each: a role's inline policies together, its trust, each managed policy. */
function policyGroups(stack: Stack): PolicyGroup[] {
  const roles = resourcesOf(stack, 'aws_iam_role')
  const inline = new Map<Resource, {values: unknown[]; policies: string[]}>()
  const groups: PolicyGroup[] = []
  for (const role of roles) {
    inline.set(role, {policies: [], values: blocks(role.values.inline_policy).map((block) => block.policy)})
    groups.push({label: 'the trust policy', quota: 'trust', resource: role, values: [role.values.assume_role_policy]})
  }
  for (const policy of resourcesOf(stack, 'aws_iam_role_policy')) {
    const name = str(policy.values.role)
    const role =
      resolve(stack, policy.values.role, ['aws_iam_role']) ??
      roles.find((candidate) => name !== undefined && str(candidate.values.name) === name)
    const group = role ? inline.get(role) : undefined
    if (group) {
      group.values.push(policy.values.policy)
      group.policies.push(policy.address)
    } else groups.push({label: 'the inline policy', quota: 'inline', resource: policy, values: [policy.values.policy]})
  }
  for (const [role, {policies, values}] of inline)
    if (values.length > 0)
      groups.push({
        label:
          values.length === 1
            ? `its inline policy${policies.length > 0 ? ` ${policies[0]}` : ''}`
            : `its inline policies${policies.length > 0 ? ` (${policies.join(', ')})` : ''} together`,
        quota: 'inline',
        resource: role,
        values,
      })
  for (const policy of resourcesOf(stack, 'aws_iam_policy'))
    groups.push({label: 'the managed policy', quota: 'managed', resource: policy, values: [policy.values.policy]})
  return groups
}

const thousands = (value: number) => value.toLocaleString('en-US')

function sizeProblem(stack: Stack, group: PolicyGroup, fleet: FleetEntries): string | undefined {
  const limit = IAM_POLICY_LIMITS[group.quota]
  let size = 0
  const statements: Statement[] = []
  for (const value of group.values) {
    const text = policyText(stack, value)
    if (text === undefined) continue
    size += characters(text)
    const result = policyStatements(stack, value)
    if (result.kind === 'statements') statements.push(...result.statements)
  }
  if (size > limit)
    return `${group.label} ${group.values.length > 1 ? 'are' : 'is'} ${thousands(size)} characters (whitespace not counted), over IAM's limit of ${thousands(limit)}: IAM refuses it (LimitExceeded)`
  const growth = growthPerClient(stack, statements, fleet)
  if (growth.clients === 0 || growth.clients >= FLEET_PROJECTION_CLIENTS) return undefined
  const projected = size + growth.characters * (FLEET_PROJECTION_CLIENTS - growth.clients)
  if (projected <= limit) return undefined
  const breaksAt = growth.clients + Math.floor((limit - size) / growth.characters) + 1
  return `${group.label} ${group.values.length > 1 ? 'list' : 'lists'} an entry per client (${growth.clients} now, about ${growth.characters} characters each): ${thousands(size)} characters today, about ${thousands(projected)} at ${FLEET_PROJECTION_CLIENTS} clients, over IAM's limit of ${thousands(limit)}; it breaks at about ${breaksAt} clients`
}

export const deployabilityIamRules: Rule[] = [
  fleetRule({
    check({allStacks}) {
      const placement = new RunPlacement(allStacks)
      const created = new Map<string, CreatedRole[]>()
      for (const stack of allStacks)
        for (const role of resourcesOf(stack, 'aws_iam_role')) {
          const name = str(role.values.name)
          const account = placement.account(stack, role)
          if (!name || !isLiteral(name) || !account) continue
          const key = `${account}:${name}`
          created.set(key, [...(created.get(key) ?? []), {role, stack}])
        }
      const violations: RunViolation[] = []
      for (const stack of allStacks)
        for (const role of resourcesOf(stack, 'aws_iam_role'))
          for (const arn of trustedRoleArns(stack, role)) {
            const [, account, name] = ROLE_ARN.exec(arn)!
            for (const creator of created.get(`${account}:${name}`) ?? []) {
              const reason = createdTooLate(stack, role, creator)
              if (reason)
                violations.push({
                  address: role.address,
                  file: role.file,
                  message: `the trust policy names ${arn}, which ${reason}: IAM rejects a trust policy naming a role that does not exist yet (MalformedPolicyDocument: Invalid principal)`,
                  stack,
                })
            }
          }
      return violations
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-005',
    kinds: ALL_STACK_KINDS,
    remediation:
      'Trust the account root (arn:aws:iam::<account>:root) with a condition ArnEquals / ArnLike aws:PrincipalArn naming the role, which IAM accepts before the role exists; within one stack, reference the role (${aws_iam_role.x.arn}) or add depends_on.',
    requirement: `${DEPLOYABILITY}: a trust policy naming a role created by a later stack in the order; ${ORDER}.`,
    resourceTypes: ['aws_iam_role'],
    severity: 'high',
    title: 'Trust policies name only roles that exist when they apply',
  }),
  fleetRule({
    check({allStacks, members, platformNames}) {
      const fleet = new FleetEntries(members, platformNames)
      return allStacks.flatMap((stack) =>
        policyGroups(stack).flatMap((group): RunViolation[] => {
          const message = sizeProblem(stack, group, fleet)
          return message ? [{address: group.resource.address, file: group.resource.file, message, stack}] : []
        }),
      )
    },
    domain: 'deployability',
    equivalents: none,
    id: 'SKT-DEP-007',
    kinds: ALL_STACK_KINDS,
    remediation: `Keep each policy's size independent of the fleet: instead of one ARN or principal per client, name them with a wildcard scoped by organization (a condition on aws:ResourceOrgID / aws:PrincipalOrgID) or by an IAM path; split a policy that is too large now. Limits: ${thousands(IAM_POLICY_LIMITS.inline)} characters for a role's inline policies together, ${thousands(IAM_POLICY_LIMITS.managed)} for a managed policy, ${thousands(IAM_POLICY_LIMITS.trust)} for a trust policy.`,
    requirement: `${DEPLOYABILITY}: an IAM policy over IAM's size limits as the fleet grows (projected at ${FLEET_PROJECTION_CLIENTS} clients); issue 11 item 14.`,
    resourceTypes: ['aws_iam_role', 'aws_iam_role_policy', 'aws_iam_policy'],
    severity: 'medium',
    title: "IAM policies fit IAM's size limits as the fleet grows",
  }),
]
