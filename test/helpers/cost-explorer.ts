import {awsJsonError, type AwsReply, type JsonHandler} from './aws-loopback.ts'

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
