import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {strFromU8, unzipSync} from 'fflate'

/** What identifies one snapshot of a terraform state: its lineage and serial, and what it holds. */
export interface StateMeta {
  lineage: string
  serial: number
  /** Resource instances in the state (managed and data), what a migration must carry over. */
  resources: number
  /**
   * sha256 of what the state holds (its resources with their instances, and its outputs), in a
   * canonical form: the same whatever terraform rewrote around it. A migration must keep it:
   * terraform gives a state a new lineage and serial when it leaves a local backend.
   */
  digest: string
  terraformVersion?: string
}

/** JSON with object keys sorted at every level, so that equal documents give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

/**
 * Reads a state document (state format v4, as `terraform state pull` prints it or a local backend
 * keeps it). Undefined for no state at all: an empty text (`state pull` of a local backend) or an
 * empty state without lineage (`state pull` of an S3 key that does not exist yet).
 */
export function stateMetaOf(text: string): StateMeta | undefined {
  if (text.trim() === '') return undefined
  const state = JSON.parse(text) as {
    lineage?: unknown
    serial?: unknown
    terraform_version?: unknown
    outputs?: unknown
    resources?: {instances?: unknown[]}[]
  }
  if (typeof state.lineage !== 'string' || typeof state.serial !== 'number')
    throw new Error('not a terraform state (no lineage or serial)')
  // What a remote backend answers for no state yet (S3: `state pull` prints an empty one).
  if (state.lineage === '' && (state.resources ?? []).length === 0) return undefined
  const key = (resource: Record<string, unknown>) =>
    [resource.module ?? '', resource.mode ?? '', resource.type ?? '', resource.name ?? ''].join('\u0000')
  const resources = [...((state.resources ?? []) as Record<string, unknown>[])].sort((a, b) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
  )
  return {
    digest: createHash('sha256')
      .update(canonical({outputs: state.outputs ?? {}, resources}))
      .digest('hex'),
    lineage: state.lineage,
    resources: (state.resources ?? []).reduce(
      (sum, resource) => sum + (Array.isArray(resource.instances) ? resource.instances.length : 0),
      0,
    ),
    serial: state.serial,
    ...(typeof state.terraform_version === 'string' ? {terraformVersion: state.terraform_version} : {}),
  }
}

/** A local state file's meta; undefined when there is no file (or it is empty). */
export async function readStateFile(path: string): Promise<StateMeta | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return stateMetaOf(text)
}

/** `lineage@serial`, how messages name a state snapshot. */
export function describeState(meta: StateMeta | undefined): string {
  return meta ? `lineage ${meta.lineage}, serial ${meta.serial}, ${meta.resources} resource instance(s)` : 'no state'
}

/**
 * The state a saved plan was made against (the `tfstate` entry of the plan file): terraform applies
 * the plan only to that lineage and serial. An empty lineage means the plan was made with no state.
 */
export async function planPriorState(planFile: string): Promise<{lineage: string; serial: number} | undefined> {
  const file = await readFile(planFile).catch(() => undefined)
  if (!file) return undefined
  try {
    // A plan file is a zip archive: `tfplan`, `tfstate` (the prior state), `tfconfig/…`.
    const entry = unzipSync(file, {filter: (candidate) => candidate.name === 'tfstate'}).tfstate
    if (!entry) return undefined
    const state = JSON.parse(strFromU8(entry)) as {lineage?: unknown; serial?: unknown}
    return {
      lineage: typeof state.lineage === 'string' ? state.lineage : '',
      serial: typeof state.serial === 'number' ? state.serial : 0,
    }
  } catch {
    return undefined
  }
}
