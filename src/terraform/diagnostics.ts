import {readFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

/**
 * The first error terraform reported, from its diagnostics on stderr: the summary line and, when
 * there is one, the first paragraph of explanation (skipping the source location and the
 * expression values). With -no-color terraform prints `Error: <summary>`; some versions and
 * wrappers frame diagnostics with `│`.
 */
export function firstTerraformError(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((line) => line.replace(/^[│╷╵|]\s?/, '').trimEnd())
  const start = lines.findIndex((line) => /^\s*Error: /.test(line))
  if (start === -1) return undefined
  const summary = lines[start]!.replace(/^\s*Error: /, '').trim()
  const paragraphs: string[][] = [[]]
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(Error|Warning): /.test(line) || /^\s*Lock Info:/.test(line)) break
    if (line.trim() === '') paragraphs.push([])
    else paragraphs.at(-1)!.push(line)
  }
  const explanation = paragraphs.find(
    (paragraph) => paragraph.length > 0 && !/^\s/.test(paragraph[0]!) && !paragraph.some((line) => /[├│]/.test(line)),
  )
  if (!explanation) return summary
  const text = explanation.join(' ').replace(/\s+/g, ' ').trim()
  return `${summary}: ${text.length > 300 ? `${text.slice(0, 297)}…` : text}`
}

/** The lock ID terraform printed when it could not take the state lock (`Lock Info:` / `ID:`). */
export function lockIdFrom(stderr: string): string | undefined {
  const at = stderr.indexOf('Lock Info:')
  return at === -1 ? undefined : /^[│|\s]*ID:\s+(\S+)/m.exec(stderr.slice(at))?.[1]
}

/** terraform's words for a saved plan whose state moved on (another apply, a refresh…). */
export function isStalePlanError(stderr: string): boolean {
  return /Saved plan is stale/i.test(stderr)
}

export interface StateLockHint {
  backend: 'local' | 's3'
  /** Where the state lives. */
  state: string
  /** The lock terraform holds on it, when seiketsu can tell (local backend: the .lock.info file). */
  lockId?: string
  /** What the operator runs once sure no terraform is running on the stack. */
  unlock: string
}

/**
 * Where a stack's state lock would be, read from the backend block of its cdk.tf.json: a local
 * state's `.<name>.lock.info` file (with the lock ID), or the S3 `<key>.tflock` object.
 */
export async function describeStateLock(
  stack: {dir: string; file: string},
  binary = 'terraform',
): Promise<StateLockHint> {
  let backend: Record<string, Record<string, unknown>> = {}
  try {
    const parsed = JSON.parse(await readFile(stack.file, 'utf8')) as {terraform?: {backend?: typeof backend}}
    backend = parsed.terraform?.backend ?? {}
  } catch {
    // No readable stack: describe the default local state.
  }
  const unlockCommand = (id: string) => `${binary} -chdir=${stack.dir} force-unlock ${id}`
  const s3 = backend.s3
  if (s3) {
    const state = `s3://${String(s3.bucket)}/${String(s3.key)}`
    return {backend: 's3', state, unlock: unlockCommand('<LOCK_ID from the .tflock object or the next plan>')}
  }
  const localPath = typeof backend.local?.path === 'string' ? backend.local.path : 'terraform.tfstate'
  const statePath = resolve(stack.dir, localPath)
  const lockInfo = join(dirname(statePath), `.${basename(statePath)}.lock.info`)
  let lockId: string | undefined
  try {
    const info = JSON.parse(await readFile(lockInfo, 'utf8')) as {ID?: unknown}
    if (typeof info.ID === 'string') lockId = info.ID
  } catch {
    // No lock file: the state is not locked (or terraform never got the lock).
  }
  return {backend: 'local', lockId, state: statePath, unlock: unlockCommand(lockId ?? '<LOCK_ID>')}
}
