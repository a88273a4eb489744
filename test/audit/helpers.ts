import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {auditStacks} from '../../src/audit/audit.ts'
import {loadPathStacks} from '../../src/audit/inputs.ts'
import type {AuditReport, ClientContext, Stack} from '../../src/audit/types.ts'
import {loadTiers, type TierCatalog} from '../../src/tiers/tiers.ts'
import {fixturesDir} from '../helpers/cli.ts'

export const auditFixtures = join(fixturesDir, 'audit')

let tiers: Promise<TierCatalog> | undefined
export function shippedTiers(): Promise<TierCatalog> {
  return (tiers ??= loadTiers({}, 'tiers.yaml', () => undefined))
}

export interface FixtureExpectations {
  expect: Record<string, string[]>
  context?: Partial<ClientContext>
}

/**
 * What a fixture says it must produce: JSON fixtures carry `"//": {"expect": {rule: [addresses]}}`
 * (Terraform ignores "//" keys); HCL fixtures carry `# expect RULE: address, address` lines.
 */
export function fixtureExpectations(file: string): FixtureExpectations {
  const text = readFileSync(file, 'utf8')
  if (file.endsWith('.tf')) {
    const expect: Record<string, string[]> = {}
    for (const match of text.matchAll(/^#\s*expect\s+(SKT-[A-Z0-9]+-\d+)\s*:?(.*)$/gm))
      expect[match[1]!] = match[2]!.split(/[\s,]+/).filter(Boolean)
    return {expect}
  }
  const comment = (JSON.parse(text) as {'//'?: FixtureExpectations})['//']
  return {context: comment?.context, expect: comment?.expect ?? {}}
}

/** Audits one fixture file or folder on its own, as `seiketsu audit --path` would. */
export async function auditFixture(
  path: string,
  context?: Partial<ClientContext>,
): Promise<{report: AuditReport; stacks: Stack[]}> {
  const stacks = await loadPathStacks([path], {cwd: auditFixtures, tiers: await shippedTiers()})
  if (context) for (const stack of stacks) if (stack.client) Object.assign(stack.client, context)
  return {report: auditStacks(stacks, {today: '2026-06-01'}), stacks}
}

export function addressesOf(report: AuditReport, ruleId: string): string[] {
  return [
    ...new Set(report.findings.filter((finding) => finding.ruleId === ruleId).map((finding) => finding.address)),
  ].sort()
}
