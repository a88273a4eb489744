import type {Resource} from '../configuration/model.ts'
import {references, resolve, resourcesOf} from '../configuration/references.ts'
import {at, blocks, isTrue, num, str, strings} from '../configuration/values.ts'
import type {Stack} from './types.ts'

/**
 * Security-group rules and subnet routing, read from every shape Terraform allows: inline
 * `ingress`/`egress` blocks, `aws_security_group_rule`, and `aws_vpc_security_group_{ingress,egress}_rule`.
 */

export interface SecurityGroupRule {
  /** Address of the group the rule belongs to (or the literal id when the group is not in the stack). */
  group: string
  direction: 'ingress' | 'egress'
  /** `all`, `tcp`, `udp`, `icmp`, … */
  protocol: string
  fromPort?: number
  toPort?: number
  /** IPv4 and IPv6 CIDRs. */
  cidrs: string[]
  /** Addresses (or literal ids) of the groups the rule admits / reaches. */
  groups: string[]
  self: boolean
  prefixLists: string[]
  description?: string
  /** The resource that declares the rule (the group itself for inline rules). */
  declaredBy: Resource
}

const SG_TYPES = ['aws_security_group', 'aws_default_security_group']
const cache = new WeakMap<Stack, SecurityGroupRule[]>()

function protocolName(value: unknown): string {
  const protocol = (str(value) ?? 'all').toLowerCase()
  if (protocol === '-1' || protocol === 'all') return 'all'
  if (protocol === '6') return 'tcp'
  if (protocol === '17') return 'udp'
  return protocol
}

/** A group reference as an address in the stack, or the literal value. */
function groupRef(stack: Stack, value: unknown): string[] {
  return [
    ...new Set(strings(value).map((item) => resolve(stack, item, SG_TYPES)?.address ?? references(item)[0] ?? item)),
  ]
}

export function securityGroupRules(stack: Stack): SecurityGroupRule[] {
  const cached = cache.get(stack)
  if (cached) return cached
  const rules: SecurityGroupRule[] = []
  for (const group of resourcesOf(stack, ...SG_TYPES))
    for (const direction of ['ingress', 'egress'] as const)
      for (const rule of blocks(group.values[direction]))
        rules.push({
          cidrs: [...strings(rule.cidr_blocks), ...strings(rule.ipv6_cidr_blocks)],
          declaredBy: group,
          description: str(rule.description),
          direction,
          fromPort: num(rule.from_port),
          group: group.address,
          groups: groupRef(stack, rule.security_groups),
          prefixLists: strings(rule.prefix_list_ids),
          protocol: protocolName(rule.protocol),
          self: isTrue(rule.self),
          toPort: num(rule.to_port),
        })
  for (const rule of resourcesOf(stack, 'aws_security_group_rule')) {
    const values = rule.values
    rules.push({
      cidrs: [...strings(values.cidr_blocks), ...strings(values.ipv6_cidr_blocks)],
      declaredBy: rule,
      description: str(values.description),
      direction: values.type === 'egress' ? 'egress' : 'ingress',
      fromPort: num(values.from_port),
      group: groupRef(stack, values.security_group_id)[0] ?? '',
      groups: groupRef(stack, values.source_security_group_id),
      prefixLists: strings(values.prefix_list_ids),
      protocol: protocolName(values.protocol),
      self: isTrue(values.self),
      toPort: num(values.to_port),
    })
  }
  for (const direction of ['ingress', 'egress'] as const)
    for (const rule of resourcesOf(stack, `aws_vpc_security_group_${direction}_rule`)) {
      const values = rule.values
      const protocol = protocolName(values.ip_protocol)
      rules.push({
        cidrs: [...strings(values.cidr_ipv4), ...strings(values.cidr_ipv6)],
        declaredBy: rule,
        description: str(values.description),
        direction,
        fromPort: protocol === 'all' ? undefined : num(values.from_port),
        group: groupRef(stack, values.security_group_id)[0] ?? '',
        groups: groupRef(stack, values.referenced_security_group_id),
        prefixLists: strings(values.prefix_list_id),
        protocol,
        self: false,
        toPort: protocol === 'all' ? undefined : num(values.to_port),
      })
    }
  cache.set(stack, rules)
  return rules
}

export const INTERNET = ['0.0.0.0/0', '::/0']

export function fromInternet(rule: SecurityGroupRule): boolean {
  return rule.cidrs.some((cidr) => INTERNET.includes(cidr))
}

/** True when the rule covers every port (all protocols, or 0–65535). */
export function allPorts(rule: SecurityGroupRule): boolean {
  if (rule.protocol === 'all') return true
  if (rule.fromPort === undefined || rule.toPort === undefined)
    return rule.protocol === 'tcp' || rule.protocol === 'udp'
  return rule.fromPort <= 1 && rule.toPort >= 65535
}

export function coversPort(rule: SecurityGroupRule, port: number): boolean {
  if (rule.protocol === 'all') return true
  if (rule.protocol !== 'tcp') return false
  if (rule.fromPort === undefined || rule.toPort === undefined) return true
  return rule.fromPort <= port && port <= rule.toPort
}

/** Exactly one TCP port (`from_port == to_port`), or undefined. */
export function singlePort(rule: SecurityGroupRule): number | undefined {
  return rule.protocol === 'tcp' && rule.fromPort !== undefined && rule.fromPort === rule.toPort
    ? rule.fromPort
    : undefined
}

export function rulesOfGroup(stack: Stack, group: string, direction?: 'ingress' | 'egress'): SecurityGroupRule[] {
  return securityGroupRules(stack).filter(
    (rule) => rule.group === group && (!direction || rule.direction === direction),
  )
}

/** Addresses (or literal ids) of the security groups attached to a resource. */
export function attachedGroups(stack: Stack, resource: Resource): string[] {
  const values = resource.values
  switch (resource.type) {
    case 'aws_lb':
    case 'aws_alb': {
      return groupRef(stack, values.security_groups)
    }
    case 'aws_ecs_service': {
      return groupRef(stack, at(values, 'network_configuration', 'security_groups'))
    }
    case 'aws_db_instance':
    case 'aws_rds_cluster': {
      return groupRef(stack, values.vpc_security_group_ids)
    }
    case 'aws_elasticache_replication_group':
    case 'aws_elasticache_cluster': {
      return groupRef(stack, values.security_group_ids)
    }
    default: {
      return []
    }
  }
}

/** The groups attached to any resource of the given types. */
export function groupsAttachedTo(stack: Stack, types: readonly string[]): Set<string> {
  return new Set(resourcesOf(stack, ...types).flatMap((resource) => attachedGroups(stack, resource)))
}

export type SubnetRouting = 'public' | 'private' | 'isolated'

/**
 * How a subnet reaches the internet: `public` (a route to an internet gateway), `private` (through a
 * NAT gateway) or `isolated` (neither). Subnets without an explicit association use the VPC's main
 * route table, which is isolated unless the configuration replaces it.
 */
export function subnetRouting(stack: Stack, subnet: Resource): SubnetRouting {
  const tables = resourcesOf(stack, 'aws_route_table_association')
    .filter((association) => references(association.values.subnet_id).includes(subnet.address))
    .flatMap((association) => references(association.values.route_table_id))
  if (tables.length === 0) {
    const vpc = references(subnet.values.vpc_id)
    tables.push(
      ...resourcesOf(stack, 'aws_main_route_table_association')
        .filter((main) => references(main.values.vpc_id).some((address) => vpc.includes(address)))
        .flatMap((main) => references(main.values.route_table_id)),
      ...resourcesOf(stack, 'aws_default_route_table')
        .filter((table) => references(table.values.default_route_table_id).some((address) => vpc.includes(address)))
        .map((table) => table.address),
    )
  }
  const routes = tables.flatMap((table) => [
    ...blocks(stack.byAddress.get(table)?.values.route),
    ...resourcesOf(stack, 'aws_route')
      .filter((route) => references(route.values.route_table_id).includes(table))
      .map((route) => route.values),
  ])
  let routing: SubnetRouting = 'isolated'
  for (const route of routes) {
    const gateway = route.gateway_id
    const gatewayType = resolve(stack, gateway)?.type
    if (gatewayType === 'aws_internet_gateway' || /^igw-/.test(str(gateway) ?? '')) return 'public'
    if (route.nat_gateway_id !== undefined && route.nat_gateway_id !== null && route.nat_gateway_id !== '')
      routing = 'private'
  }
  return routing
}

/** The subnets a value references (subnet ids, or an aws_db_subnet_group / aws_elasticache_subnet_group). */
export function subnetsOf(stack: Stack, value: unknown): Resource[] {
  const subnets: Resource[] = []
  for (const address of references(value)) {
    const resource = stack.byAddress.get(address)
    if (!resource) continue
    if (resource.type === 'aws_subnet') subnets.push(resource)
    else if (resource.type === 'aws_db_subnet_group' || resource.type === 'aws_elasticache_subnet_group')
      subnets.push(...subnetsOf(stack, resource.values.subnet_ids))
  }
  return subnets
}

/** A DB or cache subnet group named by a literal name rather than a reference. */
export function subnetGroupByName(stack: Stack, type: string, name: unknown): Resource | undefined {
  const wanted = str(name)
  if (!wanted) return undefined
  return resource(stack, type, (candidate) => candidate.values.name === wanted)
}

function resource(stack: Stack, type: string, match: (candidate: Resource) => boolean): Resource | undefined {
  return resourcesOf(stack, type).find(match)
}
