import type {Check, Finding, Rule, RuleSummary, Stack, Violation} from './types.ts'

/**
 * The policy engine: rules in, stacks in, findings and checks out. Pure: no files, no clock.
 * Resource rules run on every stack; stack rules on client stacks (they say what a client stack must
 * contain; a rule may widen that with `kinds`); fleet rules once over every client stack.
 */

export interface Evaluation {
  findings: Finding[]
  checks: Check[]
}

/**
 * `fleet`: the client stacks fleet rules compare (default: the client stacks audited). Fleet
 * findings are reported only for the stacks audited, so auditing one client still compares it
 * with every other client of the workspace.
 */
export function evaluate(stacks: readonly Stack[], rules: readonly Rule[], fleet?: readonly Stack[]): Evaluation {
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
  const clientStacks = (fleet ?? stacks).filter((stack) => stack.kind === 'client')
  for (const rule of rules) {
    if (rule.scope !== 'fleet' || !stacks.some((stack) => stack.kind === 'client')) continue
    const violations = rule.check(clientStacks).filter((violation) => audited.has(violation.stack))
    if (violations.length === 0) checks.push({address: '', file: '', passed: true, ruleId: rule.id, stack: '*'})
    for (const group of groupByAddress(violations)) record(rule, group.stack, group.file, group.address, group.messages)
  }
  return {checks, findings: sortFindings(findings)}
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
