import {arnAccount, defaultProvider, isLiteral, providerAccount, resolve, str} from '../terraform.ts'
import type {FleetRule, ResourceRule, Stack, StackRule} from '../types.ts'

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

/**
 * Values that are credentials whatever they are called: formats distinctive enough not to be confused
 * with names or paths (a bare 40-character AWS secret key is not: it is caught by the name it sits under).
 */
const SECRET_VALUES: {pattern: RegExp; label: string}[] = [
  {label: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/},
  {label: 'a private key', pattern: /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/},
  {label: 'a JSON web token', pattern: /\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/},
  {label: 'a Slack token', pattern: /\bxox[abposr]-[0-9A-Za-z-]{10,}/},
  {label: 'a GitHub token', pattern: /\bgh[pousr]_[0-9A-Za-z]{36,}/},
  {label: 'a Stripe live key', pattern: /\b[rs]k_live_[0-9A-Za-z]{16,}/},
  {label: 'an ElevenLabs API key', pattern: /\bsk_[0-9a-f]{48}\b/},
  {label: 'a Twilio API key', pattern: /\bSK[0-9a-f]{32}\b/},
]

/** What kind of credential a literal value looks like, or undefined. */
export function secretValueKind(value: string): string | undefined {
  if (!value || value.length < 16) return undefined
  return SECRET_VALUES.find(({pattern}) => pattern.test(value))?.label
}

/** A literal credential-looking value for a name: a non-empty literal that is not a reference or an ARN. */
export function literalSecretValue(value: unknown): boolean {
  if (typeof value !== 'string' || !isLiteral(value)) return false
  const trimmed = value.trim()
  return trimmed !== '' && !trimmed.startsWith('arn:')
}

export const DESIGN = 'DESIGN.md, The per-client stack'
