import {memberFromStack} from './fleet-members.ts'
import type {Check, Finding, Fleet, FleetMember, Rule, RuleSummary, Stack, Violation} from './types.ts'

/**
 * The policy engine: rules in, stacks in, findings and checks out. Pure: no files, no clock.
 * Resource rules run on every stack; stack rules on client stacks (they say what a client stack must
 * contain; a rule may widen that with `kinds`); fleet rules once over the run, against the fleet: over
 * its client stacks, or every stack of the run when they name more `kinds`.
 */

export interface Evaluation {
  findings: Finding[]
  checks: Check[]
}

/** Who fleet rules compare the audited client stacks with. */
export interface FleetContext {
  /** Every client of the fleet (default: those of the client stacks audited). */
  members: readonly FleetMember[]
  platformNames?: readonly string[]
}

/**
 * Fleet rules look at the client stacks audited and compare them with every member of `fleet` (a
 * workspace's registry), so auditing one client still compares it with every other client.
 */
export function evaluate(stacks: readonly Stack[], rules: readonly Rule[], fleet?: FleetContext): Evaluation {
  const findings: Finding[] = []
  const checks: Check[] = []
  const record = (rule: Rule, stack: Stack, file: string, address: string, messages: string[]) => {
    checks.push({address, file, passed: messages.length === 0, ruleId: rule.id, stack: stack.id})
    for (const message of messages)
      findings.push({
        address,
        client: stack.client?.id,
        file,
        message,
        ruleId: rule.id,
        severity: rule.severity,
        stack: stack.id,
        title: rule.title,
      })
  }
  for (const stack of stacks)
    for (const rule of rules) {
      if (rule.scope === 'resource') {
        for (const type of rule.resourceTypes)
          for (const resource of stack.byType.get(type) ?? []) {
            const result = rule.check(resource, stack)
            const messages = result === undefined ? [] : Array.isArray(result) ? result : [result]
            record(rule, stack, resource.file, resource.address, messages)
          }
      } else if (rule.scope === 'stack') {
        if (!(rule.kinds ?? ['client']).includes(stack.kind)) continue
        const violations = rule.check(stack)
        if (violations.length === 0)
          checks.push({address: '', file: stack.file, passed: true, ruleId: rule.id, stack: stack.id})
        for (const group of groupByAddress(violations.map((violation) => ({...violation, stack}))))
          record(rule, group.stack, group.file, group.address, group.messages)
      }
    }
  const audited = new Set(stacks)
  const clientStacks = stacks.filter((stack) => stack.kind === 'client')
  const members = fleetMembers(clientStacks, fleet?.members ?? [])
  const context: Fleet = {
    allStacks: [...stacks],
    members,
    platformNames: [...(fleet?.platformNames ?? [])],
    stacks: clientStacks,
  }
  for (const rule of rules) {
    if (rule.scope !== 'fleet') continue
    const kinds = rule.kinds ?? ['client']
    if (!stacks.some((stack) => kinds.includes(stack.kind))) continue
    const violations = rule.check(context).filter((violation) => audited.has(violation.stack))
    if (violations.length === 0) checks.push({address: '', file: '', passed: true, ruleId: rule.id, stack: '*'})
    for (const group of groupByAddress(violations)) record(rule, group.stack, group.file, group.address, group.messages)
  }
  return {checks, findings: sortFindings(findings)}
}

/** The given members, and a member for each audited client stack the fleet does not know (Terraform from outside). */
function fleetMembers(clientStacks: readonly Stack[], known: readonly FleetMember[]): FleetMember[] {
  const ids = new Set(known.map((member) => member.id))
  const extra = clientStacks.flatMap((stack) => {
    const member = ids.has(stack.client?.id ?? '') ? undefined : memberFromStack(stack)
    if (member) ids.add(member.id)
    return member ? [member] : []
  })
  return [...known, ...extra]
}

/** One check per stack and address, with every message about it. */
function groupByAddress(violations: readonly (Violation & {stack: Stack})[]) {
  const groups = new Map<string, {stack: Stack; file: string; address: string; messages: string[]}>()
  for (const violation of violations) {
    const key = `${violation.stack.id}\u0000${violation.address}`
    const group = groups.get(key) ?? {
      address: violation.address,
      file: violation.file ?? violation.stack.file,
      messages: [],
      stack: violation.stack,
    }
    group.messages.push(violation.message)
    groups.set(key, group)
  }
  return [...groups.values()]
}

const severityOrder = {critical: 0, high: 1, low: 3, medium: 2}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      severityOrder[a.severity] - severityOrder[b.severity] ||
      a.stack.localeCompare(b.stack) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.address.localeCompare(b.address),
  )
}

export function summarizeRule(rule: Rule): RuleSummary {
  return {
    domain: rule.domain,
    equivalents: rule.equivalents,
    id: rule.id,
    remediation: rule.remediation,
    requirement: rule.requirement,
    resourceTypes: rule.resourceTypes,
    scope: rule.scope,
    severity: rule.severity,
    title: rule.title,
  }
}
