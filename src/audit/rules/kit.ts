import {defaultProvider, providerAccount} from '../../configuration/providers.ts'
import {resolve} from '../../configuration/references.ts'
import {arnAccount, isLiteral, str} from '../../configuration/values.ts'
import type {FleetRule, ResourceRule, Stack, StackKind, StackRule} from '../types.ts'

/** Identity helpers: they give rule literals their types without repeating `scope`. */
export function resourceRule(rule: Omit<ResourceRule, 'scope'>): ResourceRule {
  return {...rule, scope: 'resource'}
}

export function stackRule(rule: Omit<StackRule, 'scope'>): StackRule {
  return {...rule, scope: 'stack'}
}

export function fleetRule(rule: Omit<FleetRule, 'scope'>): FleetRule {
  return {...rule, scope: 'fleet'}
}

export const none = {checkov: [] as string[], trivy: [] as string[]}

/** The account a stack works in: the registry's, else the one its provider assumes a role in. */
export function ownAccount(stack: Stack): string | undefined {
  return stack.client?.accountId ?? providerAccount(defaultProvider(stack))
}

const KEY_TYPES = ['aws_kms_key', 'aws_kms_alias', 'aws_kms_replica_key']

/**
 * Why an encryption-key attribute does not name a customer-managed key of the client's own, or
 * undefined when it does: a key or alias of this configuration, or a literal ARN in the stack's account.
 */
export function customerKeyProblem(stack: Stack, value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '')
    return `${what} names no KMS key, so AWS uses its own managed key instead of the client's customer-managed key`
  if (resolve(stack, value, KEY_TYPES)) return undefined
  const text = str(value)
  if (text === undefined) return `${what} is not a KMS key reference`
  if (/(^|[:/])alias\/aws\//.test(text)) return `${what} uses the AWS-managed key ${text}, not a customer-managed key`
  if (isLiteral(text)) {
    const account = arnAccount(text)
    const own = ownAccount(stack)
    if (account && own && account !== own)
      return `${what} uses a key of account ${account}, not one of the client's own account ${own}`
  }
  return undefined
}

/** Names that hold credentials when they hold a literal value: the credential word ends the name. */
const SECRET_NAME =
  /(^|[_\-.])(password|passwd|pwd|secret|secret[_-]?key|token|auth[_-]?token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|client[_-]?secret|credentials?)$/i
/** …unless the name says it holds something else about the secret (its name, ARN, key id, length…). */
const NOT_A_VALUE =
  /(_|-)(name|names|arn|arns|id|ids|kms_key_id|type|length|version|validity|rotation|enabled|required|stage|stages|ttl|policy|field|count|prefix|path|from|source|ref|key_id|secret_id|file|location|expiration|expires|duration|days|units|mode)$/i

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_A_VALUE.test(name)
}

// Values that are credentials whatever they are called: one list with the registry's screening of
// integration settings (a bare 40-character AWS secret key is not in it: it is caught by its name).
export {secretValueKind} from '../../secret-patterns.ts'

/** A literal credential-looking value for a name: a non-empty literal that is not a reference or an ARN. */
export function literalSecretValue(value: unknown): boolean {
  if (typeof value !== 'string' || !isLiteral(value)) return false
  const trimmed = value.trim()
  return trimmed !== '' && !trimmed.startsWith('arn:')
}

export const DESIGN = 'DESIGN.md, The per-client stack'

export const DEPLOYABILITY = 'issue 11, "The audit learns this class of fault"'

/** Every kind of stack: whether Terraform can apply is judged wherever it is applied. */
export const ALL_STACK_KINDS: StackKind[] = ['platform', 'bootstrap', 'client', 'other']
