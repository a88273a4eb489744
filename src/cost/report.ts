import type {ClientManifest} from '../registry/manifest.ts'
import type {TierCatalog} from '../tiers/tiers.ts'
import type {CostGroupBy, CostMetric, MonthlyCosts} from './cost-explorer.ts'
import {amountText, decimal, sum, ZERO, type Decimal} from './money.ts'

/**
 * A month's actual costs per client: Cost Explorer's groups mapped to clients through the registry
 * (account id, or the seiketsu:client tag), compared with each tier's budget. Pure.
 * Amounts are exact decimal strings with at least two decimals.
 */

export interface ClientCost {
  id: string
  name: string
  tier: string
  accountId: string | null
  amount: string
  budget: string
  overBudget: boolean
  /** The month is not final yet in Cost Explorer. */
  estimated: boolean
}

export interface UnallocatedCost {
  /** Group by account: an account no client owns (the management account, or one outside the registry). */
  accountId?: string
  /** Group by tag: a seiketsu:client value that names no client ('' for untagged costs). */
  tag?: string
  name?: string
  amount: string
}

export interface CostReport {
  month: string
  metric: CostMetric
  groupBy: CostGroupBy
  currency: string
  estimated: boolean
  clients: ClientCost[]
  unallocated: UnallocatedCost[]
  /** The clients' amounts plus the unallocated ones listed. */
  total: string
  /** Billed Cost Explorer requests this run made (0 when the month came from the cache). */
  requests: number
  cached: boolean
  fetchedAt: string
}

export interface ReportInputs {
  costs: MonthlyCosts
  /** Every client of the registry: costs are allocated to any of them, offboarded included. */
  registry: readonly ClientManifest[]
  /** The clients to list (all but offboarded when none were named). */
  selected: readonly ClientManifest[]
  /** True when the operator named clients: then only they are listed and nothing is unallocated. */
  named: boolean
  tiers: TierCatalog
  managementAccountId: string
  requests: number
  cached: boolean
}

export function buildCostReport(inputs: ReportInputs): CostReport {
  const {costs} = inputs
  const byKey = new Map(costs.groups.map((group) => [group.key, group]))
  const keyOf = (client: ClientManifest) => (costs.groupBy === 'tag' ? client.id : client.accountId)
  const owned = new Set(inputs.registry.map(keyOf).filter((key): key is string => Boolean(key)))

  const listed = [...inputs.selected]
  if (!inputs.named)
    for (const client of inputs.registry) {
      const key = keyOf(client)
      // An offboarded client whose account still cost something this month stays visible.
      if (client.status === 'offboarded' && key && byKey.has(key) && !decimal(byKey.get(key)!.amount).eq(0))
        listed.push(client)
    }

  const clients = listed
    .map((client): ClientCost & {sortAmount: Decimal} => {
      const key = keyOf(client)
      const amount = key && byKey.has(key) ? decimal(byKey.get(key)!.amount) : ZERO
      const tier = inputs.tiers[client.tier]
      const budget = tier ? decimal(tier.monthlyBudgetUsd) : undefined
      return {
        accountId: client.accountId,
        amount: amountText(amount),
        budget: budget ? amountText(budget) : '',
        estimated: costs.estimated,
        id: client.id,
        name: client.name,
        overBudget: budget ? amount.gt(budget) : false,
        sortAmount: amount,
        tier: client.tier,
      }
    })
    .sort((a, b) => b.sortAmount.cmp(a.sortAmount) || a.id.localeCompare(b.id))
    .map(({sortAmount: _sortAmount, ...client}) => client)

  const unallocated: UnallocatedCost[] = inputs.named
    ? []
    : costs.groups
        .filter((group) => !owned.has(group.key))
        .sort((a, b) => decimal(b.amount).cmp(decimal(a.amount)) || a.key.localeCompare(b.key))
        .map((group) => ({
          ...(costs.groupBy === 'tag' ? {tag: group.key} : {accountId: group.key}),
          amount: amountText(decimal(group.amount)),
          ...(group.name
            ? {name: group.name}
            : costs.groupBy === 'account' && group.key === inputs.managementAccountId
              ? {name: 'management account'}
              : {}),
        }))

  const total = sum([...clients, ...unallocated].map((entry) => decimal(entry.amount)))
  return {
    cached: inputs.cached,
    clients,
    currency: costs.currency,
    estimated: costs.estimated,
    fetchedAt: costs.fetchedAt,
    groupBy: costs.groupBy,
    metric: costs.metric,
    month: costs.month,
    requests: inputs.requests,
    total: amountText(total),
    unallocated,
  }
}
