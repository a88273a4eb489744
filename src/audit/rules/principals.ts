import {references, resolve, resourcesOf} from '../../configuration/references.ts'
import {arnAccount, isLiteral, str} from '../../configuration/values.ts'
import {PLATFORM_ROLES} from '../../naming.ts'
import {hasWildcardPrincipal, type Statement} from '../policies.ts'
import type {Stack} from '../types.ts'
import {ownAccount} from './kit.ts'

/**
 * Who a policy statement lets in, judged against the stack's context: the client's own account,
 * the platform's management account. Shared by the bucket, key, resource-policy and trust rules.
 */

/** Condition keys that name an account: the caller's, or the one a service acts for. */
const ACCOUNT_KEYS = new Set(['aws:sourceaccount', 'aws:sourceowner', 'aws:principalaccount', 'kms:calleraccount'])
const ARN_KEYS = new Set(['aws:sourcearn'])
const NETWORK_KEYS = new Set(['aws:sourcevpce', 'aws:sourcevpc'])
const ORGANIZATION_KEYS = new Set(['aws:principalorgid'])

/**
 * Operators that require the key to be present and equal to (or match) a value. Negations
 * (StringNotEquals: everyone but …), `…IfExists` (passes when the key is absent, as it is for a direct
 * call) and set operators (ForAllValues passes on an absent key) do not limit who gets in.
 */
const LIMITING_OPERATORS = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike'])

type Condition = Statement['conditions'][number]

const hasWildcard = (text: string) => text.includes('*') || text.includes('?')

/** The 12-digit account a value names: a literal id or ARN, or the stack's own through aws_caller_identity. */
function valueAccount(stack: Stack, value: string): string | 'own' | undefined {
  if (/^\d{12}$/.test(value)) return value
  const literal = arnAccount(value)
  if (literal) return literal
  // `arn:aws:iam::${data.aws_caller_identity.current.account_id}:root`, or the id itself.
  const account = /^(?:arn:aws[\w-]*:[\w-]*:[\w-]*:)?\$\{([^}]+)\}(?::|$)/.exec(value)?.[1]
  if (account && /^data\.aws_caller_identity\.[\w-]+\.account_id$/.test(account)) return 'own'
  return undefined
}

/** S3 ARNs carry no account: a bucket of this configuration is the stack's own. */
function ownBucketArn(stack: Stack, value: string): boolean {
  const bucket = /^arn:aws[\w-]*:s3:::([^/*?]+)(\/.*)?$/.exec(value)?.[1]
  if (!bucket) return false
  return resourcesOf(stack, 'aws_s3_bucket').some((resource) => str(resource.values.bucket) === bucket)
}

/** Whether one condition value limits the request to the stack's client (or, with no client account known, to someone). */
function limitsTo(stack: Stack, key: string, value: string, own: string | undefined): boolean {
  if (value === '' || value === '*') return false
  const reference = !isLiteral(value)
  if (ACCOUNT_KEYS.has(key)) {
    const account = valueAccount(stack, value)
    if (account === 'own') return true
    if (own) return account === own
    return !hasWildcard(value)
  }
  if (ARN_KEYS.has(key)) {
    // A resource of this configuration (its ARN is known only after apply) is the stack's own.
    if (reference && references(value).some((address) => stack.byAddress.has(address))) return true
    const account = valueAccount(stack, value)
    if (account === 'own') return true
    if (account) return own ? account === own : true
    if (ownBucketArn(stack, value)) return true
    return !own && !reference && /^arn:aws[\w-]*:s3:::[^*?]/.test(value)
  }
  if (NETWORK_KEYS.has(key)) {
    if (resolve(stack, value, ['aws_vpc_endpoint', 'aws_vpc'])) return true
    // A literal endpoint or VPC id may be anyone's: only Terraform with no client account gives it the benefit.
    return !own && !reference && !hasWildcard(value)
  }
  // The organization holds every client's account: it does not keep one client's data from another.
  // Outside a client stack (the platform's image repository), the organization's own id scopes it.
  if (ORGANIZATION_KEYS.has(key)) return !own && !hasWildcard(value) && (!reference || isOrganizationId(value))
  return false
}

/** `${data.aws_organizations_organization.<name>.id}`: the id of the organization this configuration runs in. */
function isOrganizationId(value: string): boolean {
  return /^\$\{data\.aws_organizations_organization\.[\w-]+\.id\}$/.test(value)
}

/** Whether a condition limits who may make the request (to the client, when the stack knows its account). */
export function limitsPrincipal(stack: Stack, condition: Condition): boolean {
  if (!LIMITING_OPERATORS.has(condition.test)) return false
  const key = condition.variable.toLowerCase()
  if (![ACCOUNT_KEYS, ARN_KEYS, NETWORK_KEYS, ORGANIZATION_KEYS].some((keys) => keys.has(key))) return false
  const own = ownAccount(stack)
  return condition.values.length > 0 && condition.values.every((value) => limitsTo(stack, key, value, own))
}

/**
 * Why an Allow statement with a wildcard principal (`"*"`, `{"AWS": "*"}`) lets anyone in, or
 * undefined when it does not: it is scoped only by a condition on the source account / ARN, the
 * caller's account or organization, or the VPC (endpoint) the request comes through, with values
 * that are the client's own when the stack knows the client's account. Any other condition
 * (aws:SecureTransport, a user agent…) limits how, not who.
 */
export function openToEveryone(stack: Stack, statement: Statement): string | undefined {
  if (statement.effect !== 'Allow' || !hasWildcardPrincipal(statement)) return undefined
  if (statement.conditions.some((condition) => limitsPrincipal(stack, condition))) return undefined
  const actions = statement.actions.length > 0 ? statement.actions.join(', ') : 'NotAction'
  const own = ownAccount(stack)
  const limit = own
    ? `to the client's account ${own} or its own resources`
    : 'to an account, a source ARN or a VPC endpoint'
  if (statement.conditions.length === 0) return `allows ${actions} to any principal ("*") without a condition`
  const keys = [...new Set(statement.conditions.map((condition) => `${condition.test} ${condition.variable}`))]
  return `allows ${actions} to any principal ("*"): its condition (${keys.join('; ')}) does not limit it ${limit}`
}

/** An AWS principal of a trust policy, as the account it belongs to and whether it is a role. */
function principalOwner(stack: Stack, identifier: string): {account: string | 'own' | undefined; role: boolean} {
  const role = /:role\//.test(identifier)
  // A role or user of this configuration is in the stack's own account.
  if (!isLiteral(identifier) && resolve(stack, identifier, ['aws_iam_role', 'aws_iam_user']))
    return {account: 'own', role}
  return {account: valueAccount(stack, identifier), role}
}

/**
 * The AWS principals of a client stack's trust statement that are neither the client's own account
 * nor a role of the platform's management account. With no management account in the context
 * (Terraform audited outside a workspace), a platform role (SeiketsuPlatformAdmin, …) in another
 * account is taken for the management account's; with no client account known either, only what is
 * neither can be told apart, so nothing is reported.
 */
export function foreignTrustedPrincipals(stack: Stack, statement: Statement): string[] {
  // A bootstrap stack works in the client's account too (its provisioner role).
  if (statement.effect !== 'Allow' || (stack.kind !== 'client' && stack.kind !== 'bootstrap')) return []
  const own = ownAccount(stack)
  const management = stack.client?.managementAccountId
  if (!own && !management) return []
  const identifiers = statement.principals
    .filter((principal) => principal.type === 'AWS')
    .flatMap((principal) => principal.identifiers)
    .filter((identifier) => identifier !== '*')
    .flatMap((identifier) => narrowedPrincipals(statement, identifier))
  return identifiers.filter((identifier) => {
    const {account, role} = principalOwner(stack, identifier)
    if (account === 'own' || (own && account === own)) return false
    if (account && management) return !(account === management && role)
    if (account && !management) return !(role && isPlatformRole(identifier))
    // Neither a literal account nor a principal of this configuration: it cannot be vouched for.
    return true
  })
}

/**
 * An account root narrowed by `aws:PrincipalArn` to named principals of that account (the form IAM
 * accepts before those roles exist): the statement trusts those principals, not the whole account.
 */
function narrowedPrincipals(statement: Statement, identifier: string): string[] {
  const account = /^(?:arn:aws[\w-]*:iam::(\d{12}):root|(\d{12}))$/.exec(identifier)
  if (!account) return [identifier]
  const accountId = account[1] ?? account[2]!
  const narrowing = statement.conditions.filter(
    (condition) => LIMITING_OPERATORS.has(condition.test) && condition.variable.toLowerCase() === 'aws:principalarn',
  )
  const principals = narrowing.flatMap((condition) => condition.values)
  const inAccount = principals.every(
    (arn) => arnAccount(arn) === accountId && !hasWildcard(arn.split(':').pop() ?? '*'),
  )
  return narrowing.length > 0 && principals.length > 0 && inAccount ? principals : [identifier]
}

function isPlatformRole(identifier: string): boolean {
  return PLATFORM_ROLES.some((name) => identifier.endsWith(`:role/${name}`))
}
