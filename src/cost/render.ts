import chalk from 'chalk'

import {renderTable} from '../ui/table.ts'
import type {ClientCostEstimate} from './client-estimate.ts'
import {TAG_DISCOVERY_DELAY, type TagActivationResult, type TagActivationStatus} from './cost-allocation-tags.ts'
import {decimal, displayAmount, max, type Decimal} from './money.ts'
import type {CostReport} from './report.ts'

/** Human and CSV renderings of estimates and reports. Tables round to cents; CSV keeps exact amounts. */

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

const usd = (value: string | Decimal) => `$${displayAmount(decimal(value))}`

export function estimateTable(estimate: ClientCostEstimate): string {
  const who = estimate.hypothetical ? `a new ${estimate.tier} client` : `${estimate.id} (${estimate.tier})`
  const verdict = estimate.overBudget ? chalk.red('OVER BUDGET') : 'within budget'
  const header = `${chalk.bold(who)} in ${estimate.region}: ${chalk.bold(usd(estimate.monthly))} a month, ${verdict} (budget ${usd(estimate.budget)}); tier price ${usd(estimate.tierPrice)}, margin ${usd(estimate.margin)}`
  const rows = estimate.components.map((line) => [
    line.count > 1 ? `${line.resource} ×${line.count}` : line.resource,
    line.region === estimate.region ? line.component : `${line.component} [${line.region}]`,
    `${line.quantity} ${line.unit}`,
    `$${line.price}${line.basis === 'unconfirmed' ? '*' : ''}`,
    usd(line.monthly),
  ])
  const lines = [header, renderTable(['RESOURCE', 'COMPONENT', 'QUANTITY', 'PRICE', 'MONTHLY'], rows)]
  if (estimate.unconfirmedLines > 0)
    lines.push(
      `* price not confirmed in a source (see ${estimate.priceFiles[0] ?? 'the price file'}): check before quoting`,
    )
  for (const note of estimate.notes) lines.push(`note: ${note}`)
  return lines.join('\n')
}

export function estimateCsv(estimates: ClientCostEstimate[]): string {
  const rows: (string | number | boolean)[][] = [
    ['client', 'tier', 'region', 'resource', 'component', 'count', 'quantity', 'unit', 'price', 'monthly', 'basis'],
  ]
  for (const estimate of estimates) {
    for (const line of estimate.components)
      rows.push([
        estimate.id,
        estimate.tier,
        line.region,
        line.resource,
        line.component,
        line.count,
        line.quantity,
        line.unit,
        line.price,
        line.monthly,
        line.basis,
      ])
    rows.push([estimate.id, estimate.tier, estimate.region, '', 'total', '', '', '', '', estimate.monthly, ''])
  }
  return toCsv(rows)
}

const BAR_WIDTH = 30

/** A bar per client: █ for the month's cost (red past the budget), │ where the budget is. */
export function costBar(amount: Decimal, budget: Decimal | undefined, scale: Decimal, width = BAR_WIDTH): string {
  if (scale.lte(0)) return ''
  const cells = (value: Decimal) => Math.min(width, value.div(scale).times(width).round(0).toNumber())
  const filled = cells(amount)
  const budgetAt = budget ? cells(budget) : width + 1
  let bar = ''
  for (let index = 0; index < width; index++) {
    if (index < filled) bar += index >= budgetAt ? chalk.red('█') : '█'
    else bar += index === budgetAt ? chalk.dim('│') : ' '
  }
  if (budgetAt === width) bar += chalk.dim('│')
  return bar.trimEnd()
}

export function reportTable(report: CostReport): string {
  const amounts = report.clients.flatMap((client) => [
    decimal(client.amount),
    ...(client.budget ? [decimal(client.budget)] : []),
  ])
  const scale = max(amounts)
  const status = report.estimated ? chalk.yellow('estimated: the month is not final') : 'final'
  const lines = [
    `${chalk.bold(report.month)} · ${report.metric} by ${report.groupBy === 'tag' ? 'tag seiketsu:client' : 'linked account'} · ${report.currency} · ${status}`,
  ]
  const rows = report.clients.map((client) => {
    const amount = decimal(client.amount)
    const budget = client.budget ? decimal(client.budget) : undefined
    const share = budget && budget.gt(0) ? `${amount.div(budget).times(100).round(0).toFixed(0)}%` : ''
    return [
      client.id,
      client.tier,
      client.accountId ?? '(none)',
      usd(amount),
      budget ? usd(budget) : '',
      client.overBudget ? chalk.red(`${share} OVER`) : share,
      costBar(amount, budget, scale),
    ]
  })
  lines.push(
    rows.length === 0
      ? 'No clients to report.'
      : renderTable(['CLIENT', 'TIER', 'ACCOUNT', 'COST', 'BUDGET', 'OF BUDGET', '█ cost  │ budget'], rows),
  )
  if (report.unallocated.length > 0) {
    lines.push('', chalk.bold('Not allocated to a client:'))
    lines.push(
      renderTable(
        [report.groupBy === 'tag' ? 'TAG VALUE' : 'ACCOUNT', 'NAME', 'COST'],
        report.unallocated.map((entry) => [
          report.groupBy === 'tag' ? entry.tag || '(untagged)' : (entry.accountId ?? ''),
          entry.name ?? '',
          usd(entry.amount),
        ]),
      ),
    )
  }
  const over = report.clients.filter((client) => client.overBudget).length
  lines.push(
    '',
    `Total ${usd(report.total)}${over > 0 ? chalk.red(` · ${over} client${over === 1 ? '' : 's'} over budget`) : ''}`,
    report.cached
      ? 'Cost Explorer requests: 0 (final month read from the cache; --refresh asks again)'
      : `Cost Explorer requests: ${report.requests} (billed $0.01 each: $${displayAmount(decimal(report.requests).times('0.01'))})`,
  )
  return lines.join('\n')
}

export function reportCsv(report: CostReport): string {
  const rows: (string | number | boolean)[][] = [
    ['month', 'kind', 'client', 'account_id', 'tag', 'name', 'tier', 'amount', 'budget', 'over_budget', 'estimated'],
  ]
  for (const client of report.clients)
    rows.push([
      report.month,
      'client',
      client.id,
      client.accountId ?? '',
      '',
      client.name,
      client.tier,
      client.amount,
      client.budget,
      client.overBudget,
      client.estimated,
    ])
  for (const entry of report.unallocated)
    rows.push([
      report.month,
      'unallocated',
      '',
      entry.accountId ?? '',
      entry.tag ?? '',
      entry.name ?? '',
      '',
      entry.amount,
      '',
      '',
      report.estimated,
    ])
  rows.push([report.month, 'total', '', '', '', '', '', report.total, '', '', report.estimated])
  return toCsv(rows)
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function toCsv(rows: (string | number | boolean)[][]): string {
  const field = (value: string | number | boolean) => {
    const text = String(value)
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  return rows.map((row) => row.map(field).join(',')).join('\n')
}

const TAG_STATUS_TEXT: Record<TagActivationStatus, string> = {
  activated: 'activated',
  'already-active': 'already active',
  failed: 'FAILED',
  'not-known-yet': 'not known to Billing yet',
  'would-activate': 'inactive: would be activated',
}

/** `cost activate-tags` for people: a line per key, what changed, what to do next, the billed requests. */
export function tagActivationText(result: TagActivationResult): string {
  const reasons = result.keys.some((key) => key.reason)
  const rows = result.keys.map((key) => [
    key.key,
    key.status === 'failed' ? chalk.red(TAG_STATUS_TEXT[key.status]) : TAG_STATUS_TEXT[key.status],
    ...(reasons ? [key.reason ? `${key.reason.code}: ${key.reason.message}` : ''] : []),
  ])
  const lines = [renderTable(['TAG KEY', 'STATUS', ...(reasons ? ['REASON'] : [])], rows)]
  const {counts} = result
  if (result.dryRun)
    lines.push(
      counts['would-activate'] > 0
        ? `Dry run: ${plural(counts['would-activate'], 'key')} would be activated; nothing was changed.`
        : 'Dry run: nothing to activate.',
    )
  else if (!result.changed && counts.failed === 0 && counts['not-known-yet'] === 0)
    lines.push(`Nothing changed: all ${plural(counts['already-active'], 'key')} already active.`)
  else if (counts.activated > 0)
    lines.push(
      `Activated ${plural(counts.activated, 'key')}: Cost Explorer shows ${counts.activated === 1 ? 'it' : 'them'} for costs from now on, within 24 hours.`,
    )
  if (result.notKnownYet.length > 0)
    lines.push(
      `Billing does not know ${result.notKnownYet.join(', ')} yet: it learns a tag key ${TAG_DISCOVERY_DELAY} after the first resource carrying it exists (seiketsu's stacks tag every resource). Run \`seiketsu cost activate-tags\` again tomorrow.`,
    )
  if (counts.failed > 0) lines.push(`${plural(counts.failed, 'key')} could not be activated (reason above).`)
  lines.push(
    `Cost Explorer requests: ${result.requests} (billed $0.01 each: $${displayAmount(decimal(result.requestsCostUsd))})`,
  )
  return lines.join('\n')
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
