import {defaultProvider, providerOf} from '../../configuration/providers.ts'
import {resolve, resourcesOf} from '../../configuration/references.ts'
import {isFalse, isTrue, str} from '../../configuration/values.ts'
import {policyStatements} from '../policies.ts'
import type {Rule} from '../types.ts'
import {DESIGN, none, resourceRule, stackRule} from './kit.ts'
import {openToEveryone} from './principals.ts'

function symmetric(values: Record<string, unknown>): boolean {
  const spec = str(values.customer_master_key_spec) ?? str(values.key_spec) ?? 'SYMMETRIC_DEFAULT'
  return spec === 'SYMMETRIC_DEFAULT'
}

/** The region a resource is created in: its provider's region. */
export function regionOf(stack: Parameters<typeof providerOf>[0], resource: Parameters<typeof providerOf>[1]) {
  return str(providerOf(stack, resource)?.values.region)
}

export const keyRules: Rule[] = [
  resourceRule({
    check(key) {
      if (!symmetric(key.values)) return undefined
      return isTrue(key.values.enable_key_rotation) ? undefined : 'enable_key_rotation is not true'
    },
    domain: 'keys',
    equivalents: {checkov: ['CKV_AWS_7'], trivy: ['AVD-AWS-0065']},
    id: 'SKT-KMS-001',
    remediation: 'Set enable_key_rotation = true on every symmetric customer-managed key.',
    requirement: `${DESIGN}: Keys — a customer-managed KMS key per client, rotation on.`,
    resourceTypes: ['aws_kms_key'],
    severity: 'high',
    title: 'KMS keys rotate automatically',
  }),
  resourceRule({
    check(key, stack) {
      if (key.values.policy === undefined)
        return 'no key policy: the account default grants every IAM principal of the account'
      const policy = policyStatements(stack, key.values.policy)
      if (policy.kind === 'invalid') return `key policy: ${policy.reason}`
      if (policy.kind === 'unknown') return undefined
      return policy.statements.flatMap((statement) => {
        const problem = openToEveryone(stack, statement)
        return problem ? [`key policy ${problem}`] : []
      })
    },
    domain: 'keys',
    equivalents: {checkov: ['CKV_AWS_33', 'CKV2_AWS_64'], trivy: []},
    id: 'SKT-KMS-002',
    remediation:
      'Give every key an explicit policy whose principals are the client\'s own account and roles; "*" only with a condition (kms:CallerAccount, aws:SourceAccount…) naming the client\'s account.',
    requirement: `${DESIGN}: Keys — key policy naming only that client's account.`,
    resourceTypes: ['aws_kms_key'],
    severity: 'high',
    title: 'KMS keys have an explicit policy with no public principal',
  }),
  resourceRule({
    check(key) {
      return isFalse(key.values.is_enabled) ? 'is_enabled = false: data encrypted under it cannot be read' : undefined
    },
    domain: 'keys',
    equivalents: {checkov: ['CKV_AWS_227'], trivy: []},
    id: 'SKT-KMS-003',
    remediation: 'Remove is_enabled = false (schedule deletion through seiketsu rotate-keys instead).',
    requirement: `${DESIGN}: Keys — a customer-managed KMS key per client.`,
    resourceTypes: ['aws_kms_key'],
    severity: 'medium',
    title: 'KMS keys are enabled',
  }),
  stackRule({
    check(stack) {
      const id = stack.client?.id
      if (!id) return []
      const expected = stack.platform ? `alias/${stack.platform}/${id}` : undefined
      const mainRegion = str(defaultProvider(stack)?.values.region)
      const aliases = resourcesOf(stack, 'aws_kms_alias').filter((alias) => {
        const name = str(alias.values.name) ?? ''
        return expected ? name === expected : new RegExp(`^alias/[^/]+/${id}$`).test(name)
      })
      const alias = aliases.find((candidate) => {
        const key = resolve(stack, candidate.values.target_key_id, ['aws_kms_key'])
        return key && regionOf(stack, key) === mainRegion
      })
      if (alias) return []
      return [
        {
          address: 'aws_kms_key',
          message:
            aliases.length > 0
              ? `alias ${str(aliases[0]!.values.name)} does not point at a customer-managed key of this stack in the client's region`
              : `no customer-managed key with alias ${expected ?? `alias/<platform>/${id}`}`,
        },
      ]
    },
    domain: 'keys',
    equivalents: none,
    id: 'SKT-KMS-004',
    remediation:
      'Create an aws_kms_key in the client region with an aws_kms_alias alias/<platform>/<client id> targeting it.',
    requirement: `${DESIGN}: Keys — a customer-managed KMS key per client (alias alias/seiketsu/<id>).`,
    resourceTypes: ['aws_kms_key', 'aws_kms_alias'],
    severity: 'high',
    title: 'The client has its own customer-managed key with its alias',
  }),
  stackRule({
    check(stack) {
      const mainRegion = str(defaultProvider(stack)?.values.region)
      const drRegion = stack.client?.drRegion
      const keys = resourcesOf(stack, 'aws_kms_key').filter((key) => {
        const region = regionOf(stack, key)
        return region !== undefined && region !== mainRegion && (!drRegion || region === drRegion)
      })
      if (keys.length > 0) return []
      return [
        {
          address: 'aws_kms_key',
          message: `no separate customer-managed key in the DR region${drRegion ? ` (${drRegion})` : ''} for backups`,
        },
      ]
    },
    domain: 'keys',
    equivalents: none,
    id: 'SKT-KMS-005',
    remediation:
      "Add an aws_kms_key (rotation on) through a provider aliased to the client's DR region; encrypt backup copies and replicas with it.",
    requirement: `${DESIGN}: Keys — a separate key in the DR region for backups.`,
    resourceTypes: ['aws_kms_key'],
    severity: 'medium',
    title: 'A separate key in the DR region encrypts backups',
  }),
]
