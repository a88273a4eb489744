import {blockSize, parseCidr} from '../../registry/cidr.ts'
import {policyStatements, principalAccounts} from '../policies.ts'
import {defaultTags, isObject, resourcesOf, str} from '../terraform.ts'
import type {Rule, Stack, Violation} from '../types.ts'
import {fleetRule, ownAccount} from './kit.ts'
import {vpcCidrs} from './network.ts'

const ISOLATION =
  'DESIGN.md, The per-client stack; seed: Complete AWS account separation, VPC-level isolation, no cross-client communication'

type FleetViolation = Violation & {stack: Stack}

/** Calls `visit` with every string of a stack and the address / attribute path it sits at. */
function eachString(stack: Stack, visit: (address: string, file: string, path: string, value: string) => void): void {
  const walk = (address: string, file: string, path: string, value: unknown): void => {
    if (typeof value === 'string') visit(address, file, path, value)
    else if (Array.isArray(value)) value.forEach((item, index) => walk(address, file, `${path}[${index}]`, item))
    else if (isObject(value))
      for (const [key, item] of Object.entries(value))
        if (key !== '//') walk(address, file, path ? `${path}.${key}` : key, item)
  }
  for (const resource of stack.resources) walk(resource.address, resource.file, '', resource.values)
  for (const provider of stack.providers) walk(`provider.${provider.key}`, provider.file, '', provider.values)
  for (const [kind, value] of Object.entries(stack.blocks)) if (kind !== '//') walk(kind, stack.file, '', value)
}

/** The client id a platform-prefixed name starts with (`seiketsu-acme-west-data` → acme-west), longest first. */
function clientInName(rest: string, ids: Set<string>, cache: Map<string, string | undefined>): string | undefined {
  if (cache.has(rest)) return cache.get(rest)
  const found = longestClientPrefix(rest, ids)
  cache.set(rest, found)
  return found
}

function longestClientPrefix(rest: string, ids: Set<string>): string | undefined {
  const parts = rest.split('-')
  for (let count = parts.length; count > 0; count--) {
    const candidate = parts.slice(0, count).join('-')
    if (ids.has(candidate)) return candidate
  }
  return undefined
}

export const fleetRules: Rule[] = [
  fleetRule({
    check(stacks) {
      const blocks = stacks
        .flatMap((stack) => vpcCidrs(stack).map((vpc) => ({...vpc, block: parseCidr(vpc.cidr), stack})))
        .filter((entry) => entry.block !== undefined)
        .sort((a, b) => a.block!.start - b.block!.start)
      const violations: FleetViolation[] = []
      // Sweep in address order: a block overlaps an earlier one when it starts before the furthest end so far.
      let furthest: (typeof blocks)[number] | undefined
      for (const entry of blocks) {
        const end = entry.block!.start + blockSize(entry.block!.prefix)
        if (
          furthest &&
          entry.block!.start < furthest.block!.start + blockSize(furthest.block!.prefix) &&
          furthest.stack !== entry.stack
        )
          violations.push({
            address: entry.address,
            file: entry.file,
            message: `${entry.cidr} overlaps ${furthest.cidr} of ${furthest.stack.id}`,
            stack: entry.stack,
          })
        if (!furthest || end > furthest.block!.start + blockSize(furthest.block!.prefix)) furthest = entry
      }
      return violations
    },
    domain: 'fleet',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-FLT-001',
    remediation:
      'Give each client the CIDR the registry allocated (seiketsu never allocates overlapping blocks); fix the manifest or the stack that diverged.',
    requirement: `${ISOLATION}. VPC with the client's /16 (no overlap: no cross-client path).`,
    resourceTypes: ['aws_vpc'],
    severity: 'critical',
    title: 'Client VPC CIDRs do not overlap',
  }),
  fleetRule({
    check(stacks) {
      const owners = new Map<string, Stack[]>()
      for (const stack of stacks) {
        const account = ownAccount(stack)
        if (account) owners.set(account, [...(owners.get(account) ?? []), stack])
      }
      return [...owners].flatMap(([account, sharing]) =>
        sharing.length < 2
          ? []
          : sharing.map((stack) => ({
              address: 'provider.aws',
              message: `account ${account} is also used by ${sharing
                .filter((other) => other !== stack)
                .map((other) => other.id)
                .join(', ')}`,
              stack,
            })),
      )
    },
    domain: 'fleet',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-FLT-002',
    remediation:
      'Give every client its own AWS account (clients/<id>.yaml accountId, or let the platform stack create one).',
    requirement: `${ISOLATION}: each client gets a dedicated AWS account.`,
    resourceTypes: [],
    severity: 'critical',
    title: 'No two clients share an AWS account',
  }),
  fleetRule({
    check(stacks) {
      const ids = new Set(stacks.flatMap((stack) => (stack.client ? [stack.client.id] : [])))
      const accounts = new Map<string, string>()
      const buckets = new Map<string, string>()
      for (const stack of stacks) {
        if (!stack.client) continue
        const account = ownAccount(stack)
        if (account) accounts.set(account, stack.client.id)
        for (const bucket of resourcesOf(stack, 'aws_s3_bucket')) {
          const name = str(bucket.values.bucket)
          if (name && !name.includes('${')) buckets.set(name, stack.client.id)
        }
      }
      const violations: FleetViolation[] = []
      const names = new Map<string, string | undefined>()
      for (const stack of stacks) {
        const own = stack.client?.id
        if (!own) continue
        const platform = stack.platform ?? 'seiketsu'
        const prefix = new RegExp(
          `(?:^|[^a-z0-9])${platform.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[-/_.]([a-z0-9][a-z0-9-]*)`,
          'g',
        )
        const seen = new Set<string>()
        const report = (address: string, file: string, message: string) => {
          const key = `${address}|${message}`
          if (!seen.has(key)) violations.push({address, file, message, stack})
          seen.add(key)
        }
        const selfAccount = ownAccount(stack)
        eachString(stack, (address, file, path, value) => {
          // Cheap tests first: most strings name no platform resource, no account and no bucket.
          if (value.includes(platform))
            for (const match of value.matchAll(prefix)) {
              const other = clientInName(match[1]!, ids, names)
              if (other && other !== own)
                report(address, file, `${path} names client ${other} (${match[0].replace(/^[^a-z0-9]/, '')}…)`)
            }
          if (/(^|\.)(bucket|target_bucket|s3_bucket_name)$/.test(path)) {
            const other = buckets.get(value)
            if (other && other !== own) report(address, file, `${path} names bucket ${value} of client ${other}`)
          }
          if (/(^|\.)tags(_all)?\.seiketsu:client$/.test(path) && value !== own && !value.includes('${'))
            report(address, file, `${path} tags it as client ${value}`)
          if (value.length < 12) return
          if (/\d{12}/.test(value))
            for (const match of value.matchAll(/(?<!\d)\d{12}(?!\d)/g)) {
              const other = accounts.get(match[0])
              // An account this stack works in itself is FLT-002's business (shared accounts), not a reference.
              if (other && other !== own && match[0] !== selfAccount)
                report(address, file, `${path} names account ${match[0]} of client ${other}`)
            }
          if (value.includes(':s3:::'))
            for (const match of value.matchAll(/arn:aws[\w-]*:s3:::([a-z0-9][a-z0-9.-]+)/g)) {
              const other = buckets.get(match[1]!)
              if (other && other !== own) report(address, file, `${path} names bucket ${match[1]} of client ${other}`)
            }
        })
        const tagged = defaultTags(stack)['seiketsu:client']
        if (tagged && tagged !== own) report('provider.aws', stack.file, `default tags name client ${tagged}`)
      }
      return violations
    },
    domain: 'fleet',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-FLT-003',
    remediation: "Remove the reference: a client's stack names only its own id, account, ARNs, buckets and keys.",
    requirement: `${ISOLATION}: no cross-client communication; storage isolation; client-specific keys.`,
    resourceTypes: [],
    severity: 'critical',
    title: "A client's stack never names another client",
  }),
  fleetRule({
    check(stacks) {
      return stacks.flatMap((stack) => {
        const own = ownAccount(stack)
        if (!own) return []
        return resourcesOf(stack, 'aws_kms_key', 'aws_kms_replica_key').flatMap((key) => {
          const result = policyStatements(stack, key.values.policy)
          if (result.kind !== 'statements') return []
          const foreign = [
            ...new Set(result.statements.filter((s) => s.effect === 'Allow').flatMap(principalAccounts)),
          ].filter((account) => account !== own)
          return foreign.length > 0
            ? [
                {
                  address: key.address,
                  file: key.file,
                  message: `key policy grants account(s) ${foreign.join(', ')}; only ${own} may use the client's key`,
                  stack,
                },
              ]
            : []
        })
      })
    },
    domain: 'fleet',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-FLT-004',
    remediation: "Name only the client's own account (and its roles) in the key policy.",
    requirement: `${ISOLATION}; DESIGN.md Keys — key policy naming only that client's account.`,
    resourceTypes: ['aws_kms_key'],
    severity: 'critical',
    title: "Client keys trust only the client's account",
  }),
]
