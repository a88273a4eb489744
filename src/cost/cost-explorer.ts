import {createAwsClient, type AwsClient} from '../aws/clients.ts'
import {awsError, awsErrorFacts} from '../aws/errors.ts'
import {SeiketsuError, ExitCode, usageError} from '../errors.ts'
import {decimal, isDecimalText, type Decimal} from './money.ts'

/**
 * Monthly costs from Cost Explorer (GetCostAndUsage, MONTHLY, grouped by linked account or by the
 * seiketsu:client tag), every page followed. Each HTTP attempt is a billed request ($0.01), so
 * attempts are counted (retries included) and bounded by `maxAttempts`.
 */

export const COST_METRICS = ['UnblendedCost', 'AmortizedCost', 'NetUnblendedCost'] as const
export type CostMetric = (typeof COST_METRICS)[number]
export const GROUP_BYS = ['account', 'tag'] as const
export type CostGroupBy = (typeof GROUP_BYS)[number]

/** The cost-allocation tag every client stack puts on its resources (provider default_tags). */
export const CLIENT_TAG = 'seiketsu:client'

/** A page loop that never ends is a broken endpoint, not a large organization. */
const MAX_PAGES = 10_000

export interface CostQuery {
  /** YYYY-MM */
  month: string
  metric: CostMetric
  groupBy: CostGroupBy
}

export interface CostGroup {
  /** An account id (group by account) or the tag value (group by tag; '' for untagged costs). */
  key: string
  /** The account's name, from Cost Explorer's DimensionValueAttributes. */
  name?: string
  amount: string
}

/** What Cost Explorer said about one month, as the cache keeps it. */
export interface MonthlyCosts extends CostQuery {
  currency: string
  /** True while AWS has not finalized the month (Estimated on any result). */
  estimated: boolean
  groups: CostGroup[]
  fetchedAt: string
}

export interface CostExplorerOptions {
  /** An endpoint override; without it the SDK uses AWS_ENDPOINT_URL_COST_EXPLORER, AWS_ENDPOINT_URL or AWS's. */
  endpointUrl?: string
  profile?: string
  /** Attempts per page, retries included: each one is a billed request. */
  maxAttempts: number
}

/** The Cost Explorer time period of a month: Start inclusive, End exclusive (today + 1 for the running month). */
export function monthPeriod(month: string, now: Date): {Start: string; End: string} {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month)
  if (!match)
    throw usageError(`month ${month}: expected YYYY-MM, e.g. 2026-08`, {code: 'INVALID_MONTH', input: 'month'})
  const year = Number(match[1])
  const index = Number(match[2]) - 1
  const start = new Date(Date.UTC(year, index, 1))
  const nextMonth = new Date(Date.UTC(year, index + 1, 1))
  const tomorrow = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
  if (start >= tomorrow)
    throw usageError(`month ${month} has not started yet`, {
      code: 'INVALID_MONTH',
      input: 'month',
      suggestions: ['seiketsu cost estimate tells what a month should cost before it happens.'],
    })
  const end = nextMonth < tomorrow ? nextMonth : tomorrow
  return {End: isoDay(end), Start: isoDay(start)}
}

/** True when the month is over (before the current UTC month): only such a month can be final and cached. */
export function monthIsOver(month: string, now: Date): boolean {
  const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  return month < current
}

/** The month before `now` (UTC), YYYY-MM: the default report. */
export function previousMonth(now: Date): string {
  const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

export interface FetchResult {
  costs: MonthlyCosts
  /** HTTP attempts made, retries included: what AWS bills. */
  requests: number
}

/**
 * Calls GetCostAndUsage until NextPageToken runs out and sums each group's amounts exactly.
 * AWS failures become exit 4 with the service's own message and the requests already made.
 */
export async function fetchMonthlyCosts(
  query: CostQuery,
  options: CostExplorerOptions,
  now = new Date(),
): Promise<FetchResult> {
  const {GetCostAndUsageCommand} = await import('@aws-sdk/client-cost-explorer')
  const {client, requests: billed} = await costExplorerClient(options)
  const period = monthPeriod(query.month, now)
  const amounts = new Map<string, Decimal>()
  const names = new Map<string, string>()
  const currencies = new Set<string>()
  let estimated = false
  let token: string | undefined
  const seenTokens = new Set<string>()
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await client.send(
        new GetCostAndUsageCommand({
          Granularity: 'MONTHLY',
          GroupBy: [
            query.groupBy === 'tag' ? {Key: CLIENT_TAG, Type: 'TAG'} : {Key: 'LINKED_ACCOUNT', Type: 'DIMENSION'},
          ],
          Metrics: [query.metric],
          NextPageToken: token,
          TimePeriod: period,
        }),
      )
      for (const attribute of response.DimensionValueAttributes ?? [])
        if (attribute.Value && attribute.Attributes?.description)
          names.set(attribute.Value, attribute.Attributes.description)
      for (const result of response.ResultsByTime ?? []) {
        if (result.Estimated) estimated = true
        for (const group of result.Groups ?? []) {
          const rawKey = group.Keys?.[0] ?? ''
          const key = query.groupBy === 'tag' ? tagValue(rawKey) : rawKey
          const metric = group.Metrics?.[query.metric]
          const text = metric?.Amount ?? '0'
          if (!isDecimalText(text))
            throw new SeiketsuError(
              `Cost Explorer returned a non-decimal amount '${text}' for ${rawKey}`,
              ExitCode.External,
            )
          if (metric?.Unit) currencies.add(metric.Unit)
          amounts.set(key, (amounts.get(key) ?? decimal(0)).plus(decimal(text)))
        }
      }
      token = response.NextPageToken || undefined
      if (!token) break
      if (seenTokens.has(token))
        throw new SeiketsuError('Cost Explorer returned the same NextPageToken twice; stopping', ExitCode.External, {
          code: 'AWS_PAGINATION',
        })
      seenTokens.add(token)
    }
  } catch (error) {
    throw costExplorerError(error, billed(), options)
  } finally {
    client.destroy()
  }
  if (currencies.size > 1)
    throw new SeiketsuError(`Cost Explorer returned amounts in ${[...currencies].join(' and ')}`, ExitCode.External, {
      code: 'MIXED_CURRENCIES',
    })
  const groups = [...amounts.entries()]
    .map(([key, amount]) => ({amount: amount.toFixed(), key, ...(names.has(key) ? {name: names.get(key)} : {})}))
    .sort((a, b) => a.key.localeCompare(b.key))
  return {
    costs: {
      currency: [...currencies][0] ?? 'USD',
      estimated,
      fetchedAt: now.toISOString(),
      groups,
      groupBy: query.groupBy,
      metric: query.metric,
      month: query.month,
    },
    requests: billed(),
  }
}

/**
 * A Cost Explorer client with a counter of billed requests. The counter runs once per HTTP attempt
 * (inside the retry loop): an attempt that got an answer from the service, error or not, is
 * billed; one that never connected is not.
 */
export async function costExplorerClient(
  options: CostExplorerOptions,
): Promise<{client: AwsClient<'costExplorer'>; requests: () => number}> {
  const client = await createAwsClient('costExplorer', options)
  let requests = 0
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        const result = await next(args)
        requests++
        return result
      } catch (error) {
        const answered = error as {$response?: unknown; $metadata?: {httpStatusCode?: number}}
        if (answered.$response !== undefined || answered.$metadata?.httpStatusCode !== undefined) requests++
        throw error
      }
    },
    {name: 'seiketsuCountRequests', step: 'deserialize'},
  )
  return {client, requests: () => requests}
}

/** `seiketsu:client$acme` → `acme`; Cost Explorer writes untagged costs as `seiketsu:client$`. */
function tagValue(key: string): string {
  const index = key.indexOf('$')
  return index === -1 ? key : key.slice(index + 1)
}

const ADVICE: Record<string, string> = {
  BillExpirationException: 'Cost Explorer keeps 13 months (38 with multi-year data enabled): pick a later --month.',
  CredentialsProviderError: 'No AWS credentials found: set AWS_PROFILE or pass --profile, or export AWS credentials.',
  DataUnavailableException:
    'Cost Explorer has no data for this period yet (it is enabled in the management account and fills within 24 hours).',
  LimitExceededException: 'Cost Explorer throttled the requests: wait a minute and run again (each retry is billed).',
}

/**
 * A Cost Explorer failure as exit 4: the service's error name and message, the billed requests
 * already made, and what to do. `permissions` are the IAM actions the caller needs (for AccessDenied).
 */
export function costExplorerError(
  error: unknown,
  requests: number,
  options: CostExplorerOptions,
  permissions: readonly string[] = ['ce:GetCostAndUsage'],
): SeiketsuError {
  if (error instanceof SeiketsuError) return error
  const facts = awsErrorFacts(error)
  const message = facts.unreachable
    ? `Cost Explorer is unreachable${options.endpointUrl ? ` at ${options.endpointUrl}` : ''}: ${facts.message}`
    : `Cost Explorer: ${facts.name}: ${facts.message}`
  const advice =
    facts.name === 'CredentialsProviderError' && options.profile
      ? `Profile '${options.profile}' gave no credentials: check ~/.aws/config and ~/.aws/credentials (aws sso login --profile ${options.profile}).`
      : facts.name === 'AccessDeniedException'
        ? `The caller needs ${permissions.join(' and ')} in the management (payer) account.`
        : ADVICE[facts.name]
  return awsError(`${message} (after ${requests} billed request${requests === 1 ? '' : 's'})`, error, {
    details: {awsError: facts.name, httpStatus: facts.status, requests},
    suggestions: advice ? [advice] : [],
  })
}
