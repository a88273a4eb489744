import {createHash} from 'node:crypto'
import {open, readFile} from 'node:fs/promises'
import {inflateRawSync} from 'node:zlib'

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
 * One entry of a zip archive (a terraform plan file is one: `tfplan`, `tfstate`, `tfconfig/…`),
 * read from its central directory; stored and deflated entries. Undefined when there is no such
 * entry or the file is not a zip.
 */
export async function readZipEntry(file: string, name: string): Promise<Buffer | undefined> {
  const handle = await open(file, 'r')
  try {
    const size = (await handle.stat()).size
    const tailLength = Math.min(size, 65_557)
    const tail = Buffer.alloc(tailLength)
    await handle.read(tail, 0, tailLength, size - tailLength)
    const end = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
    if (end === -1) return undefined
    const entries = tail.readUInt16LE(end + 10)
    const directorySize = tail.readUInt32LE(end + 12)
    const directoryOffset = tail.readUInt32LE(end + 16)
    const directory = Buffer.alloc(directorySize)
    await handle.read(directory, 0, directorySize, directoryOffset)
    let offset = 0
    for (let index = 0; index < entries; index++) {
      if (directory.readUInt32LE(offset) !== 0x02_01_4b_50) return undefined
      const method = directory.readUInt16LE(offset + 10)
      const compressedSize = directory.readUInt32LE(offset + 20)
      const nameLength = directory.readUInt16LE(offset + 28)
      const extraLength = directory.readUInt16LE(offset + 30)
      const commentLength = directory.readUInt16LE(offset + 32)
      const localOffset = directory.readUInt32LE(offset + 42)
      const entryName = directory.subarray(offset + 46, offset + 46 + nameLength).toString('utf8')
      offset += 46 + nameLength + extraLength + commentLength
      if (entryName !== name) continue
      const local = Buffer.alloc(30)
      await handle.read(local, 0, 30, localOffset)
      const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
      const data = Buffer.alloc(compressedSize)
      await handle.read(data, 0, compressedSize, dataOffset)
      if (method === 0) return data
      if (method === 8) return inflateRawSync(data)
      return undefined
    }
    return undefined
  } finally {
    await handle.close()
  }
}

/**
 * The state a saved plan was made against (the `tfstate` entry of the plan file): terraform applies
 * the plan only to that lineage and serial. An empty lineage means the plan was made with no state.
 */
export async function planPriorState(planFile: string): Promise<{lineage: string; serial: number} | undefined> {
  const entry = await readZipEntry(planFile, 'tfstate').catch(() => undefined)
  if (!entry) return undefined
  try {
    const state = JSON.parse(entry.toString('utf8')) as {lineage?: unknown; serial?: unknown}
    return {
      lineage: typeof state.lineage === 'string' ? state.lineage : '',
      serial: typeof state.serial === 'number' ? state.serial : 0,
    }
  } catch {
    return undefined
  }
}
