import {summarizeRule} from './engine.ts'
import type {RuleSummary} from './types.ts'

/** The rule catalogue as data (what `seiketsu audit rules` prints). */
export async function ruleCatalogue(): Promise<RuleSummary[]> {
  const {RULES} = await import('./rules/index.ts')
  return RULES.map(summarizeRule)
}
