import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {monthIsOver, type CostQuery, type MonthlyCosts} from './cost-explorer.ts'

/**
 * Final months of Cost Explorer data, kept under .seiketsu/cache/cost-explorer/: a closed month
 * does not change, so asking again would only cost another $0.01 per page.
 */

const CACHE_VERSION = 1

export function cacheFile(workspace: Workspace, query: CostQuery): string {
  return join(
    workspacePaths(workspace.root).cache,
    'cost-explorer',
    `${query.month}.${query.metric}.${query.groupBy}.json`,
  )
}

export async function readCachedMonth(workspace: Workspace, query: CostQuery): Promise<MonthlyCosts | undefined> {
  let text: string
  try {
    text = await readFile(cacheFile(workspace, query), 'utf8')
  } catch {
    return undefined
  }
  try {
    const parsed = JSON.parse(text) as {version?: number; costs?: MonthlyCosts}
    const costs = parsed.costs
    if (parsed.version !== CACHE_VERSION || !costs || costs.month !== query.month || costs.metric !== query.metric)
      return undefined
    if (costs.groupBy !== query.groupBy || costs.estimated || !Array.isArray(costs.groups)) return undefined
    return costs
  } catch {
    return undefined // a damaged cache file is simply fetched again
  }
}

/** Keeps the month if it is over and Cost Explorer says it is final; returns whether it did. */
export async function cacheMonthIfFinal(workspace: Workspace, costs: MonthlyCosts, now: Date): Promise<boolean> {
  if (costs.estimated || !monthIsOver(costs.month, now)) return false
  const file = cacheFile(workspace, costs)
  await mkdir(join(workspacePaths(workspace.root).cache, 'cost-explorer'), {recursive: true})
  await writeFileAtomic(file, `${JSON.stringify({costs, version: CACHE_VERSION}, null, 2)}\n`)
  return true
}
