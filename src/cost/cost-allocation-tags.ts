import {SeiketsuError, ExitCode} from '../errors.ts'
import {costExplorerClient, costExplorerError, type CostExplorerOptions} from './cost-explorer.ts'
import {amountText, decimal} from './money.ts'

/**
 * `seiketsu cost activate-tags`: activates seiketsu's cost-allocation tag keys through Cost
 * Explorer in the management (payer) account. Billing only knows a user-defined tag key some time
 * (up to 24 hours) after the first resource carrying it exists, so a key can be "not known yet":
 * that is reported, never treated as an AWS failure, and a later run finishes the job.
 *
 * ListCostAllocationTags (TagKeys + Type UserDefined, every page) tells each key's status;
 * UpdateCostAllocationTagsStatus activates the inactive ones, at most 20 per call (the API's batch
 * limit), and answers per-key failures in an `Errors` list with HTTP 200. Every HTTP attempt is a
 * billed request ($0.01) and is counted.
 */

/** UpdateCostAllocationTagsStatus takes 1 to 20 entries. */
export const UPDATE_BATCH_LIMIT = 20
/** ListCostAllocationTags takes 1 to 100 TagKeys. */
export const LIST_KEYS_LIMIT = 100
/** The per-key error code UpdateCostAllocationTagsStatus gives for a key Billing does not know. */
export const TAG_KEYS_NOT_FOUND = 'TagKeysNotFoundException'
/** A page loop that never ends is a broken endpoint. */
const MAX_PAGES = 1000

/** How long Billing may take to learn a new tag key, in words for messages. */
export const TAG_DISCOVERY_DELAY = 'up to 24 hours'

export const TAG_ACTIVATION_STATUSES = [
  'already-active',
  'activated',
  'would-activate',
  'not-known-yet',
  'failed',
] as const
export type TagActivationStatus = (typeof TAG_ACTIVATION_STATUSES)[number]

export interface TagKeyActivation {
  key: string
  status: TagActivationStatus
  /** The API's own reason for a key it refused (UpdateCostAllocationTagsStatus Errors). */
  reason?: {code: string; message: string}
  /** From ListCostAllocationTags: the last time the key was activated or deactivated. */
  lastUpdatedDate?: string
  /** From ListCostAllocationTags: the last month the key was used on a resource. */
  lastUsedDate?: string
}

export interface TagActivationResult {
  dryRun: boolean
  keys: TagKeyActivation[]
  counts: Record<TagActivationStatus, number>
  /** True when this run activated at least one key. */
  changed: boolean
  /** Every key is active now (or, in a dry run, would be). */
  complete: boolean
  /** Keys Billing does not know yet: run again later. */
  notKnownYet: string[]
  /** Billed Cost Explorer requests this run made (every page and every retry). */
  requests: number
  /** What they cost, $0.01 each: an exact decimal string. */
  requestsCostUsd: string
}

export interface TagActivationOptions extends CostExplorerOptions {
  dryRun: boolean
}

const PERMISSIONS = ['ce:ListCostAllocationTags', 'ce:UpdateCostAllocationTagsStatus'] as const

/**
 * Activates the given user-defined cost-allocation tag keys that Billing knows and that are not
 * active yet. Idempotent: keys already active cost one list request and no update. AWS failures
 * of a whole call (throttling past the attempts, access denied, unreachable) are exit 4 with the
 * requests already made; per-key refusals are results.
 */
export async function activateCostAllocationTags(
  keys: readonly string[],
  options: TagActivationOptions,
): Promise<TagActivationResult> {
  const wanted = [...new Set(keys)]
  const sdk = await import('@aws-sdk/client-cost-explorer')
  const {client, requests} = await costExplorerClient(options)
  const outcomes = new Map<string, TagKeyActivation>(
    wanted.map((key) => [key, {key, status: 'not-known-yet'} satisfies TagKeyActivation]),
  )
  try {
    for (const batch of chunks(wanted, LIST_KEYS_LIMIT)) {
      let token: string | undefined
      const seen = new Set<string>()
      for (let page = 0; page < MAX_PAGES; page++) {
        const response = await client.send(
          new sdk.ListCostAllocationTagsCommand({NextToken: token, TagKeys: batch, Type: 'UserDefined'}),
        )
        for (const tag of response.CostAllocationTags ?? []) {
          const outcome = tag.TagKey === undefined ? undefined : outcomes.get(tag.TagKey)
          if (!outcome) continue
          outcome.status = tag.Status === 'Active' ? 'already-active' : options.dryRun ? 'would-activate' : 'activated'
          if (tag.LastUpdatedDate) outcome.lastUpdatedDate = tag.LastUpdatedDate
          if (tag.LastUsedDate) outcome.lastUsedDate = tag.LastUsedDate
        }
        token = response.NextToken || undefined
        if (!token) break
        if (seen.has(token))
          throw new SeiketsuError('Cost Explorer returned the same NextToken twice; stopping', ExitCode.External, {
            code: 'AWS_PAGINATION',
            details: {requests: requests()},
          })
        seen.add(token)
      }
    }
    const inactive = [...outcomes.values()].filter((outcome) => outcome.status === 'activated')
    if (!options.dryRun)
      for (const batch of chunks(inactive, UPDATE_BATCH_LIMIT)) {
        const response = await client.send(
          new sdk.UpdateCostAllocationTagsStatusCommand({
            CostAllocationTagsStatus: batch.map((outcome) => ({Status: 'Active', TagKey: outcome.key})),
          }),
        )
        for (const error of response.Errors ?? []) {
          const outcome = error.TagKey === undefined ? undefined : outcomes.get(error.TagKey)
          if (!outcome) continue
          const code = error.Code ?? 'Error'
          outcome.status = code === TAG_KEYS_NOT_FOUND ? 'not-known-yet' : 'failed'
          outcome.reason = {code, message: error.Message ?? ''}
        }
      }
  } catch (error) {
    throw costExplorerError(error, requests(), options, PERMISSIONS)
  } finally {
    client.destroy()
  }
  const results = wanted.map((key) => outcomes.get(key)!)
  const counts = Object.fromEntries(TAG_ACTIVATION_STATUSES.map((status) => [status, 0])) as Record<
    TagActivationStatus,
    number
  >
  for (const outcome of results) counts[outcome.status]++
  const billed = requests()
  return {
    changed: counts.activated > 0,
    complete: counts['not-known-yet'] === 0 && counts.failed === 0,
    counts,
    dryRun: options.dryRun,
    keys: results,
    notKnownYet: results.filter((outcome) => outcome.status === 'not-known-yet').map((outcome) => outcome.key),
    requests: billed,
    requestsCostUsd: amountText(decimal(billed).times('0.01')),
  }
}

/**
 * The exit code of a run: 4 when a key failed, else 0. A key Billing does not know yet is not a
 * failure (nothing is wrong, it is early): the result says `complete: false` and names it, and the
 * command warns, so a scheduled job keeps running until every key is active.
 */
export function tagActivationExitCode(result: TagActivationResult): number {
  return result.counts.failed > 0 ? ExitCode.External : ExitCode.Ok
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let index = 0; index < items.length; index += size) out.push(items.slice(index, index + size))
  return out
}
