import type {ProviderConfig, Resource} from '../configuration/model.ts'
import type {Tier} from '../tiers/tiers.ts'

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** 0 for low … 3 for critical: comparisons against --fail-on. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold)
}

/** What the audit knows about the client a stack belongs to (from the registry, or the stack's own tags). */
export interface ClientContext {
  id: string
  accountId?: string
  cidr?: string
  region?: string
  drRegion?: string
  tier?: Tier
  /** The platform's management account (workspace `managementAccountId`): its roles may be trusted by client roles. */
  managementAccountId?: string
  /** Integrations that hold credentials and must each have a secret. Undefined: unknown. */
  secretIntegrations?: string[]
}

/**
 * What a stack is, which decides the rules that judge it and when it applies: the platform stack
 * (management account) first, then a bootstrap stack per client account (the provisioner role and
 * service-linked roles), then the client's own stack; Terraform from elsewhere is `other`.
 */
export type StackKind = 'client' | 'bootstrap' | 'platform' | 'other'

/** One Terraform configuration (a folder, a synthesized stack, a plan): what rules look at. */
export interface Stack {
  /** The client id, `platform`, or the folder / file the configuration came from. */
  id: string
  kind: StackKind
  /** The main file (where stack-level findings point). */
  file: string
  /** Read from a plan (`terraform show -json`): values unknown there are known only after apply. */
  fromPlan?: boolean
  /** The workspace's platform name (resource prefix), when known. */
  platform?: string
  client?: ClientContext
  /** Its managed resources and its data sources (`mode` tells them apart). */
  resources: Resource[]
  providers: ProviderConfig[]
  /** Other top-level blocks (variable, output, locals, terraform) by name, as written. */
  blocks: Record<string, unknown>
  byAddress: Map<string, Resource>
  byType: Map<string, Resource[]>
}

/** What a check reports: the resource address it is about and what is wrong. */
export interface Violation {
  address: string
  message: string
  file?: string
}

interface RuleBase {
  /** Our own scheme: SKT-<DOMAIN>-NNN. */
  id: string
  title: string
  severity: Severity
  /** Rule file / domain: network, edge, compute, … */
  domain: string
  /** Resource types the rule looks at (or, for stack rules, the types it requires). */
  resourceTypes: string[]
  /** The seed / DESIGN.md requirement the rule enforces. */
  requirement: string
  /** Peer checks it corresponds to, where one exists (ours may be stricter). */
  equivalents: {checkov: string[]; trivy: string[]}
  remediation: string
}

/** Evaluated once per resource of `resourceTypes`; returns what is wrong with it (nothing: passed). */
export interface ResourceRule extends RuleBase {
  scope: 'resource'
  check(resource: Resource, stack: Stack): string | string[] | undefined
}

/** Evaluated once per client stack (things a client stack must contain). */
export interface StackRule extends RuleBase {
  scope: 'stack'
  /** Kinds of stack it runs on (default: client stacks only). */
  kinds?: StackKind[]
  check(stack: Stack): Violation[]
}

/**
 * One client of the fleet as the audit knows it, whether or not its stack is on disk: from the
 * registry and the names the stack model gives it (a workspace), or from its stack (--path, --plan-json).
 */
export interface FleetMember {
  id: string
  /** The platform prefix of its names. */
  platform: string
  /** Its AWS account, when it has one. */
  accountId?: string
  /** Its VPC CIDRs: the registry's allocation, or the VPCs of its stack. */
  cidrs: string[]
  /** What all its names start with, from the platform on: `seiketsu-acme`, `seiketsu/acme`. */
  prefixes: string[]
  /**
   * Its exact names as they appear in configuration, from the platform on (`seiketsu-acme-data`,
   * `seiketsu/acme/app`, `seiketsu-acme-app`): a longer name under one (`seiketsu-acme-app-x`) is not its.
   */
  names: string[]
  /** Its S3 bucket names. */
  buckets: string[]
}

/** What fleet rules compare: the client stacks audited, and every client of the fleet. */
export interface Fleet {
  /** The client stacks of the run. */
  stacks: Stack[]
  /** Every stack of the run, whatever its kind (platform, bootstrap, client, other), in the order given. */
  allStacks: Stack[]
  members: FleetMember[]
  /** Names of the platform's own resources (image repository, trail, state bucket): no client's. */
  platformNames: string[]
}

/** Evaluated once over the stacks of the run, against the whole fleet (isolation between clients, deployability). */
export interface FleetRule extends RuleBase {
  scope: 'fleet'
  /** Kinds of stack it looks at (in `allStacks`): it runs when the run has one (default: client stacks only). */
  kinds?: StackKind[]
  check(fleet: Fleet): (Violation & {stack: Stack})[]
}

export type Rule = ResourceRule | StackRule | FleetRule

export interface Suppression {
  rule: string
  /** A client id or `*`. */
  client: string
  resource: string
  reason: string
  /** YYYY-MM-DD: the last day it suppresses. */
  expires: string
  /** Line in audit-exceptions.yaml. */
  line?: number
}

export interface Finding {
  ruleId: string
  severity: Severity
  title: string
  /** The client whose stack holds the resource (absent for Terraform that names no client). */
  client?: string
  stack: string
  file: string
  /** Line of the resource in the file, when it could be found. */
  line?: number
  address: string
  message: string
  suppressed?: {reason: string; expires: string}
}

/** A (rule, resource) pair that was evaluated: one JUnit test case. */
export interface Check {
  ruleId: string
  stack: string
  file: string
  address: string
  passed: boolean
}

export interface RuleSummary {
  id: string
  title: string
  severity: Severity
  domain: string
  scope: Rule['scope']
  resourceTypes: string[]
  requirement: string
  equivalents: {checkov: string[]; trivy: string[]}
  remediation: string
}

export interface AuditReport {
  failOn: Severity
  /** True when no unsuppressed finding is at or above failOn. */
  passed: boolean
  stacks: {id: string; kind: StackKind; client?: string; file: string; resources: number}[]
  findings: Finding[]
  rules: RuleSummary[]
  checks: Check[]
  suppressions: {applied: number; expired: Suppression[]; unused: Suppression[]}
  counts: {
    stacks: number
    resources: number
    rules: number
    checks: number
    findings: number
    unsuppressed: number
    suppressed: number
    bySeverity: Record<Severity, number>
  }
}
