import {readFile} from 'node:fs/promises'

import {configuredBackend, describeBackend, type BackendConfig} from './backends.ts'
import type {TerraformOutcome} from './processes.ts'

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

/** The lock terraform found on a state, as it prints it (`Lock Info:` with ID, Path, Operation, Who, Created). */
export interface LockInfo {
  id: string
  path?: string
  operation?: string
  who?: string
  created?: string
}

/** The lock terraform printed when it could not take the state lock. */
export function lockInfoFrom(stderr: string): LockInfo | undefined {
  const at = stderr.indexOf('Lock Info:')
  if (at === -1) return undefined
  const block = stderr.slice(at)
  const field = (name: string) => new RegExp(`^[│|\\s]*${name}:[ \\t]*(\\S[^\\n]*?)\\s*$`, 'm').exec(block)?.[1]
  const id = field('ID')
  if (!id) return undefined
  return {
    created: field('Created'),
    id,
    operation: field('Operation'),
    path: field('Path'),
    who: field('Who'),
  }
}

/** The lock ID terraform printed when it could not take the state lock (`Lock Info:` / `ID:`). */
export function lockIdFrom(stderr: string): string | undefined {
  return lockInfoFrom(stderr)?.id
}

/** terraform's words for a saved plan whose state moved on (another apply, another lineage…). */
export function isStalePlanError(stderr: string): boolean {
  return /Saved plan is stale/i.test(stderr)
}

/** Why an init failed, when seiketsu knows the command that fixes it. */
export type InitProblem =
  {code: 'BACKEND_CHANGED'} | {code: 'STATE_NOT_BOOTSTRAPPED'; bucket: string} | {code: 'PROVIDER_LOCK_MISMATCH'}

export function initProblemOf(stderr: string): InitProblem | undefined {
  const bucket = /S3 bucket "([^"]+)" does not exist/.exec(stderr)?.[1]
  if (bucket) return {bucket, code: 'STATE_NOT_BOOTSTRAPPED'}
  if (/Backend configuration changed/.test(stderr)) return {code: 'BACKEND_CHANGED'}
  if (/does not match configured version constraint/.test(stderr)) return {code: 'PROVIDER_LOCK_MISMATCH'}
  return undefined
}

/** The sentence (with the command that fixes it) for an init problem of one stack. */
export function describeInitProblem(problem: InitProblem, stackId: string): string {
  switch (problem.code) {
    case 'STATE_NOT_BOOTSTRAPPED': {
      return `the state bucket ${problem.bucket} does not exist yet: run seiketsu state bootstrap (the platform stack's first apply on local state, then the move of that state into the bucket it created), then plan again`
    }
    case 'BACKEND_CHANGED': {
      return `its backend changed (seiketsu.yaml state: another backend, bucket, key prefix, region or endpoint) and terraform will not guess what to do with the state: run seiketsu state migrate ${stackId}, which moves it and checks it arrived whole`
    }
    default: {
      return 'its dependency lock file names a provider version its configuration no longer allows (a provider pin changed)'
    }
  }
}

/** Where a stack's state lives and the S3 lock object, read from the backend block of its cdk.tf.json. */
export async function stackBackendOf(stack: {file: string}): Promise<BackendConfig> {
  try {
    return configuredBackend(JSON.parse(await readFile(stack.file, 'utf8')))
  } catch {
    return {config: {}, type: 'local'}
  }
}

export interface StateLockHint {
  backend: string
  /** Where the state lives. */
  state: string
  /** The lock terraform holds on it (what terraform itself reports). */
  lockId?: string
  /** The S3 lock object (`use_lockfile`): `s3://bucket/<key>.tflock`. */
  lockObject?: string
  /** Who took the lock and when, as terraform recorded it. */
  holder?: {who?: string; operation?: string; created?: string}
  /** What is true to do about it. */
  advice: string
  /** The command that removes the lock, when one does (never for local state). */
  unlock?: string
}

/**
 * The advice that is true for a state that a killed (or still running) terraform may hold. A local
 * state's lock is an fcntl lock: the kernel released it when the process died, `force-unlock`
 * cannot unlock local state, and the `.lock.info` file left beside it is harmless (the next run
 * takes the lock and rewrites it): nothing to do. An S3 state with `use_lockfile` stays locked by
 * its `<key>.tflock` object until someone removes it, which `force-unlock -force <ID>` does.
 */
export function lockHintFor(
  backend: BackendConfig,
  stack: {dir: string},
  lock: LockInfo | undefined,
  binary = 'terraform',
): StateLockHint {
  const state = describeBackend(backend, stack.dir)
  const holder = lock ? {created: lock.created, operation: lock.operation, who: lock.who} : undefined
  if (backend.type === 'local')
    return {
      advice: lock
        ? 'another terraform process on this machine is running on this state; wait for it to finish (a local state lock is released by the kernel when its process ends; force-unlock cannot unlock local state)'
        : 'nothing to do: a local state lock is an fcntl lock the kernel released when terraform ended; a .lock.info file left beside the state is harmless',
      backend: backend.type,
      state,
      ...(lock ? {holder, lockId: lock.id} : {}),
    }
  const lockObject = backend.type === 's3' ? `${state}.tflock` : undefined
  if (!lock)
    return {
      advice: 'not locked: terraform released the lock before it ended',
      backend: backend.type,
      state,
      ...(lockObject ? {lockObject} : {}),
    }
  const unlock = `${binary} -chdir=${stack.dir} force-unlock -force ${lock.id}`
  return {
    advice: `${lockObject ? `the lock object ${lockObject}` : 'the state lock'} (ID ${lock.id}${lock.who ? `, taken by ${lock.who}` : ''}${lock.created ? ` at ${lock.created}` : ''}) stays until removed; once sure no terraform runs on this stack: ${unlock}`,
    backend: backend.type,
    holder,
    lockId: lock.id,
    state,
    unlock,
    ...(lockObject ? {lockObject} : {}),
  }
}

/** One line for a terraform step that failed: terraform's first error, the lock it met, and its log. */
export function failureMessage(step: string, outcome: TerraformOutcome, log: string): string {
  if (outcome.spawnError) return `${step}: could not start terraform (${outcome.spawnError})`
  const how = outcome.exitCode === undefined ? `killed by ${outcome.signal ?? 'a signal'}` : `exit ${outcome.exitCode}`
  const lock = lockInfoFrom(outcome.stderr)
  const reason = firstTerraformError(outcome.stderr) ?? how
  const holder = lock
    ? ` (state lock ID ${lock.id}${lock.who ? `, held by ${lock.who}` : ''}${lock.operation ? ` for ${lock.operation.replace(/^OperationType/, '').toLowerCase()}` : ''}${lock.created ? ` since ${lock.created}` : ''}${lock.path ? ` on ${lock.path}` : ''})`
    : ''
  return `${step} failed: ${reason}${holder} — see ${log}`
}
