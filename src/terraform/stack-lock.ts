import {readFile, rm} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'

import lockfile from 'proper-lockfile'
import writeFileAtomic from 'write-file-atomic'

import {ExitCode, SeiketsuError} from '../errors.ts'

/** The seiketsu operations that work on a stack's folder (its saved plan, .terraform) and exclude each other. */
export type StackOperation = 'plan' | 'provision' | 'state migrate' | 'state bootstrap'

/** Who holds a stack, as the holder wrote it down (for the message of whoever finds it busy). */
export interface StackLockHolder {
  operation: StackOperation
  pid: number
  host: string
  since: string
}

export interface HeldStackLock {
  /** Lets the next plan or provision of this stack in; safe to call more than once. */
  release: () => Promise<void>
}

export type StackLockAttempt = {held: HeldStackLock} | {busy: StackLockHolder | undefined}

function stackLockPaths(stackDir: string) {
  return {holder: join(stackDir, '.seiketsu-lock.json'), lock: join(stackDir, '.seiketsu.lock')}
}

/**
 * Tries once to take a stack's inter-process lock: `plan` holds it while it replaces the saved
 * plan, `provision` from checking the saved plan until its apply has finished, so neither ever
 * sees the other's half-done work. Never waits: a busy stack is reported at once (an apply can
 * run for most of an hour, no useful wait is that long, and a provision that waited for a plan
 * would apply a plan nobody reviewed). A lock left by a killed process goes stale after 10 s
 * without its holder refreshing it and is taken over.
 */
export async function tryLockStack(stackDir: string, operation: StackOperation): Promise<StackLockAttempt> {
  const paths = stackLockPaths(stackDir)
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(stackDir, {
      lockfilePath: paths.lock,
      // A lost lock (taken over after this process stalled for 10 s) must not crash an apply in
      // flight: terraform's own state lock still guards the state.
      onCompromised: () => {},
      realpath: false,
      retries: 0,
      stale: 10_000,
      update: 2000,
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No folder, nothing in it to protect: the caller finds no stack there and says so.
    if (code === 'ENOENT') return {held: {release: async () => {}}}
    if (code !== 'ELOCKED') throw error
    return {busy: await readHolder(paths.holder)}
  }
  const holder: StackLockHolder = {host: hostname(), operation, pid: process.pid, since: new Date().toISOString()}
  await writeFileAtomic(paths.holder, `${JSON.stringify(holder)}\n`, {fsync: false})
  let released = false
  return {
    held: {
      async release() {
        if (released) return
        released = true
        await rm(paths.holder, {force: true})
        await release().catch(() => undefined)
      },
    },
  }
}

/** The sentence for a stack someone else holds: what runs on it, so the operator knows what to wait for. */
export function describeBusyStack(id: string, holder: StackLockHolder | undefined): string {
  if (!holder) return `${id} is in use by another seiketsu plan or provision`
  return `${id} is in use by seiketsu ${holder.operation} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
}

/**
 * Takes the locks of all these stacks or none: when any is busy, the ones taken are released and
 * the error (exit 1) names every busy stack.
 */
export async function lockStacks(
  stacks: readonly {id: string; dir: string}[],
  operation: StackOperation,
): Promise<HeldStackLock> {
  const attempts = await Promise.all(
    stacks.map(async (stack) => ({attempt: await tryLockStack(stack.dir, operation), id: stack.id})),
  )
  const held = attempts.flatMap(({attempt}) => ('held' in attempt ? [attempt.held] : []))
  const releaseAll = async () => {
    await Promise.all(held.map((lock) => lock.release()))
  }
  const busy = attempts.flatMap(({attempt, id}) => ('busy' in attempt ? [{holder: attempt.busy, id}] : []))
  if (busy.length > 0) {
    await releaseAll()
    throw new SeiketsuError(
      `Nothing was ${operation === 'provision' ? 'applied' : operation === 'plan' ? 'planned' : 'changed'}: ${busy.map(({holder, id}) => describeBusyStack(id, holder)).join('; ')}`,
      ExitCode.Failure,
      {
        code: 'STACK_BUSY',
        details: {stacks: busy.map(({holder, id}) => ({id, ...(holder ? {holder} : {})}))},
        suggestions: ['Wait for that run to finish, then try again.'],
      },
    )
  }
  return {release: releaseAll}
}

async function readHolder(file: string): Promise<StackLockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as StackLockHolder
    return typeof holder.operation === 'string' && typeof holder.pid === 'number' ? holder : undefined
  } catch {
    return undefined
  }
}
