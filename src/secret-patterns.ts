/**
 * What credentials look like: used to keep them out of manifests (registry validation) and to find
 * them in Terraform (audit). One list, so both sides agree.
 */
export const SECRET_VALUE_PATTERNS: readonly {pattern: RegExp; label: string}[] = [
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
  return SECRET_VALUE_PATTERNS.find(({pattern}) => pattern.test(value))?.label
}

/** Query parameters that carry credentials in URLs (`?access_token=…`, `&sig=…`). */
const CREDENTIAL_QUERY =
  /[?&](access[_-]?token|token|api[_-]?key|key|secret|password|passwd|pwd|signature|sig|auth|credentials?)=/i

/**
 * Why a value meant to be non-secret (an integration setting) is not: a known credential shape, a
 * URL with a user and password in it, or a URL carrying a credential parameter. Undefined when fine.
 */
export function credentialInValue(value: string): string | undefined {
  const kind = secretValueKind(value)
  if (kind) return `looks like ${kind}`
  if (/:\/\/[^/@\s:]+:[^/@\s]+@/.test(value)) return 'is a URL with a user and password in it'
  if (/:\/\//.test(value) && CREDENTIAL_QUERY.test(value)) return 'is a URL carrying a credential parameter'
  return undefined
}
