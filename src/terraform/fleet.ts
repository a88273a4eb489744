import type {ListrTask} from 'listr2'

import {runTasks} from '../ui/tasks.ts'
import {detectTerminal} from '../ui/terminal.ts'
import {lockHintFor, stackBackendOf, type StateLockHint} from './diagnostics.ts'
import {handleInterrupts} from './interrupts.ts'
import type {LiveProcess} from './processes.ts'
import {StackScheduler, type StopReason} from './scheduler.ts'
import type {TerraformSession, TerraformStack} from './session.ts'

export const DEFAULT_CONCURRENCY = 4

/** How a fleet run is driven and shown. */
export interface FleetOptions {
  /** Stacks at once (default 4). Never more terraform processes than this run at the same time. */
  concurrency?: number
  /** Stop starting new stacks after the first failure (default: continue and report). */
  failFast?: boolean
  /** Show a listr2 list, one row per stack (a terminal list, plain lines in CI). Off under --json. */
  progress?: boolean
  /** Human notices while running (interrupt acknowledgements); the command routes them to stderr. */
  notify?: (message: string) => void
}

/** A state whose terraform was killed: it may still hold its lock. */
export interface LockedState extends StateLockHint {
  id: string
}

export interface StackRun<R> {
  results: R[]
  interrupted: boolean
  /** States that may still be locked because their terraform was killed (second Ctrl-C). */
  lockedStates: LockedState[]
}

export interface StackWork<R> {
  /** Does the stack's terraform work; `step` names the current step for the progress row. */
  run: (stack: TerraformStack, step: (name: string) => void) => Promise<R>
  /** The result of a stack that never started (fail-fast or interrupt). */
  notStarted: (stack: TerraformStack, reason: StopReason) => R
  failed: (result: R) => boolean
  skipped: (result: R) => boolean
  /** The progress row's final title. */
  title: (result: R) => string
  /**
   * The stack of this run that must be done first (a client stack's bootstrap stack), and what this
   * stack's result is instead of running when that one's result rules it out (undefined: run it).
   */
  prerequisite?: {
    of: (stack: TerraformStack) => string | undefined
    instead: (stack: TerraformStack, before: R) => R | undefined
  }
}

/**
 * Runs `work` over the stacks with the bounded scheduler, interrupt handling and (optionally) a
 * listr2 list. Results come back in the order of `stacks`, whatever order they finished in.
 */
export async function runOverStacks<R>(
  session: TerraformSession,
  stacks: readonly TerraformStack[],
  work: StackWork<R>,
  options: FleetOptions = {},
): Promise<StackRun<R>> {
  const scheduler = new StackScheduler({
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    failFast: options.failFast,
  })
  const killed: LiveProcess[] = []
  const restoreSignals = handleInterrupts(session.processes, scheduler, interruptNotices(options, killed))
  const results = new Map<string, R>()
  // Each stack's result as a promise, for the stacks that wait for it (before taking a slot, so a
  // waiting stack never holds one: the prerequisites, earlier in the list, always get theirs).
  const settled = new Map(stacks.map((stack) => [stack.id, deferred<R>()]))
  const runOne = async (stack: TerraformStack, step: (name: string) => void): Promise<R> => {
    const prerequisite = work.prerequisite?.of(stack)
    const before = prerequisite === undefined ? undefined : await settled.get(prerequisite)?.promise
    const instead = before === undefined ? undefined : work.prerequisite!.instead(stack, before)
    const outcome = instead ? undefined : await scheduler.run(() => work.run(stack, step), work.failed)
    const result = instead ?? (outcome!.started ? outcome!.value : work.notStarted(stack, outcome!.reason))
    results.set(stack.id, result)
    settled.get(stack.id)!.resolve(result)
    return result
  }
  try {
    if (options.progress && stacks.length > 0) await runWithProgress(stacks, work, runOne, scheduler.concurrency)
    else await Promise.all(stacks.map((stack) => runOne(stack, () => {})))
  } finally {
    restoreSignals()
  }
  return {
    interrupted: scheduler.stopReason === 'interrupted' || session.processes.interrupted,
    lockedStates: await lockedStatesOf(
      session,
      stacks.filter((candidate) => killed.some((process) => process.stackId === candidate.id)),
    ),
    results: stacks.map((stack) => results.get(stack.id)!),
  }
}

/** What the operator hears while a run is interrupted (on stderr; nothing under --json). */
export function interruptNotices(options: {notify?: (message: string) => void}, killed: LiveProcess[] = []) {
  return {
    forced: (processes: LiveProcess[]) => {
      killed.push(...processes)
      options.notify?.(`Second interrupt: killed ${processes.length} terraform process(es).`)
    },
    graceful: (processes: LiveProcess[], signal: NodeJS.Signals) =>
      options.notify?.(
        `Interrupted (${signal}): no new stacks start; waiting for ${processes.length} running terraform process(es) to stop ` +
          'gracefully (each got one SIGINT) and release their state locks. Press Ctrl-C again to kill them (an S3 lock would then stay).',
      ),
    ignored: (signal: NodeJS.Signals) =>
      options.notify?.(`${signal} received: terraform is already stopping gracefully; only a second Ctrl-C kills it.`),
  }
}

/**
 * The states of killed stacks that terraform still finds locked, with the advice true for each
 * backend (see lockHintFor): asked of terraform itself (probeStateLock), never guessed from files. A
 * local state is never among them (the kernel released its lock with the process).
 */
async function lockedStatesOf(session: TerraformSession, stacks: readonly TerraformStack[]): Promise<LockedState[]> {
  const states = await Promise.all(
    stacks.map(async (stack): Promise<LockedState | undefined> => {
      const backend = await stackBackendOf(stack)
      if (backend.type === 'local') return undefined
      const probe = await session.probeStateLock(stack)
      if (probe.lock) return {id: stack.id, ...lockHintFor(backend, stack, probe.lock, session.binary.requested)}
      if (!probe.unknown) return undefined
      return {
        id: stack.id,
        ...lockHintFor(backend, stack, undefined, session.binary.requested),
        advice: `terraform could not tell whether it is still locked (${probe.unknown}); the next plan of ${stack.id} names the lock (Lock Info: ID) if it is, and ${session.binary.requested} -chdir=${stack.dir} force-unlock -force <ID> removes it once sure nothing runs on it`,
      }
    }),
  )
  return states.filter((state): state is LockedState => state !== undefined)
}

async function runWithProgress<R>(
  stacks: readonly TerraformStack[],
  work: StackWork<R>,
  runOne: (stack: TerraformStack, step: (name: string) => void) => Promise<R>,
  concurrency: number,
): Promise<void> {
  // Steps (init, plan, show) show under the live row on a terminal; CI logs get one line per stack start and end.
  const live = detectTerminal({json: false}).renderer === 'default'
  const tasks: ListrTask<object>[] = stacks.map((stack) => ({
    task: async (_, task) => {
      const result = await runOne(stack, (name) => {
        if (live) task.output = name
      })
      if (work.skipped(result)) return task.skip(work.title(result))
      task.title = work.title(result)
      if (work.failed(result)) throw new Error(work.title(result))
    },
    title: stack.id,
  }))
  // listr2 starts rows as slots free up, with the same bound as the scheduler: a row runs when its stack does.
  await runTasks(tasks, {concurrent: concurrency, exitOnError: false, json: false})
}

/** A promise and the function that resolves it. */
function deferred<T>(): {promise: Promise<T>; resolve: (value: T) => void} {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => (resolve = done))
  return {promise, resolve}
}
