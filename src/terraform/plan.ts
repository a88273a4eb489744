import {createHash} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import {performance} from 'node:perf_hooks'

import {noDomainWarning, stacksWithoutDomain} from './certificate-domain.ts'
import {configuredBackend} from './backends.ts'
import {describeInitProblem, failureMessage, initProblemOf, lockHintFor, lockInfoFrom} from './diagnostics.ts'
import {planExitCode, type PlanExitOptions, type PlanStatus} from './exit-codes.ts'
import {DEFAULT_CONCURRENCY, runOverStacks, type FleetOptions, type LockedState, type StackWork} from './fleet.ts'
import {initStack, providerFingerprint} from './init-gate.ts'
import type {ProviderUpgrade} from './lock-files.ts'
import {
  PLAN_RECORD_VERSION,
  planFilesOf,
  removeRunPlanFiles,
  removeSavedPlan,
  sha256File,
  writePlanRecord,
} from './plan-files.ts'
import {countsOf, summarizePlan, type ChangeCounts, type PlanSummary, type ResourceChange} from './plan-summary.ts'
import type {TerraformOutcome} from './processes.ts'
import type {TerraformSession, TerraformStack} from './session.ts'
import {describeBusyStack, tryLockStack} from './stack-lock.ts'
import {serviceGateArgs, type ServiceGate} from './service-gate.ts'
import {planPriorState} from './state-meta.ts'
import {SERVICE_ENABLED_VARIABLE} from '../stacks/model.ts'

export type PlanStep = 'lock' | 'stack' | 'service' | 'init' | 'plan' | 'show'

/** One stack's plan, as `seiketsu plan --json` reports it. */
export interface StackPlanResult extends ChangeCounts {
  id: string
  kind: TerraformStack['kind']
  status: PlanStatus
  /** False when terraform deferred part of the plan: applying it does not finish the stack. */
  complete: boolean
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
  /** What kind of failure, when seiketsu knows the fix (BACKEND_CHANGED, STATE_NOT_BOOTSTRAPPED…). */
  code?: string
  /** The step that failed. */
  step?: PlanStep
  /** A client stack's service gate: whether its service runs tasks, and what it waits for. */
  service?: ServiceGate
  durationMs: number
}

export interface PlanRun {
  clients: StackPlanResult[]
  /** What the operator should fix before provisioning (e.g. a certificate that can never be validated). */
  warnings: string[]
  exitCode: number
  interrupted: boolean
  lockedStates: LockedState[]
  /** `init -upgrade` runs seiketsu made because a provider pin changed (once per set of providers). */
  providerUpgrades: ProviderUpgrade[]
  terraform: {path: string; version: string; flavor: string}
  concurrency: number
}

/** What some stacks of a fleet plan depend on, worked out before terraform runs (see clients.ts). */
export interface StackPlanInputs {
  /** A stack planned only once another has nothing left to apply: a client stack and its bootstrap stack's id. */
  prerequisites?: ReadonlyMap<string, string>
  /** Client stacks' service gates: passed to terraform as `-var service_enabled=…` and recorded with the plan. */
  services?: ReadonlyMap<string, ServiceGate>
  /** Stacks that fail before terraform runs, with why (their service gate could not be checked). */
  failures?: ReadonlyMap<string, {step: PlanStep; error: string; code?: string}>
}

export type PlanOptions = FleetOptions & Omit<PlanExitOptions, 'interrupted'> & StackPlanInputs

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
    prerequisite: {
      instead: (stack, before) =>
        before.status === 'no-changes'
          ? undefined
          : waitingForPrerequisite(stack, options.prerequisites!.get(stack.id)!, before),
      of: (stack) => options.prerequisites?.get(stack.id),
    },
    run: async (stack, step) => {
      const failure = options.failures?.get(stack.id)
      if (failure) return {...emptyResult(stack), ...failure, durationMs: 0, status: 'failed'}
      return planStack(session, stack, step, options.services?.get(stack.id))
    },
    skipped: (result) => result.status === 'skipped',
    title: (result) => planTitle(result),
  }
  const warnings = [...session.warnings, ...(await stacksWithoutDomain(stacks)).map((stack) => noDomainWarning(stack))]
  const upgradesBefore = session.initGate.upgrades.length
  const run = await runOverStacks(session, stacks, work, options)
  for (const result of run.results.filter((candidate) => !candidate.complete))
    warnings.push(
      `${result.id}: terraform deferred part of this plan (complete: false); applying it does not finish the stack: plan and provision ${result.id} again afterwards`,
    )
  return {
    clients: run.results,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    exitCode: planExitCode(run.results, {...options, interrupted: run.interrupted}),
    interrupted: run.interrupted,
    lockedStates: run.lockedStates,
    providerUpgrades: session.initGate.upgrades.slice(upgradesBefore),
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
  service?: ServiceGate,
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
    return await planLockedStack(session, stack, step, service)
  } finally {
    await lock.held.release()
  }
}

async function planLockedStack(
  session: TerraformSession,
  stack: TerraformStack,
  step: (name: string) => void,
  service: ServiceGate | undefined,
): Promise<StackPlanResult> {
  const started = performance.now()
  const files = planFilesOf(stack.dir)
  const finish = (result: Omit<StackPlanResult, 'durationMs'>): StackPlanResult => ({
    ...result,
    durationMs: Math.round(performance.now() - started),
  })
  const fail = async (failedStep: PlanStep, error: string, code?: string) => {
    await removeSavedPlan(stack.dir)
    return finish({...emptyResult(stack), error, status: 'failed', step: failedStep, ...(code ? {code} : {})})
  }
  // A plan from an earlier run must never survive a failed new one: provision would apply it.
  await Promise.all([removeSavedPlan(stack.dir), removeRunPlanFiles(stack.dir)])
  let stackBytes: Buffer
  let stackJson: unknown
  let fingerprint: string
  try {
    stackBytes = await readFile(stack.file)
    stackJson = JSON.parse(stackBytes.toString('utf8'))
    fingerprint = providerFingerprint(stackJson)
  } catch (error) {
    return fail('stack', `cannot read ${stack.file}: ${(error as Error).message}`)
  }
  await writeFile(files.log, '')
  const log = {file: files.log, stdout: true}

  step('init')
  let init: TerraformOutcome
  try {
    init = await initStack(session, stack, stackJson, fingerprint, log)
  } catch (error) {
    return fail('init', (error as Error).message, (error as {code?: string}).code)
  }
  const afterInit = stopped(stack, init, 'init', files.log, finish)
  if (afterInit) {
    if (afterInit.status !== 'failed') return afterInit
    const problem = initProblemOf(init.stderr)
    return problem ? fail('init', describeInitProblem(problem, stack.id), problem.code) : fail('init', afterInit.error!)
  }

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
      // The service gate, for a stack that has one (a client stack): it is part of the saved plan.
      ...(service && declaresServiceGate(stackJson) ? serviceGateArgs(service) : []),
    ],
    log,
  )
  const afterPlan = stopped(stack, plan, 'plan', files.log, finish, [0, 2])
  if (afterPlan) {
    if (afterPlan.status !== 'failed') return afterPlan
    // Another run holds the state lock (after -lock-timeout): say what is true to do for this backend.
    const lock = lockInfoFrom(plan.stderr)
    if (!lock) return fail('plan', afterPlan.error!)
    const hint = lockHintFor(configuredBackend(stackJson), stack, lock, session.binary.requested)
    return fail('plan', `${afterPlan.error!}; ${hint.advice}`, 'STATE_LOCKED')
  }

  step('show')
  // show -json prints every attribute value (sensitive ones included): parsed in memory, never logged.
  const show = await session.run(stack, ['show', '-json', '-no-color', files.plan], {file: files.log, stdout: false})
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
    state: (await planPriorState(files.plan)) ?? null,
    summary,
    terraform: {flavor: session.binary.flavor, path: session.binary.path, version: session.binary.version},
    version: PLAN_RECORD_VERSION,
    ...(service ? {service} : {}),
  })
  return finish({
    ...emptyResult(stack),
    ...countsOf(summary),
    complete: summary.complete,
    drift: summary.drift,
    hasChanges,
    planFile: files.plan,
    ...(service ? {service} : {}),
    status: hasChanges ? 'planned' : 'no-changes',
  })
}

/** Whether a stack declares the service gate variable (a synthesized client stack does). */
function declaresServiceGate(stackJson: unknown): boolean {
  const variables = (stackJson as {variable?: Record<string, unknown>} | null)?.variable
  return variables !== undefined && SERVICE_ENABLED_VARIABLE in variables
}

/**
 * A client stack is planned only once its bootstrap stack has nothing left to apply: its provider
 * assumes the role the bootstrap creates, so terraform could not even configure it before.
 */
function waitingForPrerequisite(stack: TerraformStack, prerequisite: string, before: StackPlanResult): StackPlanResult {
  const why =
    before.status === 'planned'
      ? `waiting for ${prerequisite}, which has changes to apply: seiketsu provision ${stack.id} applies them, then seiketsu plan ${stack.id}`
      : `not planned: ${prerequisite} is ${before.status}${before.error ? ` (${before.error})` : ''}`
  return {...emptyResult(stack), code: 'WAITING_FOR_BOOTSTRAP', durationMs: 0, error: why, status: 'skipped'}
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

function emptyResult(stack: TerraformStack): Omit<StackPlanResult, 'status' | 'durationMs'> {
  return {
    add: 0,
    change: 0,
    changes: [],
    complete: true,
    destroy: 0,
    destructive: [],
    drift: [],
    forget: 0,
    hasChanges: false,
    import: 0,
    move: 0,
    other: 0,
    id: stack.id,
    kind: stack.kind,
    log: planFilesOf(stack.dir).log,
    replace: 0,
  }
}

function planTitle(result: StackPlanResult): string {
  switch (result.status) {
    case 'planned': {
      const extra = [
        result.import > 0 ? `${result.import} import` : '',
        result.move > 0 ? `${result.move} move` : '',
        result.forget > 0 ? `${result.forget} forget` : '',
      ].filter(Boolean)
      const counts = `+${result.add} ~${result.change} -/+${result.replace} -${result.destroy}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`
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
