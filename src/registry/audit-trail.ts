import {createHash} from 'node:crypto'
import {appendFile, mkdir, readFile} from 'node:fs/promises'
import {dirname} from 'node:path'

import {usageError} from '../errors.ts'

/** One registry change: who did what to which client, chained to the record before it. */
export interface TrailRecord {
  seq: number
  at: string
  actor: {osUser: string; git?: string}
  command: string
  client: string
  action: string
  change: Record<string, unknown>
  prev: string
  hash: string
}

export type TrailEntry = Omit<TrailRecord, 'seq' | 'prev' | 'hash'>

export const GENESIS_HASH = '0'.repeat(64)

/** A canonical JSON form (sorted keys) so the hash does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  return JSON.stringify(value)
}

export function hashRecord(record: Omit<TrailRecord, 'hash'>): string {
  return createHash('sha256').update(canonical(record)).digest('hex')
}

export async function readTrail(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/**
 * Where the next record attaches: the last record's hash and sequence. A last line that is not a
 * record (a merge conflict marker, a truncated write) is a usage error naming the file and line:
 * callers check this BEFORE changing anything, so that no change goes unrecorded.
 */
export async function trailHead(file: string): Promise<{prev: string; seq: number}> {
  const lines = await readTrail(file)
  const last = lines.at(-1)
  if (!last) return {prev: GENESIS_HASH, seq: 0}
  let parsed: Partial<TrailRecord> | undefined
  try {
    parsed = JSON.parse(last) as Partial<TrailRecord>
  } catch {
    parsed = undefined
  }
  if (!parsed || typeof parsed.hash !== 'string' || typeof parsed.seq !== 'number')
    throw usageError(
      `.seiketsu/audit-trail.jsonl:${lines.length}: the last line is not a trail record, so nothing more can be chained to it; nothing was changed`,
      {
        code: 'MALFORMED_FILE',
        suggestions: [
          'seiketsu audit trail --verify names the first bad record',
          'Restore the file from git (git checkout -- .seiketsu/audit-trail.jsonl) or resolve its merge conflict',
        ],
      },
    )
  return {prev: parsed.hash, seq: parsed.seq}
}

/** Appends records to the trail. Call it under the registry lock: the chain needs the last hash. */
export async function appendTrail(file: string, entries: TrailEntry[]): Promise<TrailRecord[]> {
  if (entries.length === 0) return []
  let {prev, seq} = await trailHead(file)
  const records: TrailRecord[] = []
  for (const entry of entries) {
    seq += 1
    const unhashed = {...entry, prev, seq}
    const record = {...unhashed, hash: hashRecord(unhashed)}
    records.push(record)
    prev = record.hash
  }
  await mkdir(dirname(file), {recursive: true})
  await appendFile(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''))
  return records
}

export interface TrailVerification {
  ok: boolean
  records: number
  /** The first record (1-based line) that breaks the chain, and why. */
  firstBad?: {line: number; seq?: number; reason: string}
}

/** Recomputes the chain: an edited, removed or reordered record breaks it at that record. */
export function verifyTrail(lines: string[]): TrailVerification {
  let prev = GENESIS_HASH
  for (const [index, line] of lines.entries()) {
    const lineNumber = index + 1
    let record: TrailRecord
    try {
      record = JSON.parse(line) as TrailRecord
    } catch {
      return {firstBad: {line: lineNumber, reason: 'not a JSON record'}, ok: false, records: lines.length}
    }
    const {hash, ...unhashed} = record
    if (record.seq !== index + 1)
      return {
        firstBad: {
          line: lineNumber,
          reason: `sequence ${record.seq} where ${index + 1} was expected (a record was removed or reordered)`,
          seq: record.seq,
        },
        ok: false,
        records: lines.length,
      }
    if (record.prev !== prev)
      return {
        firstBad: {
          line: lineNumber,
          reason: 'does not follow the record before it (a record was removed or reordered)',
          seq: record.seq,
        },
        ok: false,
        records: lines.length,
      }
    if (hashRecord(unhashed) !== hash)
      return {
        firstBad: {line: lineNumber, reason: 'its content does not match its hash (it was edited)', seq: record.seq},
        ok: false,
        records: lines.length,
      }
    prev = hash
  }
  return {ok: true, records: lines.length}
}
