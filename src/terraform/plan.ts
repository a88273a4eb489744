import {createHash} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import {performance} from 'node:perf_hooks'

import {noDomainWarning, stacksWithoutDomain} from './certificate-domain.ts'
import {firstTerraformError, lockIdFrom} from './diagnostics.ts'
import {planExitCode, type PlanExitOptions, type PlanStatus} from './exit-codes.ts'
import {DEFAULT_CONCURRENCY, runOverStacks, type FleetOptions, type LockedState, type StackWork} from './fleet.ts'
import {providerFingerprint} from './init-gate.ts'
import {planFilesOf, removeRunPlanFiles, removeSavedPlan, sha256File, writePlanRecord} from './plan-files.ts'
import {summarizePlan, type PlanSummary, type ResourceChange} from './plan-summary.ts'
import type {TerraformOutcome} from './processes.ts'
import type {TerraformSession, TerraformStack} from './session.ts'
import {describeBusyStack, tryLockStack} from './stack-lock.ts'

export type PlanStep = 'lock' | 'stack' | 'init' | 'plan' | 'show'

/** One stack's plan, as `seiketsu plan --json` reports it. */
export interface StackPlanResult {
  id: string
  kind: TerraformStack['kind']
  status: PlanStatus
  add: number
  change: number
  replace: number
  destroy: number
  forget: number
  /** Addresses of destructive changes (a delete or replace of a stateful resource). */
  destructive: string[]
  /** Something to apply (terraform's -detailed-exitcode 2). */
  hasChanges: boolean
  /** Resources terraform found changed outside of it (`resource_drift`). */
  drift: string[]
  /** Every resource change with its actions (and terraform's reason for replacements). */
  changes: ResourceChange[]
  /** The saved plan `seiketsu provision` applies. */
  planFile?: string
  /** terraform's output for this stack. */
  log: string
  /** Why the stack failed (or was skipped). */
  error?: string
  /** The step that failed. */
  step?: PlanStep
  durationMs: number
}

export interface PlanRun {
  clients: StackPlanResult[]
  /** What the operator should fix before provisioning (e.g. a certificate that can never be validated). */
  warnings: string[]
  exitCode: number
  interrupted: boolean
  lockedStates: LockedState[]
  terraform: {path: string; version: string; flavor: string}
  concurrency: number
}

export type PlanOptions = FleetOptions & Omit<PlanExitOptions, 'interrupted'>

/**
 * Plans every stack: `init` (through the init gate), `plan -out=<stable path> -detailed-exitcode`,
 * `show -json` of that file, then the summary and the sidecar record `provision` checks. Failures
 * are reported per stack; the others still plan (unless --fail-fast).
 */
export async function planStacks(
  session: TerraformSession,
  stacks: readonly TerraformStack[],
  options: PlanOptions = {},
): Promise<PlanRun> {
  const work: StackWork<StackPlanResult> = {
    failed: (result) => result.status === 'failed',
    notStarted: (stack, reason) => ({
      ...emptyResult(stack),
      durationMs: 0,
      error: reason === 'fail-fast' ? 'not started: an earlier stack failed (--fail-fast)' : 'not started: interrupted',
      status: 'skipped',
    }),
    run: (stack, step) => planStack(session, stack, step),
    skipped: (result) => result.status === 'skipped',
    title: (result) => planTitle(result),
  }
  const warnings = (await stacksWithoutDomain(stacks)).map((stack) => noDomainWarning(stack))
  const run = await runOverStacks(session, stacks, work, options)
  return {
    clients: run.results,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    exitCode: planExitCode(run.results, {...options, interrupted: run.interrupted}),
    interrupted: run.interrupted,
    lockedStates: run.lockedStates,
    terraform: {flavor: session.binary.flavor, path: session.binary.path, version: session.binary.version},
    warnings,
  }
}

/**
 * One stack, start to finish, holding the stack's lock: a stack that another plan or provision
 * holds fails at once (its saved plan and log are left to that run). Never throws for a terraform
 * problem: it becomes the stack's status.
 */
export async function planStack(
  session: TerraformSession,
  stack: TerraformStack,
  step: (name: string) => void = () => {},
): Promise<StackPlanResult> {
  const lock = await tryLockStack(stack.dir, 'plan')
  if ('busy' in lock)
    return {
      ...emptyResult(stack),
      durationMs: 0,
      error: `${describeBusyStack(stack.id, lock.busy)}; nothing was planned for it, try again when that has finished`,
      status: 'failed',
      step: 'lock',
    }
  try {
    return await planLockedStack(session, stack, step)
  } finally {
    await lock.held.release()
  }
}

async function planLockedStack(
  session: TerraformSession,
  stack: TerraformStack,
  step: (name: string) => void,
): Promise<StackPlanResult> {
  const started = performance.now()
  const files = planFilesOf(stack.dir)
  const finish = (result: Omit<StackPlanResult, 'durationMs'>): StackPlanResult => ({
    ...result,
    durationMs: Math.round(performance.now() - started),
  })
  const fail = async (failedStep: PlanStep, error: string) => {
    await removeSavedPlan(stack.dir)
    return finish({...emptyResult(stack), error, status: 'failed', step: failedStep})
  }
  // A plan from an earlier run must never survive a failed new one: provision would apply it.
  await Promise.all([removeSavedPlan(stack.dir), removeRunPlanFiles(stack.dir)])
  let stackBytes: Buffer
  let fingerprint: string
  try {
    stackBytes = await readFile(stack.file)
    fingerprint = providerFingerprint(JSON.parse(stackBytes.toString('utf8')))
  } catch (error) {
    return fail('stack', `cannot read ${stack.file}: ${(error as Error).message}`)
  }
  await writeFile(files.log, '')
  const log = {file: files.log, stdout: true}

  step('init')
  const init = await session.initGate.init(
    stack.dir,
    fingerprint,
    (role) =>
      session.run(
        stack,
        ['init', '-input=false', '-no-color', ...(role === 'follower' ? ['-lockfile=readonly'] : [])],
        log,
      ),
    (outcome) => outcome.exitCode === 0,
  )
  const afterInit = stopped(stack, init, 'init', files.log, finish)
  if (afterInit) return afterInit.status === 'failed' ? fail('init', afterInit.error!) : afterInit

  step('plan')
  const plan = await session.run(
    stack,
    [
      'plan',
      '-input=false',
      '-no-color',
      `-lock-timeout=${session.lockTimeout}`,
      '-detailed-exitcode',
      `-out=${files.plan}`,
    ],
    log,
  )
  const afterPlan = stopped(stack, plan, 'plan', files.log, finish, [0, 2])
  if (afterPlan) return afterPlan.status === 'failed' ? fail('plan', afterPlan.error!) : afterPlan

  step('show')
  // show -json prints every attribute value (sensitive ones included): parsed in memory, never logged.
  const show = await session.run(stack, ['show', '-json', files.plan], {file: files.log, stdout: false})
  const afterShow = stopped(stack, show, 'show', files.log, finish)
  if (afterShow) {
    await removeSavedPlan(stack.dir)
    return afterShow.status === 'failed' ? fail('show', afterShow.error!) : afterShow
  }
  let summary: PlanSummary
  try {
    summary = summarizePlan(JSON.parse(show.stdout))
  } catch (error) {
    return fail('show', `terraform show -json: ${(error as Error).message}`)
  }
  const hasChanges = plan.exitCode === 2 || summary.hasChanges
  await writePlanRecord(stack.dir, {
    changes: hasChanges,
    createdAt: new Date().toISOString(),
    planSha256: await sha256File(files.plan),
    stackId: stack.id,
    stackSha256: createHash('sha256').update(stackBytes).digest('hex'),
    summary,
    terraform: {path: session.binary.path, version: session.binary.version},
    version: 1,
  })
  return finish({
    ...emptyResult(stack),
    ...countsOf(summary),
    drift: summary.drift,
    hasChanges,
    planFile: files.plan,
    status: hasChanges ? 'planned' : 'no-changes',
  })
}

/**
 * The result when a step did not end normally: never started (skipped, or interrupted if an
 * earlier step ran), got our SIGINT (interrupted), or exited with a code outside `okCodes`.
 */
function stopped(
  stack: TerraformStack,
  outcome: TerraformOutcome,
  step: PlanStep,
  log: string,
  finish: (result: Omit<StackPlanResult, 'durationMs'>) => StackPlanResult,
  okCodes: number[] = [0],
): StackPlanResult | undefined {
  if (outcome.notStarted)
    return finish({
      ...emptyResult(stack),
      error: `interrupted before ${step}`,
      status: step === 'init' ? 'skipped' : 'interrupted',
      step,
    })
  if (outcome.interrupted || outcome.forced)
    return finish({
      ...emptyResult(stack),
      error: `interrupted during ${step}${outcome.forced ? ' (killed)' : ''}`,
      status: 'interrupted',
      step,
    })
  if (outcome.exitCode !== undefined && okCodes.includes(outcome.exitCode)) return undefined
  return finish({...emptyResult(stack), error: failureMessage(step, outcome, log), status: 'failed', step})
}

export function failureMessage(step: string, outcome: TerraformOutcome, log: string): string {
  if (outcome.spawnError) return `${step}: could not start terraform (${outcome.spawnError})`
  const how = outcome.exitCode === undefined ? `killed by ${outcome.signal ?? 'a signal'}` : `exit ${outcome.exitCode}`
  const lockId = lockIdFrom(outcome.stderr)
  const reason = firstTerraformError(outcome.stderr) ?? how
  return `${step} failed: ${reason}${lockId ? ` (state lock ID ${lockId})` : ''} — see ${log}`
}

function emptyResult(stack: TerraformStack): Omit<StackPlanResult, 'status' | 'durationMs'> {
  return {
    add: 0,
    change: 0,
    changes: [],
    destroy: 0,
    destructive: [],
    drift: [],
    forget: 0,
    hasChanges: false,
    id: stack.id,
    kind: stack.kind,
    log: planFilesOf(stack.dir).log,
    replace: 0,
  }
}

/** The counts and change lists of a summary, as results carry them. */
export function countsOf(summary: PlanSummary) {
  return {
    add: summary.add,
    change: summary.change,
    changes: summary.changes,
    destroy: summary.destroy,
    destructive: summary.destructive.map((change) => change.address),
    forget: summary.forget,
    replace: summary.replace,
  }
}

function planTitle(result: StackPlanResult): string {
  switch (result.status) {
    case 'planned': {
      const counts = `+${result.add} ~${result.change} -/+${result.replace} -${result.destroy}`
      return `${result.id}: ${counts}${result.destructive.length > 0 ? ` (${result.destructive.length} destructive)` : ''}`
    }
    case 'no-changes': {
      return `${result.id}: no changes`
    }
    default: {
      return `${result.id}: ${result.status}${result.error ? ` (${result.error})` : ''}`
    }
  }
}
