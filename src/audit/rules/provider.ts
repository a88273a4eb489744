import type {ProviderConfig} from '../../configuration/model.ts'
import {defaultProvider, defaultTags} from '../../configuration/providers.ts'
import {arnAccount, at, str} from '../../configuration/values.ts'
import {DNS_DELEGATION_ROLE, PROVISIONER_ROLE} from '../../naming.ts'
import type {Rule, Stack, Violation} from '../types.ts'
import {DESIGN, none, stackRule} from './kit.ts'

const TAG_KEYS = ['seiketsu:client', 'seiketsu:tier', 'seiketsu:managed-by']

/**
 * The one provider of a client stack that works outside the client's account: the management
 * account's DNS delegation role, which writes the NS record of the client's zone into the platform's
 * zone. It may be used for delegation (NS) records and the lookup of that zone, nothing else.
 */
function dnsDelegationProblems(stack: Stack, provider: ProviderConfig, roleArn: string): Violation[] {
  const address = `provider.${provider.key}`
  const violations: Violation[] = []
  const management = stack.client?.managementAccountId
  const account = arnAccount(roleArn)
  if (management && account !== management)
    violations.push({
      address,
      file: provider.file,
      message: `assumes ${DNS_DELEGATION_ROLE} in account ${account}, not in the management account ${management}`,
    })
  const misused = stack.resources.filter(
    (resource) =>
      str(resource.values.provider) === provider.key &&
      !(resource.mode === 'managed' && resource.type === 'aws_route53_record' && str(resource.values.type) === 'NS') &&
      !(resource.mode === 'data' && resource.type === 'aws_route53_zone'),
  )
  for (const resource of misused)
    violations.push({
      address,
      file: provider.file,
      message: `manages ${resource.address} in the management account: the DNS delegation provider may only write NS records`,
    })
  return violations
}

export const providerRules: Rule[] = [
  stackRule({
    check(stack) {
      const providers = stack.providers.filter((provider) => provider.name === 'aws')
      if (providers.length === 0)
        return [{address: 'provider.aws', message: 'no AWS provider: the stack would run with ambient credentials'}]
      const violations: Violation[] = []
      for (const provider of providers) {
        const address = `provider.${provider.key}`
        const roleArn = str(at(provider.values, 'assume_role', 'role_arn'))
        if (!roleArn) {
          violations.push({
            address,
            file: provider.file,
            message: 'assumes no role: it must assume the provisioner role in the client account',
          })
          continue
        }
        if (provider.alias && roleArn.endsWith(`:role/${DNS_DELEGATION_ROLE}`)) {
          violations.push(...dnsDelegationProblems(stack, provider, roleArn))
          continue
        }
        if (!roleArn.endsWith(`:role/${PROVISIONER_ROLE}`))
          violations.push({
            address,
            file: provider.file,
            message: `assumes ${roleArn}, not the ${PROVISIONER_ROLE} role`,
          })
        const account = arnAccount(roleArn)
        const expected = stack.client?.accountId
        if (account && expected && account !== expected)
          violations.push({
            address,
            file: provider.file,
            message: `assumes a role in account ${account}, but client ${stack.client!.id} owns account ${expected}`,
          })
      }
      return violations
    },
    domain: 'provider',
    equivalents: none,
    id: 'SKT-PRV-001',
    remediation: `Configure every aws provider with assume_role { role_arn = "arn:aws:iam::<client account>:role/${PROVISIONER_ROLE}" }.`,
    requirement: `${DESIGN}: Provider — AWS, assuming the provisioner role in the client's own account.`,
    resourceTypes: [],
    severity: 'high',
    title: "AWS provider assumes the provisioner role in the client's own account",
  }),
  stackRule({
    check(stack) {
      const tags = defaultTags(stack)
      const missing = TAG_KEYS.filter((key) => !tags[key])
      const violations: Violation[] = []
      const file = defaultProvider(stack)?.file
      if (missing.length > 0)
        violations.push({address: 'provider.aws', file, message: `default_tags lack ${missing.join(', ')}`})
      if (stack.client && tags['seiketsu:client'] && tags['seiketsu:client'] !== stack.client.id)
        violations.push({
          address: 'provider.aws',
          file,
          message: `default tag seiketsu:client is '${tags['seiketsu:client']}' in the stack of client '${stack.client.id}'`,
        })
      const tier = stack.client?.tier?.name
      if (tier && tags['seiketsu:tier'] && tags['seiketsu:tier'] !== tier)
        violations.push({
          address: 'provider.aws',
          file,
          message: `default tag seiketsu:tier is '${tags['seiketsu:tier']}' but the client's tier is '${tier}'`,
        })
      return violations
    },
    domain: 'provider',
    equivalents: none,
    id: 'SKT-PRV-002',
    remediation: `Set default_tags on the aws provider with ${TAG_KEYS.join(', ')} (they are the cost-allocation keys too).`,
    requirement: `${DESIGN}: Provider — default_tags with seiketsu:client, seiketsu:tier, seiketsu:managed-by.`,
    resourceTypes: [],
    severity: 'low',
    title: 'Provider default tags identify the client, tier and manager',
  }),
  stackRule({
    check(stack) {
      const provider = defaultProvider(stack)
      const region = str(provider?.values.region)
      if (!provider) return []
      if (!region) return [{address: 'provider.aws', file: provider.file, message: 'no region set on the provider'}]
      const expected = stack.client?.region
      if (expected && region !== expected)
        return [
          {
            address: 'provider.aws',
            file: provider.file,
            message: `region is ${region}, but the client's manifest places it in ${expected}`,
          },
        ]
      return []
    },
    domain: 'provider',
    equivalents: none,
    id: 'SKT-PRV-003',
    remediation: "Set the provider's region to the region of the client's manifest (its residency decides it).",
    requirement: `${DESIGN}: Provider — region from the manifest.`,
    resourceTypes: [],
    severity: 'medium',
    title: "Provider region is the client's region",
  }),
]
