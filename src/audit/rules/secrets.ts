import {resourcesOf} from '../../configuration/references.ts'
import {isObject, str} from '../../configuration/values.ts'
import {integrationSecretName} from '../../naming.ts'
import type {IntegrationName} from '../../registry/manifest.ts'
import type {Rule, Stack, Violation} from '../types.ts'
import {
  customerKeyProblem,
  DESIGN,
  isSecretName,
  literalSecretValue,
  resourceRule,
  secretValueKind,
  stackRule,
} from './kit.ts'

/**
 * Every literal credential in a value: by the name it is stored under, or by what it looks like.
 * `path` is the attribute path so far, `name` the key the value sits under (array items keep it).
 */
function literalSecrets(value: unknown, path: string, name: string, found: string[]): void {
  if (typeof value === 'string') {
    if (isSecretName(name) && literalSecretValue(value)) found.push(`${path} holds a literal value`)
    else if (value.length >= 16) {
      const kind = secretValueKind(value)
      if (kind) found.push(`${path} holds ${kind}`)
    }
  } else if (Array.isArray(value))
    value.forEach((item, index) => literalSecrets(item, `${path}[${index}]`, name, found))
  else if (isObject(value))
    for (const [key, item] of Object.entries(value))
      // "//" keys are comments (cdktf's metadata); Terraform never reads them.
      if (key !== '//') literalSecrets(item, path ? `${path}.${key}` : key, key, found)
}

function stackSecrets(stack: Stack): Violation[] {
  const violations: Violation[] = []
  const collect = (address: string, file: string, value: unknown) => {
    const found: string[] = []
    literalSecrets(value, '', '', found)
    for (const message of found) violations.push({address, file, message})
  }
  for (const resource of stack.resources) collect(resource.address, resource.file, resource.values)
  for (const provider of stack.providers) collect(`provider.${provider.key}`, provider.file, provider.values)
  for (const [kind, entries] of Object.entries(stack.blocks)) {
    if (kind === '//' || kind === 'terraform') continue
    if (kind === 'locals') collect('locals', stack.file, entries)
    else
      for (const entry of Array.isArray(entries) ? entries : [entries])
        if (isObject(entry))
          for (const [name, body] of Object.entries(entry)) {
            collect(`${kind}.${name}`, stack.file, body)
            // A variable is named for what it holds: `variable "db_password" { default = "…" }`.
            const first = Array.isArray(body) ? body[0] : body
            if (kind === 'variable' && isObject(first) && isSecretName(name) && literalSecretValue(first.default))
              violations.push({
                address: `variable.${name}`,
                file: stack.file,
                message: 'its default is a literal credential',
              })
          }
  }
  return violations
}

export const secretRules: Rule[] = [
  resourceRule({
    check(secret, stack) {
      return customerKeyProblem(stack, secret.values.kms_key_id, 'kms_key_id')
    },
    domain: 'secrets',
    equivalents: {checkov: ['CKV_AWS_149'], trivy: ['AVD-AWS-0098']},
    id: 'SKT-SEC-001',
    remediation: "Set kms_key_id = the client's key on every secret.",
    requirement: `${DESIGN}: Secrets — encrypted with the client key.`,
    resourceTypes: ['aws_secretsmanager_secret'],
    severity: 'high',
    title: "Secrets are encrypted with the client's key",
  }),
  resourceRule({
    check(version) {
      if (version.type === 'aws_ssm_parameter')
        return str(version.values.type) === 'SecureString' &&
          (version.values.value !== undefined || version.values.insecure_value !== undefined)
          ? 'a SecureString parameter value is written in Terraform'
          : undefined
      return 'a secret value is written in Terraform (it ends up in state and plan files)'
    },
    domain: 'secrets',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-SEC-002',
    remediation:
      'Remove the secret version: Terraform creates the secret container only; seiketsu puts values with the AWS SDK.',
    requirement: `${DESIGN}: Secrets — Terraform creates the container only; values never appear in synthesized JSON, plan files, logs or the registry.`,
    resourceTypes: ['aws_secretsmanager_secret_version', 'aws_ssm_parameter'],
    severity: 'critical',
    title: 'No secret values in Terraform',
  }),
  stackRule({
    check: stackSecrets,
    domain: 'secrets',
    equivalents: {checkov: [], trivy: ['AVD-AWS-0036']},
    id: 'SKT-SEC-003',
    kinds: ['client', 'bootstrap', 'platform', 'other'],
    remediation:
      'Delete the literal and rotate the credential; keep credentials in Secrets Manager and reference them by ARN.',
    requirement: `${DESIGN}: Secrets — values never appear in synthesized JSON; Database — no password in Terraform.`,
    resourceTypes: [],
    severity: 'critical',
    title: 'No literal password or credential anywhere in the configuration',
  }),
  stackRule({
    check(stack) {
      const wanted = stack.client?.secretIntegrations
      if (!wanted) return []
      const names = resourcesOf(stack, 'aws_secretsmanager_secret').map((secret) => str(secret.values.name) ?? '')
      return wanted
        .filter((integration) => {
          const expected = stack.platform
            ? integrationSecretName(stack.platform, stack.client!.id, integration as IntegrationName)
            : undefined
          return !names.some((name) =>
            expected ? name === expected : name.endsWith(`/${stack.client!.id}/${integration}`),
          )
        })
        .map((integration) => ({
          address: 'aws_secretsmanager_secret',
          message: `no secret for the enabled ${integration} integration`,
        }))
    },
    domain: 'secrets',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-SEC-004',
    remediation:
      'Create one aws_secretsmanager_secret per enabled ElevenLabs / Twilio / MLS integration, named <platform>/<client>/<integration>.',
    requirement: `${DESIGN}: Secrets — one Secrets Manager secret per enabled integration (ElevenLabs, Twilio, MLS).`,
    resourceTypes: ['aws_secretsmanager_secret'],
    severity: 'medium',
    title: 'Every enabled integration has its secret',
  }),
]
