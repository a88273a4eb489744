import type {LiveProcess, TerraformProcesses} from './processes.ts'

export interface InterruptNotices {
  /** First interrupt: scheduling stopped, these children got their one SIGINT. */
  graceful?: (signalled: LiveProcess[], signal: NodeJS.Signals) => void
  /** A second Ctrl-C: these children (and their process groups) were killed. */
  forced?: (killed: LiveProcess[]) => void
  /** A SIGTERM or SIGHUP after the first interrupt: ignored, the graceful stop goes on. */
  ignored?: (signal: NodeJS.Signals) => void
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Takes over Ctrl-C (and SIGTERM / SIGHUP from CI cancellation or a closed terminal) while stacks
 * run. The first signal of any of them: stop scheduling and give each running terraform exactly one
 * SIGINT, keep reading its output, and let it finish (terraform then saves state and releases its
 * lock, an S3 lock object included). Only a second Ctrl-C (SIGINT) kills them: a CI runner that
 * cancels a job sends SIGINT, then SIGTERM a few seconds later, then kills; escalating on that
 * SIGTERM would kill terraform in the middle of its graceful stop and leave the S3 lock behind, so
 * SIGTERM and SIGHUP never escalate. Returns the function that gives the signals back.
 */
export function handleInterrupts(
  processes: TerraformProcesses,
  scheduler: {stop: (reason: 'interrupted') => void} | undefined,
  notices: InterruptNotices = {},
): () => void {
  let count = 0
  const onSignal = (signal: NodeJS.Signals) => {
    count++
    if (count === 1) {
      scheduler?.stop('interrupted')
      notices.graceful?.(processes.interrupt(), signal)
    } else if (signal === 'SIGINT') notices.forced?.(processes.forceKill())
    else notices.ignored?.(signal)
  }
  for (const name of SIGNALS) process.on(name, onSignal)
  return () => {
    for (const name of SIGNALS) process.removeListener(name, onSignal)
  }
}
