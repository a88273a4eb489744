import {blockSize, parseCidr} from '../../cidr.ts'
import {defaultTags} from '../../configuration/providers.ts'
import {resourcesOf} from '../../configuration/references.ts'
import {isObject} from '../../configuration/values.ts'
import {DEFAULT_PLATFORM, SEPARATORS} from '../fleet-members.ts'
import {policyStatements, principalAccounts} from '../policies.ts'
import type {FleetMember, Rule, Stack, Violation} from '../types.ts'
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

/** Who a platform-prefixed name belongs to: the fleet's names and prefixes, indexed once per run. */
export class NameOwners {
  private readonly index = new Map<string, {member: FleetMember; prefix: boolean}[]>()
  private readonly platformNames: Set<string>
  private readonly cache = new Map<string, {best: number; owners: FleetMember[]}>()
  readonly platforms: string[]

  constructor(members: readonly FleetMember[], platformNames: readonly string[] = []) {
    const add = (name: string, member: FleetMember, prefix: boolean) =>
      this.index.set(name, [...(this.index.get(name) ?? []), {member, prefix}])
    for (const member of members) {
      for (const name of member.names) add(name, member, false)
      for (const name of member.prefixes) add(name, member, true)
    }
    this.platformNames = new Set(platformNames)
    this.platforms = [...new Set(members.map((member) => member.platform))]
  }

  /**
   * The clients a name (from the platform prefix on) fits best: the longest of their names it is, or
   * starts with (an exact name followed by `/`, `:`, `.` or `_`: `seiketsu-acme-data/*`; a prefix
   * followed by any separator). Empty when it is no client's, or the platform's own.
   */
  owners(token: string): {best: number; owners: FleetMember[]} {
    const cached = this.cache.get(token)
    if (cached) return cached
    let best = 0
    let owners: FleetMember[] = []
    let platformBest = 0
    for (let end = 1; end <= token.length; end++) {
      const next = token[end]
      if (end < token.length && !SEPARATORS.includes(next as (typeof SEPARATORS)[number])) continue
      const candidate = token.slice(0, end)
      // An exact name of one client may begin a name of another (harbor-homes' service
      // seiketsu-harbor-homes-app is harbor-homes-app's prefix): only prefixes run on with "-".
      if (next !== '-' && this.platformNames.has(candidate)) platformBest = end
      for (const entry of this.index.get(candidate) ?? []) {
        if (next === '-' && !entry.prefix) continue
        if (end > best) [best, owners] = [end, []]
        if (end === best && !owners.includes(entry.member)) owners.push(entry.member)
      }
    }
    // The platform's own names (its image repository, trail, state bucket) are no client's.
    const result = platformBest > 0 && platformBest >= best ? {best: 0, owners: []} : {best, owners}
    if (this.cache.size > 100_000) this.cache.clear()
    this.cache.set(token, result)
    return result
  }
}

/** The platform-prefixed names in a string: from the platform on, up to the first character no name has. */
export function platformTokens(value: string, platform: string): string[] {
  const tokens: string[] = []
  for (let at = value.indexOf(platform); at !== -1; at = value.indexOf(platform, at + 1)) {
    if (at > 0 && /[a-z0-9]/.test(value[at - 1]!)) continue
    if (!'-/._'.includes(value[at + platform.length] ?? ':')) continue
    const token = /^[a-z0-9._/-]+/.exec(value.slice(at))![0].replace(/[-/._]+$/, '')
    tokens.push(token)
  }
  return tokens
}

export const fleetRules: Rule[] = [
  fleetRule({
    check({members, stacks}) {
      const blocks = members.flatMap((member) =>
        member.cidrs.flatMap((cidr) => {
          const block = parseCidr(cidr)
          return block ? [{block, cidr, end: block.start + blockSize(block.prefix), member}] : []
        }),
      )
      return stacks.flatMap((stack) =>
        vpcCidrs(stack).flatMap((vpc): FleetViolation[] => {
          const block = parseCidr(vpc.cidr)
          if (!block) return []
          const end = block.start + blockSize(block.prefix)
          const others = blocks.filter(
            (other) => other.member.id !== stack.client?.id && other.block.start < end && block.start < other.end,
          )
          return others.map((other) => ({
            address: vpc.address,
            file: vpc.file,
            message: `${vpc.cidr} overlaps ${other.cidr} of ${other.member.id}`,
            stack,
          }))
        }),
      )
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
    check({members, stacks}) {
      return stacks.flatMap((stack) => {
        const account = ownAccount(stack)
        if (!account) return []
        const sharing = members.filter((member) => member.accountId === account && member.id !== stack.client?.id)
        return sharing.length > 0
          ? [
              {
                address: 'provider.aws',
                message: `account ${account} is also used by ${sharing.map((member) => member.id).join(', ')}`,
                stack,
              },
            ]
          : []
      })
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
    check({members, platformNames, stacks}) {
      const accounts = new Map<string, string[]>()
      const buckets = new Map<string, string[]>()
      const add = (map: Map<string, string[]>, key: string, id: string) => map.set(key, [...(map.get(key) ?? []), id])
      for (const member of members) {
        if (member.accountId) add(accounts, member.accountId, member.id)
        for (const bucket of member.buckets) add(buckets, bucket, member.id)
      }
      const names = new NameOwners(members, platformNames)
      const violations: FleetViolation[] = []
      for (const stack of stacks) {
        const own = stack.client?.id
        if (!own) continue
        // Whose a name is: its own client's whenever it fits that client as well as any other.
        const otherOwner = (candidates: readonly string[] | undefined) =>
          candidates && !candidates.includes(own) ? candidates[0] : undefined
        const platforms = [...new Set([stack.platform ?? DEFAULT_PLATFORM, ...names.platforms])]
        const seen = new Set<string>()
        const report = (address: string, file: string, message: string) => {
          const key = `${address}|${message}`
          if (!seen.has(key)) violations.push({address, file, message, stack})
          seen.add(key)
        }
        const selfAccount = ownAccount(stack)
        eachString(stack, (address, file, path, value) => {
          // Cheap tests first: most strings name no platform resource, no account and no bucket.
          for (const platform of platforms)
            if (value.includes(platform))
              for (const token of platformTokens(value, platform)) {
                const other = otherOwner(names.owners(token).owners.map((member) => member.id))
                if (other) report(address, file, `${path} names client ${other} (${token})`)
              }
          if (/(^|\.)(bucket|target_bucket|s3_bucket_name)$/.test(path)) {
            const other = otherOwner(buckets.get(value))
            if (other) report(address, file, `${path} names bucket ${value} of client ${other}`)
          }
          if (/(^|\.)tags(_all)?\.seiketsu:client$/.test(path) && value !== own && !value.includes('${'))
            report(address, file, `${path} tags it as client ${value}`)
          if (value.length < 12) return
          if (/\d{12}/.test(value))
            for (const match of value.matchAll(/(?<!\d)\d{12}(?!\d)/g)) {
              const other = otherOwner(accounts.get(match[0]))
              // An account this stack works in itself is FLT-002's business (shared accounts), not a reference.
              if (other && match[0] !== selfAccount)
                report(address, file, `${path} names account ${match[0]} of client ${other}`)
            }
          if (value.includes(':s3:::'))
            for (const match of value.matchAll(/arn:aws[\w-]*:s3:::([a-z0-9][a-z0-9.-]+)/g)) {
              const other = otherOwner(buckets.get(match[1]!))
              if (other) report(address, file, `${path} names bucket ${match[1]} of client ${other}`)
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
    check({stacks}) {
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
