import type {ListrTask} from 'listr2'

import {chooseRenderer, runTasks} from '../ui/tasks.ts'
import {describeStateLock, type StateLockHint} from './diagnostics.ts'
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
  const restoreSignals = handleInterrupts(session.processes, scheduler, {
    forced: (processes) => {
      killed.push(...processes)
      options.notify?.(`Second interrupt: killed ${processes.length} terraform process(es).`)
    },
    graceful: (processes) =>
      options.notify?.(
        `Interrupted: no new stacks start; waiting for ${processes.length} running terraform process(es) to stop ` +
          'gracefully (each got one SIGINT). Press Ctrl-C again to kill them (their state locks may stay).',
      ),
  })
  const results = new Map<string, R>()
  const runOne = async (stack: TerraformStack, step: (name: string) => void): Promise<R> => {
    const outcome = await scheduler.run(() => work.run(stack, step), work.failed)
    const result = outcome.started ? outcome.value : work.notStarted(stack, outcome.reason)
    results.set(stack.id, result)
    return result
  }
  try {
    if (options.progress && stacks.length > 0) await runWithProgress(stacks, work, runOne, scheduler.concurrency)
    else await Promise.all(stacks.map((stack) => runOne(stack, () => {})))
  } finally {
    restoreSignals()
  }
  const lockedStates: LockedState[] = []
  for (const stack of stacks.filter((candidate) => killed.some((process) => process.stackId === candidate.id))) {
    const hint = await describeStateLock(stack, session.binary.requested)
    // A local state without a lock file is not locked; a remote lock cannot be seen from here.
    if (hint.backend !== 'local' || hint.lockId !== undefined) lockedStates.push({id: stack.id, ...hint})
  }
  return {
    interrupted: scheduler.stopReason === 'interrupted' || session.processes.interrupted,
    lockedStates,
    results: stacks.map((stack) => results.get(stack.id)!),
  }
}

async function runWithProgress<R>(
  stacks: readonly TerraformStack[],
  work: StackWork<R>,
  runOne: (stack: TerraformStack, step: (name: string) => void) => Promise<R>,
  concurrency: number,
): Promise<void> {
  // Steps (init, plan, show) show under the live row on a terminal; CI logs get one line per stack start and end.
  const live = chooseRenderer({json: false}) === 'default'
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
