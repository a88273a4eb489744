import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {usageError} from '../errors.ts'
import {isStalePlanError} from './diagnostics.ts'
import {guardDestructive, parseAllowDestroy, type GuardDecision} from './destroy-guard.ts'
import {provisionExitCode, type ProvisionStatus} from './exit-codes.ts'
import {providerFingerprint} from './init-gate.ts'
import {DEFAULT_CONCURRENCY, runOverStacks, type FleetOptions, type LockedState, type StackWork} from './fleet.ts'
import {countsOf, failureMessage} from './plan.ts'
import {checkSavedPlan, planFilesOf, removeSavedPlan, SAVED_PLAN_PROBLEMS, type PlanRecord} from './plan-files.ts'
import type {ResourceChange} from './plan-summary.ts'
import type {TerraformSession, TerraformStack} from './session.ts'

/** A stack with a saved plan that may be applied, and what the destroy guard decided for it. */
export interface ProvisionCandidate {
  stack: TerraformStack
  record: PlanRecord
  guard: GuardDecision
}

/** One stack's apply, as `seiketsu provision --json` reports it. */
export interface StackProvisionResult {
  id: string
  kind: TerraformStack['kind']
  status: ProvisionStatus
  add: number
  change: number
  replace: number
  destroy: number
  forget: number
  destructive: string[]
  /** Destructive addresses nobody allowed with --allow-destroy (status blocked). */
  blocked: string[]
  /** Destructive addresses allowed with --allow-destroy. */
  allowed: string[]
  changes: ResourceChange[]
  planFile: string
  log: string
  error?: string
  code?: string
  durationMs: number
}

export interface ProvisionRun {
  clients: StackProvisionResult[]
  exitCode: number
  interrupted: boolean
  lockedStates: LockedState[]
  /** --allow-destroy values that matched no destructive change (likely a typo). */
  unusedAllowances: string[]
  terraform: {path: string; version: string; flavor: string}
  concurrency: number
}

/**
 * Checks every selected stack's saved plan before anything is applied: it must exist, and both
 * the stack and the plan file must be exactly what `seiketsu plan` recorded. Any problem is exit 2
 * naming each stack, and nothing is applied. Then the destroy guard decides per stack.
 */
export async function prepareProvision(
  stacks: readonly TerraformStack[],
  allowDestroy: readonly string[] = [],
): Promise<ProvisionCandidate[]> {
  const allowances = parseAllowDestroy(
    allowDestroy,
    stacks.map((stack) => stack.id),
  )
  const checks = await Promise.all(stacks.map(async (stack) => ({check: await checkSavedPlan(stack), stack})))
  const problems = checks.flatMap(({check, stack}) =>
    'problem' in check ? [{id: stack.id, problem: check.problem, reason: SAVED_PLAN_PROBLEMS[check.problem]}] : [],
  )
  if (problems.length > 0)
    throw usageError(
      `No applicable saved plan for ${problems.map((problem) => `${problem.id} (${problem.reason})`).join(', ')}; nothing was applied`,
      {
        code: 'NO_SAVED_PLAN',
        details: {stacks: problems},
        suggestions: [
          `seiketsu plan ${problems.map((problem) => problem.id).join(' ')}, review it, then provision again`,
        ],
      },
    )
  return checks.map(({check, stack}) => {
    const record = (check as {record: PlanRecord}).record
    return {guard: guardDestructive(stack.id, record.summary.destructive, allowances), record, stack}
  })
}

/** --allow-destroy values that allowed nothing in any stack. */
export function unusedAllowances(candidates: readonly ProvisionCandidate[], allowDestroy: readonly string[]): string[] {
  const used = new Set(candidates.flatMap((candidate) => candidate.guard.used.map((allowance) => allowance.text)))
  return allowDestroy.filter((text) => !used.has(text))
}

/**
 * Applies the saved plans: exactly `apply -input=false <planfile>` per stack (no new plan, no
 * -auto-approve: a saved plan never prompts). Blocked stacks (destructive, not allowed) and
 * stacks without changes are not run. An applied plan is removed (terraform would refuse it
 * again); so is one terraform found stale.
 */
export async function applyPlans(
  session: TerraformSession,
  candidates: readonly ProvisionCandidate[],
  options: FleetOptions & {allowDestroy?: readonly string[]} = {},
): Promise<ProvisionRun> {
  const settled = new Map<string, StackProvisionResult>()
  for (const candidate of candidates) {
    if (candidate.guard.blocked.length > 0)
      settled.set(candidate.stack.id, {
        ...baseResult(candidate),
        code: 'DESTRUCTIVE_CHANGE',
        error: `destructive change not allowed: ${candidate.guard.blocked.map((change) => change.address).join(', ')} (--allow-destroy ADDRESS to allow)`,
        status: 'blocked',
      })
    else if (!candidate.record.changes)
      settled.set(candidate.stack.id, {...baseResult(candidate), status: 'no-changes'})
  }
  const toApply = candidates.filter((candidate) => !settled.has(candidate.stack.id))
  const byId = new Map(toApply.map((candidate) => [candidate.stack.id, candidate]))
  const work: StackWork<StackProvisionResult> = {
    failed: (result) => result.status === 'failed',
    notStarted: (stack, reason) => ({
      ...baseResult(byId.get(stack.id)!),
      error: reason === 'fail-fast' ? 'not started: an earlier stack failed (--fail-fast)' : 'not started: interrupted',
      status: 'skipped',
    }),
    run: (stack, step) => applyStack(session, byId.get(stack.id)!, step),
    skipped: (result) => result.status === 'skipped',
    title: (result) => `${result.id}: ${result.status}${result.error ? ` (${result.error})` : ''}`,
  }
  const run = await runOverStacks(
    session,
    toApply.map((candidate) => candidate.stack),
    work,
    options,
  )
  for (const result of run.results) settled.set(result.id, result)
  const clients = candidates.map((candidate) => settled.get(candidate.stack.id)!)
  return {
    clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    exitCode: provisionExitCode(clients, run.interrupted),
    interrupted: run.interrupted,
    lockedStates: run.lockedStates,
    terraform: {flavor: session.binary.flavor, path: session.binary.path, version: session.binary.version},
    unusedAllowances: unusedAllowances(candidates, options.allowDestroy ?? []),
  }
}

async function applyStack(
  session: TerraformSession,
  candidate: ProvisionCandidate,
  step: (name: string) => void,
): Promise<StackProvisionResult> {
  const started = performance.now()
  const {stack} = candidate
  const files = planFilesOf(stack.dir)
  const fail = (code: string, error: string): StackProvisionResult => ({
    ...baseResult(candidate),
    code,
    durationMs: Math.round(performance.now() - started),
    error,
    status: 'failed',
  })
  if (!(await isDirectory(join(stack.dir, '.terraform')))) {
    // A saved plan carried to a fresh checkout (a CI apply job): install exactly the providers its lock file names.
    step('init')
    const fingerprint = providerFingerprint(JSON.parse(await readFile(stack.file, 'utf8')))
    const init = await session.initGate.init(
      stack.dir,
      fingerprint,
      () =>
        session.run(stack, ['init', '-input=false', '-no-color', '-lockfile=readonly'], {
          file: files.log,
          stdout: true,
        }),
      (outcome) => outcome.exitCode === 0,
      {shareLockFile: false},
    )
    if (init.notStarted) return {...baseResult(candidate), error: 'not started: interrupted', status: 'skipped'}
    if (init.interrupted || init.forced)
      return {...baseResult(candidate), error: 'interrupted during init', status: 'interrupted'}
    if (init.exitCode !== 0) return fail('TERRAFORM_FAILED', failureMessage('init', init, files.log))
  }
  step('apply')
  const outcome = await session.run(
    stack,
    ['apply', '-input=false', '-no-color', `-lock-timeout=${session.lockTimeout}`, files.plan],
    {file: files.log, stdout: true},
  )
  const durationMs = Math.round(performance.now() - started)
  const base = {...baseResult(candidate), durationMs}
  if (outcome.notStarted) return {...base, error: 'not started: interrupted', status: 'skipped'}
  if (outcome.interrupted || outcome.forced)
    return {...base, error: `interrupted during apply${outcome.forced ? ' (killed)' : ''}`, status: 'interrupted'}
  if (outcome.exitCode === 0) {
    await removeSavedPlan(stack.dir)
    return {...base, status: 'applied'}
  }
  if (isStalePlanError(outcome.stderr)) {
    await removeSavedPlan(stack.dir)
    return fail(
      'STALE_PLAN',
      `terraform refused the saved plan as stale: the state changed after it was planned (another apply?). Nothing was applied; run seiketsu plan ${stack.id} and review again`,
    )
  }
  return fail('TERRAFORM_FAILED', failureMessage('apply', outcome, files.log))
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

function baseResult(candidate: ProvisionCandidate): Omit<StackProvisionResult, 'status'> {
  const {record, stack, guard} = candidate
  return {
    ...countsOf(record.summary),
    allowed: guard.allowed.map((change) => change.address),
    blocked: guard.blocked.map((change) => change.address),
    durationMs: 0,
    id: stack.id,
    kind: stack.kind,
    log: planFilesOf(stack.dir).log,
    planFile: planFilesOf(stack.dir).plan,
  }
}
