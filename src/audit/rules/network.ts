import {references, referencing, resolve, resourcesOf} from '../../configuration/references.ts'
import {blocks, isTrue, str} from '../../configuration/values.ts'
import {securityGroupRules, subnetRouting, type SubnetRouting} from '../network-model.ts'
import type {Rule, Stack} from '../types.ts'
import {DESIGN, none, resourceRule, stackRule} from './kit.ts'

const CROSS_NETWORK_TYPES = [
  'aws_vpc_peering_connection',
  'aws_vpc_peering_connection_accepter',
  'aws_ec2_transit_gateway_vpc_attachment',
  'aws_ec2_transit_gateway_vpc_attachment_accepter',
  'aws_ec2_transit_gateway_peering_attachment',
  'aws_vpn_gateway',
  'aws_vpn_connection',
  'aws_dx_gateway_association',
]

/** Resources that hold routes: a route through a peering, transit or VPN gateway is a cross-network path. */
const ROUTE_TYPES = ['aws_route', 'aws_route_table', 'aws_default_route_table']

/** What a route (an aws_route, or an inline `route` block) sends traffic through, when that leaves the VPC's own network. */
function crossNetworkTarget(stack: Stack, route: Record<string, unknown>): string | undefined {
  for (const attribute of ['vpc_peering_connection_id', 'transit_gateway_id', 'core_network_arn']) {
    const value = str(route[attribute])
    if (value) return `${attribute} ${value}`
  }
  const gateway = str(route.gateway_id)
  if (gateway && (gateway.startsWith('vgw-') || resolve(stack, gateway, ['aws_vpn_gateway'])))
    return `the VPN gateway ${gateway}`
  return undefined
}

export const networkRules: Rule[] = [
  resourceRule({
    check(vpc, stack) {
      const logs = referencing(stack, ['aws_flow_log'], 'vpc_id', vpc)
      if (logs.length === 0) return 'no aws_flow_log records its traffic'
      return logs.some((log) => (str(log.values.traffic_type) ?? 'ALL') === 'ALL')
        ? undefined
        : 'its flow logs record only part of the traffic (traffic_type is not ALL)'
    },
    domain: 'network',
    equivalents: {checkov: ['CKV2_AWS_11'], trivy: ['AVD-AWS-0178']},
    id: 'SKT-NET-001',
    remediation: 'Add an aws_flow_log with vpc_id = the VPC and traffic_type = "ALL".',
    requirement: `${DESIGN}: Network — flow logs.`,
    resourceTypes: ['aws_vpc'],
    severity: 'medium',
    title: 'VPC flow logs record all traffic',
  }),
  resourceRule({
    check(log, stack) {
      const type = str(log.values.log_destination_type) ?? 'cloud-watch-logs'
      if (type !== 'cloud-watch-logs') return undefined
      const group = resolve(stack, log.values.log_destination ?? log.values.log_group_name, [
        'aws_cloudwatch_log_group',
      ])
      if (!group) return 'its destination is not a log group of this configuration, so its encryption cannot be checked'
      return group.values.kms_key_id ? undefined : `its log group ${group.address} is not encrypted with a KMS key`
    },
    domain: 'network',
    equivalents: none,
    id: 'SKT-NET-002',
    remediation:
      'Send flow logs to an aws_cloudwatch_log_group of the stack that has kms_key_id set to the client key.',
    requirement: `${DESIGN}: Network — flow logs to an encrypted log group.`,
    resourceTypes: ['aws_flow_log'],
    severity: 'medium',
    title: 'Flow logs go to an encrypted log group',
  }),
  resourceRule({
    check(vpc, stack) {
      const defaults = referencing(stack, ['aws_default_security_group'], 'vpc_id', vpc)
      if (defaults.length === 0)
        return 'its default security group is not managed (aws_default_security_group): AWS leaves it allowing traffic between members'
      const rules = securityGroupRules(stack).filter((rule) => defaults.some((group) => group.address === rule.group))
      return rules.length > 0 ? 'its default security group has rules; it must have none' : undefined
    },
    domain: 'network',
    equivalents: {checkov: ['CKV2_AWS_12'], trivy: []},
    id: 'SKT-NET-003',
    remediation: 'Add an aws_default_security_group for the VPC with no ingress and no egress blocks.',
    requirement: `${DESIGN}: Network — default security group with no rules.`,
    resourceTypes: ['aws_vpc'],
    severity: 'medium',
    title: 'The default security group allows nothing',
  }),
  resourceRule({
    check(resource, stack) {
      if (CROSS_NETWORK_TYPES.includes(resource.type))
        return `${resource.type} opens a network path out of the client's VPC (no peering, no transit, no VPN)`
      const routes = resource.type === 'aws_route' ? [resource.values] : blocks(resource.values.route)
      return routes.flatMap((route) => {
        const target = crossNetworkTarget(stack, route)
        const destination = str(route.destination_cidr_block) ?? str(route.destination_ipv6_cidr_block) ?? 'a route'
        return target ? [`${destination} routes through ${target}: a network path out of the client's VPC`] : []
      })
    },
    domain: 'network',
    equivalents: none,
    id: 'SKT-NET-004',
    remediation:
      'Remove the peering / transit / VPN resource and every route through one: client VPCs have no path to one another.',
    requirement: `${DESIGN}: Network — no peering, no transit attachments (no cross-client path).`,
    resourceTypes: [...CROSS_NETWORK_TYPES, ...ROUTE_TYPES],
    severity: 'critical',
    title: 'No peering, transit or VPN attachment',
  }),
  resourceRule({
    check(subnet) {
      return isTrue(subnet.values.map_public_ip_on_launch) ? 'map_public_ip_on_launch = true' : undefined
    },
    domain: 'network',
    equivalents: {checkov: ['CKV_AWS_130'], trivy: ['AVD-AWS-0164']},
    id: 'SKT-NET-005',
    remediation: 'Remove map_public_ip_on_launch (public endpoints belong to the load balancer only).',
    requirement: `${DESIGN}: Compute — no public IP.`,
    resourceTypes: ['aws_subnet'],
    severity: 'medium',
    title: 'Subnets do not give instances public IPs',
  }),
  resourceRule({
    check(vpc, stack) {
      const expected = stack.client?.cidr
      if (!expected) return undefined
      const cidr = str(vpc.values.cidr_block)
      return cidr === expected
        ? undefined
        : `cidr_block is ${cidr ?? '(not set)'}, but the registry allocated ${expected} to client ${stack.client!.id}`
    },
    domain: 'network',
    equivalents: none,
    id: 'SKT-NET-006',
    remediation: 'Use the CIDR the registry allocated to the client (clients/<id>.yaml, cidr).',
    requirement: `${DESIGN}: Network — VPC with the client's /16.`,
    resourceTypes: ['aws_vpc'],
    severity: 'high',
    title: "The VPC uses the client's allocated CIDR",
  }),
  stackRule({
    check(stack) {
      const required = stack.client?.tier?.azCount ?? 2
      const zones: Record<SubnetRouting, Set<string>> = {isolated: new Set(), private: new Set(), public: new Set()}
      for (const subnet of resourcesOf(stack, 'aws_subnet')) {
        const zone = str(subnet.values.availability_zone) ?? str(subnet.values.availability_zone_id) ?? subnet.address
        zones[subnetRouting(stack, subnet)].add(zone)
      }
      const short = (Object.keys(zones) as SubnetRouting[]).filter((kind) => zones[kind].size < required)
      return short.map((kind) => ({
        address: 'aws_subnet',
        message: `${kind} subnets span ${zones[kind].size} availability zone(s); the tier needs ${required}`,
      }))
    },
    domain: 'network',
    equivalents: none,
    id: 'SKT-NET-007',
    remediation:
      'Create public (internet gateway route), private (NAT route) and isolated (no default route) subnets in each of the tier’s AZs.',
    requirement: `${DESIGN}: Network — public, private (app) and isolated (data) subnets over 2–3 AZs.`,
    resourceTypes: ['aws_subnet', 'aws_route_table', 'aws_route_table_association'],
    severity: 'medium',
    title: "Public, private and isolated subnets span the tier's AZs",
  }),
  stackRule({
    check(stack) {
      const nats = resourcesOf(stack, 'aws_nat_gateway').filter(
        (nat) => (str(nat.values.connectivity_type) ?? 'public') === 'public',
      )
      const expected = stack.client?.tier?.natGateways
      if (expected === undefined)
        return nats.length > 0 ? [] : [{address: 'aws_nat_gateway', message: 'no NAT gateway for the private subnets'}]
      return nats.length === expected
        ? []
        : [{address: 'aws_nat_gateway', message: `${nats.length} NAT gateway(s); the tier has ${expected}`}]
    },
    domain: 'network',
    equivalents: none,
    id: 'SKT-NET-008',
    remediation: "Create as many public NAT gateways as the client's tier sets (natGateways), each in a public subnet.",
    requirement: `${DESIGN}: Network — NAT per tier.`,
    resourceTypes: ['aws_nat_gateway'],
    severity: 'medium',
    title: "NAT gateways match the client's tier",
  }),
]

/** Exported for the self-audit and fleet rules: the VPC CIDR a stack declares. */
export function vpcCidrs(stack: Parameters<typeof resourcesOf>[0]): {cidr: string; address: string; file: string}[] {
  return resourcesOf(stack, 'aws_vpc').flatMap((vpc) => {
    const cidr = str(vpc.values.cidr_block)
    return cidr && !references(cidr).length ? [{address: vpc.address, cidr, file: vpc.file}] : []
  })
}
