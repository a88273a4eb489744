import {awsJsonError, type AwsReply, type JsonHandler} from './protocol.ts'

/**
 * Cost Explorer's GetCostAndUsage for the JSON 1.1 loopback server (startJsonService): a month of
 * costs per linked account (or per seiketsu:client tag value) served in pages, the way AWS does —
 * ResultsByTime with Groups, Estimated, DimensionValueAttributes and NextPageToken — plus scripted
 * errors. Amounts are strings, as on the wire.
 */
export interface CostGroupFixture {
  /** An account id, or the tag value when grouping by tag ('' for untagged costs). */
  key: string
  amount: string
  name?: string
}

export interface CostExplorerScript {
  groups: CostGroupFixture[]
  pageSize: number
  estimated?: boolean
  /** Errors to answer instead, by call number (1-based, retries count). */
  errors?: Record<number, {type: string; message: string}>
  /** Answer every call with this error. */
  alwaysError?: {type: string; message: string}
}

export function getCostAndUsage(script: CostExplorerScript): JsonHandler {
  let callNumber = 0
  return (body): AwsReply => {
    callNumber++
    const scripted = script.alwaysError ?? script.errors?.[callNumber]
    if (scripted) return awsJsonError(scripted.type, scripted.message)
    const groupBy = (body.GroupBy as {Type: string; Key: string}[] | undefined)?.[0]
    const metric = (body.Metrics as string[])[0]!
    const period = body.TimePeriod as {Start: string; End: string}
    if (body.Granularity !== 'MONTHLY' || !groupBy || !metric || !period?.Start)
      return awsJsonError('ValidationException', 'Granularity, GroupBy, Metrics and TimePeriod are required')
    const token = body.NextPageToken as string | undefined
    const start = token ? Number(token.replace('page-', '')) : 0
    if (token && !/^page-\d+$/.test(token)) return awsJsonError('InvalidNextTokenException', 'The token is invalid')
    const page = script.groups.slice(start, start + script.pageSize)
    const next = start + script.pageSize < script.groups.length ? `page-${start + script.pageSize}` : undefined
    const byTag = groupBy.Type === 'TAG'
    return {
      body: {
        DimensionValueAttributes: byTag
          ? []
          : page
              .filter((group) => group.name)
              .map((group) => ({Attributes: {description: group.name}, Value: group.key})),
        GroupDefinitions: [groupBy],
        ...(next ? {NextPageToken: next} : {}),
        ResultsByTime: [
          {
            Estimated: script.estimated ?? false,
            Groups: page.map((group) => ({
              Keys: [byTag ? `${groupBy.Key}$${group.key}` : group.key],
              Metrics: {[metric]: {Amount: group.amount, Unit: 'USD'}},
            })),
            TimePeriod: period,
            Total: {},
          },
        ],
      },
    }
  }
}

/** `count` linked accounts with amounts; account i is 3000000000 + i (12 digits). */
export function manyAccounts(count: number): CostGroupFixture[] {
  return Array.from({length: count}, (_, index) => ({
    amount: `${100 + (index % 900)}.${String(index % 100).padStart(2, '0')}37`,
    key: String(300_000_000_000 + index),
    name: `client-${index}`,
  }))
}

export interface FakeCostAllocationTag {
  key: string
  type: 'UserDefined' | 'AWSGenerated'
  status: 'Active' | 'Inactive'
  lastUpdatedDate?: string
  lastUsedDate?: string
}

/**
 * Cost Explorer's cost-allocation tag operations, stateful, as AWS answers them:
 * - ListCostAllocationTags filters by TagKeys (1-100), Type and Status, pages with an opaque
 *   NextToken (MaxResults 1-1000, default 100; `pageSize` caps a page the way a service may),
 *   and simply leaves out keys Billing does not know (no error).
 * - UpdateCostAllocationTagsStatus takes 1-20 entries (ValidationException otherwise), sets each
 *   known key, leaves an already-set key alone, and answers HTTP 200 with a per-key
 *   `{TagKey, Code: "TagKeysNotFoundException", Message}` in `Errors` for a key Billing does not
 *   know (the documented example response).
 * - Throttling and other errors on demand: `throttle(n)` answers the next n calls with
 *   LimitExceededException (HTTP 400), `keyErrors` refuses a key with another per-key error.
 */
export class FakeCostAllocationTags {
  readonly tags: FakeCostAllocationTag[] = []
  /** Per-key refusals of UpdateCostAllocationTagsStatus (other than not-found), by tag key. */
  readonly keyErrors = new Map<string, {code: string; message: string}>()
  /** The most a page holds, whatever MaxResults asks. */
  pageSize = 100
  private throttled = 0
  now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

  /** Billing has seen a tagged resource with this key (Inactive until activated). */
  learn(key: string, status: 'Active' | 'Inactive' = 'Inactive', type: FakeCostAllocationTag['type'] = 'UserDefined') {
    this.tags.push({key, lastUsedDate: '2026-01-01T00:00:00Z', status, type})
  }

  tag(key: string): FakeCostAllocationTag | undefined {
    return this.tags.find((tag) => tag.key === key)
  }

  throttle(calls: number): void {
    this.throttled += calls
  }

  handlers(): Record<string, JsonHandler> {
    return {
      ListCostAllocationTags: (body) => this.throttledReply() ?? this.list(body),
      UpdateCostAllocationTagsStatus: (body) => this.throttledReply() ?? this.update(body),
    }
  }

  private throttledReply(): AwsReply | undefined {
    if (this.throttled <= 0) return undefined
    this.throttled--
    return awsJsonError('LimitExceededException', 'You have exceeded the rate limit for this API.')
  }

  private list(body: Record<string, unknown>): AwsReply {
    const keys = body.TagKeys as string[] | undefined
    const max = (body.MaxResults as number | undefined) ?? 100
    if (keys !== undefined && (keys.length < 1 || keys.length > 100))
      return awsJsonError('ValidationException', 'TagKeys must have between 1 and 100 items.')
    if (max < 1 || max > 1000) return awsJsonError('ValidationException', 'MaxResults must be between 1 and 1000.')
    if (body.Type !== undefined && !['UserDefined', 'AWSGenerated'].includes(body.Type as string))
      return awsJsonError('ValidationException', `Invalid Type ${String(body.Type)}`)
    if (body.Status !== undefined && !['Active', 'Inactive'].includes(body.Status as string))
      return awsJsonError('ValidationException', `Invalid Status ${String(body.Status)}`)
    const token = body.NextToken as string | undefined
    const match = token === undefined ? undefined : /^tags-(\d+)$/.exec(token)
    if (token !== undefined && !match)
      return awsJsonError('InvalidNextTokenException', 'The pagination token is invalid.')
    const matching = this.tags.filter(
      (tag) =>
        (keys === undefined || keys.includes(tag.key)) &&
        (body.Type === undefined || tag.type === body.Type) &&
        (body.Status === undefined || tag.status === body.Status),
    )
    const start = match ? Number(match[1]) : 0
    const size = Math.min(max, this.pageSize)
    const page = matching.slice(start, start + size)
    return {
      body: {
        CostAllocationTags: page.map((tag) => ({
          LastUpdatedDate: tag.lastUpdatedDate,
          LastUsedDate: tag.lastUsedDate,
          Status: tag.status,
          TagKey: tag.key,
          Type: tag.type,
        })),
        ...(start + size < matching.length ? {NextToken: `tags-${start + size}`} : {}),
      },
    }
  }

  private update(body: Record<string, unknown>): AwsReply {
    const entries = (body.CostAllocationTagsStatus as {TagKey: string; Status: string}[] | undefined) ?? []
    if (entries.length < 1 || entries.length > 20)
      return awsJsonError(
        'ValidationException',
        `1 validation error detected: Value at 'costAllocationTagsStatus' failed to satisfy constraint: Member must have length less than or equal to 20`,
      )
    const errors: {TagKey: string; Code: string; Message: string}[] = []
    for (const entry of entries) {
      if (!['Active', 'Inactive'].includes(entry.Status))
        return awsJsonError('ValidationException', `Invalid Status ${entry.Status}`)
      const refused = this.keyErrors.get(entry.TagKey)
      const tag = this.tag(entry.TagKey)
      if (refused) errors.push({Code: refused.code, Message: refused.message, TagKey: entry.TagKey})
      else if (!tag)
        errors.push({
          Code: 'TagKeysNotFoundException',
          Message: `Failed to update Cost Allocation Tag: ${entry.TagKey}`,
          TagKey: entry.TagKey,
        })
      else if (tag.status !== entry.Status) {
        tag.status = entry.Status as FakeCostAllocationTag['status']
        tag.lastUpdatedDate = this.now()
      }
    }
    return {body: {Errors: errors}}
  }
}
