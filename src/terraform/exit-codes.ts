import {ExitCode} from '../errors.ts'

/** Stack failures that are refusals: the workspace needs a seiketsu command first (its message names it). */
const REFUSALS: ReadonlySet<string> = new Set(['BACKEND_CHANGED', 'STATE_NOT_BOOTSTRAPPED'])

export type PlanStatus = 'planned' | 'no-changes' | 'failed' | 'skipped' | 'interrupted'
export type ProvisionStatus = 'applied' | 'no-changes' | 'blocked' | 'failed' | 'skipped' | 'interrupted'

export interface PlanExitOptions {
  /** terraform's convention: 0 no changes, 2 changes present, 1 error. */
  detailedExitcode?: boolean
  /** Drift check: 2 when any stack differs from its configuration. */
  drift?: boolean
  /** The operator interrupted the run. */
  interrupted?: boolean
}

/**
 * The exit code of a fleet plan. An interrupt is 130 whatever else happened. With
 * --detailed-exitcode the stacks aggregate like terraform's codes with precedence 1 > 2 > 0 (any
 * error beats any change). Otherwise a terraform failure is 4 (the others were still planned), a
 * stack that another seiketsu run held (step `lock`) is 1, a stack refused until `seiketsu state
 * bootstrap` or `state migrate` has run is 2 (when that is every failure), and with --drift a stack
 * with changes is 2.
 */
export function planExitCode(
  results: readonly {status: PlanStatus; hasChanges: boolean; step?: string; code?: string}[],
  options: PlanExitOptions = {},
): number {
  if (options.interrupted || results.some((result) => result.status === 'interrupted')) return ExitCode.Interrupted
  const failed = results.filter((result) => result.status === 'failed')
  const changed = results.some((result) => result.hasChanges)
  if (options.detailedExitcode) return failed.length > 0 ? 1 : changed ? 2 : 0
  // Every failure a refusal naming the seiketsu command to run first (state bootstrap, state migrate): exit 2.
  if (failed.length > 0 && failed.every((result) => result.code !== undefined && REFUSALS.has(result.code)))
    return ExitCode.Usage
  if (failed.some((result) => result.step !== 'lock')) return ExitCode.External
  if (failed.length > 0) return ExitCode.Failure
  if (options.drift && changed) return 2
  return ExitCode.Ok
}

/** The exit code of a fleet apply: 130 interrupted, 4 a terraform failure, 3 a blocked destructive plan, else 0. */
export function provisionExitCode(results: readonly {status: ProvisionStatus}[], interrupted = false): number {
  const any = (status: ProvisionStatus) => results.some((result) => result.status === status)
  if (interrupted || any('interrupted')) return ExitCode.Interrupted
  if (any('failed')) return ExitCode.External
  if (any('blocked')) return ExitCode.Policy
  return ExitCode.Ok
}
