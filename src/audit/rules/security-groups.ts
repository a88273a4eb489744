import type {Resource} from '../../configuration/model.ts'
import {at, blocks, num, str} from '../../configuration/values.ts'
import {
  allPorts,
  attachedGroups,
  coversPort,
  fromInternet,
  groupsAttachedTo,
  rulesOfGroup,
  securityGroupRules,
  singlePort,
  type SecurityGroupRule,
} from '../network-model.ts'
import type {Rule, Stack} from '../types.ts'
import {DESIGN, resourceRule} from './kit.ts'

const RULE_TYPES = [
  'aws_security_group',
  'aws_default_security_group',
  'aws_security_group_rule',
  'aws_vpc_security_group_ingress_rule',
]
const SEED_SG = 'seed, Security Implementation: Network Security (security groups with least privilege)'
const LB_TYPES = ['aws_lb', 'aws_alb']
const APP_PORT = 8000

function declaredIngress(resource: Resource, stack: Stack): SecurityGroupRule[] {
  return securityGroupRules(stack).filter((rule) => rule.declaredBy === resource && rule.direction === 'ingress')
}

function describePorts(rule: SecurityGroupRule): string {
  if (rule.protocol === 'all') return 'all protocols and ports'
  if (rule.fromPort === rule.toPort) return `${rule.protocol} ${rule.fromPort}`
  return `${rule.protocol} ${rule.fromPort ?? 0}-${rule.toPort ?? 65535}`
}

function internetIngressRule(options: {
  id: string
  severity: Rule['severity']
  title: string
  matches: (rule: SecurityGroupRule) => boolean
  checkov: string[]
}): Rule {
  return resourceRule({
    check(resource, stack) {
      return declaredIngress(resource, stack)
        .filter((rule) => fromInternet(rule) && options.matches(rule))
        .map((rule) => `ingress from the internet on ${describePorts(rule)} (group ${rule.group})`)
    },
    domain: 'security-groups',
    equivalents: {checkov: options.checkov, trivy: ['AVD-AWS-0107']},
    id: options.id,
    remediation: 'Admit the internet only on 443 to the load balancer; everything else by security-group reference.',
    requirement: `${DESIGN}: Security groups — ALB 443 from the internet, everything else by reference (${SEED_SG}).`,
    resourceTypes: RULE_TYPES,
    severity: options.severity,
    title: options.title,
  })
}

/** Groups attached to ECS services: the app tier. */
function appGroups(stack: Stack): Set<string> {
  return groupsAttachedTo(stack, ['aws_ecs_service'])
}

function containerPort(service: Resource): number {
  return num(at(service.values, 'load_balancer', 'container_port')) ?? APP_PORT
}

/**
 * What is wrong with the ingress of the groups attached to `resource`: it must admit only `port`
 * over TCP, only from `sources` (when known), never from CIDRs.
 */
function chainProblems(
  stack: Stack,
  resource: Resource,
  port: number,
  sources: Set<string>,
  sourceLabel: string,
): string[] {
  const groups = attachedGroups(stack, resource)
  if (groups.length === 0) return [`has no security group of its own`]
  const problems: string[] = []
  let admitted = false
  for (const group of groups)
    for (const rule of rulesOfGroup(stack, group, 'ingress')) {
      if (rule.cidrs.length > 0 || rule.prefixLists.length > 0)
        problems.push(
          `group ${group} admits addresses (${[...rule.cidrs, ...rule.prefixLists].join(', ')}) instead of ${sourceLabel} by reference`,
        )
      if (singlePort(rule) !== port)
        problems.push(`group ${group} admits ${describePorts(rule)}; only tcp ${port} belongs there`)
      const strangers = rule.groups.filter((source) => sources.size > 0 && !sources.has(source))
      if (strangers.length > 0)
        problems.push(`group ${group} admits ${strangers.join(', ')}, which is not ${sourceLabel}`)
      if (rule.self) problems.push(`group ${group} admits its own members (self)`)
      if (rule.groups.length > 0 && strangers.length === 0 && singlePort(rule) === port) admitted = true
    }
  if (!admitted && problems.length === 0) problems.push(`no rule admits ${sourceLabel} on tcp ${port}`)
  return problems
}

export const sgRules: Rule[] = [
  internetIngressRule({
    checkov: ['CKV_AWS_24'],
    id: 'SKT-SG-001',
    matches: (rule) => !allPorts(rule) && coversPort(rule, 22),
    severity: 'critical',
    title: 'No SSH (22) from the internet',
  }),
  internetIngressRule({
    checkov: ['CKV_AWS_25'],
    id: 'SKT-SG-002',
    matches: (rule) => !allPorts(rule) && coversPort(rule, 3389),
    severity: 'critical',
    title: 'No RDP (3389) from the internet',
  }),
  internetIngressRule({
    checkov: ['CKV_AWS_277'],
    id: 'SKT-SG-003',
    matches: allPorts,
    severity: 'critical',
    title: 'No ingress on all ports from the internet',
  }),
  internetIngressRule({
    checkov: ['CKV_AWS_260'],
    id: 'SKT-SG-004',
    matches: (rule) => !allPorts(rule) && !coversPort(rule, 22) && !coversPort(rule, 3389) && singlePort(rule) !== 443,
    severity: 'high',
    title: 'The internet reaches only port 443',
  }),
  resourceRule({
    check(resource, stack) {
      const problems: string[] = []
      if (resource.type === 'aws_security_group') {
        const description = str(resource.values.description)
        if (!description || description === 'Managed by Terraform')
          problems.push('the group has no description of its own')
      }
      for (const rule of securityGroupRules(stack).filter((candidate) => candidate.declaredBy === resource))
        if (!rule.description) problems.push(`${rule.direction} rule on ${describePorts(rule)} has no description`)
      return problems
    },
    domain: 'security-groups',
    equivalents: {checkov: ['CKV_AWS_23'], trivy: ['AVD-AWS-0099', 'AVD-AWS-0124']},
    id: 'SKT-SG-005',
    remediation: 'Describe every group and every rule: what it admits and why.',
    requirement: `${DESIGN}: Security groups — every group and rule described.`,
    resourceTypes: [...RULE_TYPES, 'aws_vpc_security_group_egress_rule'],
    severity: 'low',
    title: 'Security groups and rules are described',
  }),
  resourceRule({
    check(database, stack) {
      return chainProblems(stack, database, num(database.values.port) ?? 5432, appGroups(stack), 'the app group')
    },
    domain: 'security-groups',
    equivalents: {checkov: [], trivy: ['AVD-AWS-0107']},
    id: 'SKT-SG-006',
    remediation: 'Give the database its own group whose only ingress is tcp 5432 from the app group (by reference).',
    requirement: `${DESIGN}: Security groups — DB 5432 from the app group only.`,
    resourceTypes: ['aws_db_instance', 'aws_rds_cluster'],
    severity: 'high',
    title: 'The database admits only the app group on 5432',
  }),
  resourceRule({
    check(cache, stack) {
      return chainProblems(stack, cache, num(cache.values.port) ?? 6379, appGroups(stack), 'the app group')
    },
    domain: 'security-groups',
    equivalents: {checkov: [], trivy: ['AVD-AWS-0107']},
    id: 'SKT-SG-007',
    remediation: 'Give the cache its own group whose only ingress is tcp 6379 from the app group (by reference).',
    requirement: `${DESIGN}: Security groups — Redis 6379 from the app group only.`,
    resourceTypes: ['aws_elasticache_replication_group', 'aws_elasticache_cluster'],
    severity: 'high',
    title: 'The cache admits only the app group on 6379',
  }),
  resourceRule({
    check(service, stack) {
      if (blocks(service.values.network_configuration).length === 0) return undefined
      return chainProblems(
        stack,
        service,
        containerPort(service),
        groupsAttachedTo(stack, LB_TYPES),
        'the load balancer group',
      )
    },
    domain: 'security-groups',
    equivalents: {checkov: [], trivy: ['AVD-AWS-0107']},
    id: 'SKT-SG-008',
    remediation:
      'Give the service its own group whose only ingress is the container port (8000) from the load balancer group.',
    requirement: `${DESIGN}: Security groups — app 8000 from the ALB group only.`,
    resourceTypes: ['aws_ecs_service'],
    severity: 'high',
    title: 'The app admits only the load balancer group on its port',
  }),
  resourceRule({
    check(lb, stack) {
      const problems: string[] = []
      for (const group of attachedGroups(stack, lb))
        for (const rule of rulesOfGroup(stack, group, 'ingress'))
          if (singlePort(rule) !== 443)
            problems.push(`group ${group} admits ${describePorts(rule)}; a load balancer takes only tcp 443`)
      return problems
    },
    domain: 'security-groups',
    equivalents: {checkov: ['CKV_AWS_260'], trivy: []},
    id: 'SKT-SG-009',
    remediation: 'Let the load balancer group admit tcp 443 only (no plain-HTTP port).',
    requirement: `${DESIGN}: Security groups — ALB 443 from the internet.`,
    resourceTypes: LB_TYPES,
    severity: 'medium',
    title: 'The load balancer admits only 443',
  }),
  resourceRule({
    check(lb, stack) {
      const apps = appGroups(stack)
      const ports = new Set(stack.byType.get('aws_ecs_service')?.map((service) => containerPort(service)) ?? [APP_PORT])
      const problems: string[] = []
      for (const group of attachedGroups(stack, lb))
        for (const rule of rulesOfGroup(stack, group, 'egress')) {
          if (rule.cidrs.length > 0)
            problems.push(`group ${group} sends to addresses (${rule.cidrs.join(', ')}) instead of the app group`)
          const strangers = rule.groups.filter((target) => apps.size > 0 && !apps.has(target))
          if (strangers.length > 0)
            problems.push(`group ${group} sends to ${strangers.join(', ')}, which is not the app group`)
          const port = singlePort(rule)
          if (port === undefined || !ports.has(port))
            problems.push(`group ${group} sends on ${describePorts(rule)}; only the app port belongs there`)
        }
      return problems
    },
    domain: 'security-groups',
    equivalents: {checkov: ['CKV_AWS_382'], trivy: ['AVD-AWS-0104']},
    id: 'SKT-SG-010',
    remediation: 'Let the load balancer group send only to the app group on the container port (8000).',
    requirement: `${DESIGN}: Security groups — ALB → app 8000 (${SEED_SG}: the ALB's egress is the app group on 8000).`,
    resourceTypes: LB_TYPES,
    severity: 'medium',
    title: 'The load balancer reaches only the app group',
  }),
]
