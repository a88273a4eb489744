import {usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import type {ClientManifest, ClientStatus} from '../registry/manifest.ts'
import type {Registry} from '../registry/registry.ts'

export interface Shard {
  /** 1-based: shard K of N. */
  index: number
  count: number
}

/** Parses `K/N` (1 ≤ K ≤ N); anything else is exit 2. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = match ? Number(match[1]) : Number.NaN
  const count = match ? Number(match[2]) : Number.NaN
  if (!match || count < 1 || index < 1 || index > count)
    throw usageError(`shard ${text}: expected K/N with 1 ≤ K ≤ N, e.g. 2/4`, {
      code: 'INVALID_SHARD',
      input: 'shard',
      suggestions: ['In a CI matrix of N runners, runner K (counting from 1) passes --shard K/N'],
    })
  return {count, index}
}

/**
 * The items of shard K/N: sorted by id, then dealt round-robin. Every item lands in exactly one
 * shard, the shards differ in size by at most one, and the split depends only on the set of ids
 * (not on the order they were given in), so N runners at the same commit cover the fleet once.
 */
export function selectShard<T extends {id: string}>(items: readonly T[], shard: Shard): T[] {
  return [...items]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((_, position) => position % shard.count === shard.index - 1)
}

/**
 * The stacks named on the command line: client ids, and `platform` for the management-account
 * stack. Only `platform` selects no client at all; no ids select every client (default statuses).
 */
export function selectStacks(
  registry: Registry,
  argv: readonly string[],
  defaultStatuses?: readonly ClientStatus[],
): {clients: ClientManifest[]; platform: boolean} {
  const platform = argv.includes(PLATFORM_STACK_ID)
  const ids = argv.filter((id) => id !== PLATFORM_STACK_ID)
  if (platform && ids.length === 0) return {clients: [], platform}
  return {clients: [...registry.select(ids, defaultStatuses)], platform}
}
