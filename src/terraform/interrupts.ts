import type {LiveProcess, TerraformProcesses} from './processes.ts'
import type {StackScheduler} from './scheduler.ts'

export interface InterruptNotices {
  /** First interrupt: scheduling stopped, these children got their one SIGINT. */
  graceful?: (signalled: LiveProcess[]) => void
  /** Second interrupt: these children (and their process groups) were killed. */
  forced?: (killed: LiveProcess[]) => void
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Takes over Ctrl-C (and SIGTERM / SIGHUP from CI cancellation or a closed terminal) while stacks
 * run. First: stop scheduling and give each running terraform one SIGINT, then let them finish.
 * Second: kill them. Returns the function that gives the signals back.
 */
export function handleInterrupts(
  processes: TerraformProcesses,
  scheduler: StackScheduler,
  notices: InterruptNotices = {},
): () => void {
  let count = 0
  const onSignal = () => {
    count++
    if (count === 1) {
      scheduler.stop('interrupted')
      notices.graceful?.(processes.interrupt())
    } else {
      notices.forced?.(processes.forceKill())
    }
  }
  for (const name of SIGNALS) process.on(name, onSignal)
  return () => {
    for (const name of SIGNALS) process.removeListener(name, onSignal)
  }
}
