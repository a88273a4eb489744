import type {ListrTask} from 'listr2'

import {detectTerminal, type RendererName} from './terminal.ts'

export interface TaskListOptions<Ctx> {
  json: boolean
  ctx?: Ctx
  /** How many tasks run at once; a number, never "unlimited". */
  concurrent?: number
  /** Stop at the first failure (true) or run every task and collect the failures (false). */
  exitOnError?: boolean
}

/**
 * Runs a listr2 task list with the renderer the terminal calls for. listr2 is imported here, lazily, so that
 * commands that never show progress do not pay for it. Signal handling stays with the caller.
 */
export async function runTasks<Ctx extends object>(
  tasks: ListrTask<Ctx>[],
  options: TaskListOptions<Ctx>,
): Promise<Ctx> {
  const {Listr} = await import('listr2')
  const {renderer} = detectTerminal({json: options.json})
  const list = new Listr<Ctx, RendererName, RendererName>(tasks, {
    collectErrors: options.exitOnError === false,
    concurrent: options.concurrent ?? false,
    ctx: options.ctx,
    exitOnError: options.exitOnError ?? true,
    fallbackRenderer: 'simple',
    registerSignalListeners: false,
    renderer,
    // The command reports a failure once, as its error (or its summary table); not a second time here.
    rendererOptions: {collapseErrors: false, showErrorMessage: false},
  })
  return list.run()
}
