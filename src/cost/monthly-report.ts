import {loadRegistry} from '../registry/registry.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {fetchMonthlyCosts, type CostQuery, type CostExplorerOptions} from './cost-explorer.ts'
import {buildCostReport, type CostReport} from './report.ts'
import {cacheMonthIfFinal, readCachedMonth} from './report-cache.ts'

export interface MonthlyReportOptions extends CostQuery, CostExplorerOptions {
  /** Client ids to list (none: every client that is not offboarded). */
  ids: string[]
  refresh: boolean
  now: Date
}

/**
 * `seiketsu cost report`: a final month from the cache (0 requests) or from Cost Explorer (every
 * page; kept in the cache when final), mapped to the registry's clients.
 */
export async function monthlyCostReport(workspace: Workspace, options: MonthlyReportOptions): Promise<CostReport> {
  const registry = await loadRegistry(workspace)
  const selected = registry.select(options.ids) // unknown ids fail (exit 2) before any paid request
  const query: CostQuery = {groupBy: options.groupBy, metric: options.metric, month: options.month}
  const cached = options.refresh ? undefined : await readCachedMonth(workspace, query)
  let costs = cached
  let requests = 0
  if (!costs) {
    const fetched = await fetchMonthlyCosts(query, options, options.now)
    costs = fetched.costs
    requests = fetched.requests
    await cacheMonthIfFinal(workspace, costs, options.now)
  }
  return buildCostReport({
    cached: cached !== undefined,
    costs,
    managementAccountId: workspace.config.managementAccountId,
    named: options.ids.length > 0,
    registry: registry.clients,
    requests,
    selected,
    tiers: workspace.tiers,
  })
}
