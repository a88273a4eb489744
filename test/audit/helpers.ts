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

/**
 * Audits one fixture file or folder on its own, as `seiketsu audit --path` would: a folder of folders is
 * one run of several stacks (each subfolder a stack). The context completes the client of every client
 * stack, or of the stacks it returns one for.
 */
export async function auditFixture(
  path: string,
  context?: Partial<ClientContext> | ((stack: Stack) => Partial<ClientContext> | undefined),
): Promise<{report: AuditReport; stacks: Stack[]}> {
  const stacks = await loadPathStacks([path], {cwd: auditFixtures, tiers: await shippedTiers()})
  for (const stack of stacks) {
    const own = typeof context === 'function' ? context(stack) : context
    if (own && stack.client) Object.assign(stack.client, own)
  }
  return {report: auditStacks(stacks, {today: '2026-06-01'}), stacks}
}

/** The addresses a rule reported (in one file of the fixture, when given: relative to the fixtures folder). */
export function addressesOf(report: AuditReport, ruleId: string, file?: string): string[] {
  return [
    ...new Set(
      report.findings
        .filter((finding) => finding.ruleId === ruleId && (file === undefined || finding.file === file))
        .map((finding) => finding.address),
    ),
  ].sort()
}
