import {randomUUID} from 'node:crypto'
import {readFile, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {usageError} from '../errors.ts'
import {refuseStacksWithoutDomain} from './certificate-domain.ts'
import {describeInitProblem, failureMessage, initProblemOf, isStalePlanError} from './diagnostics.ts'
import {guardDestructive, parseAllowDestroy, type GuardDecision} from './destroy-guard.ts'
import {provisionExitCode, type ProvisionStatus} from './exit-codes.ts'
import {providerFingerprint} from './init-gate.ts'
import {DEFAULT_CONCURRENCY, runOverStacks, type FleetOptions, type LockedState, type StackWork} from './fleet.ts'
import {
  checkSavedPlan,
  planFilesOf,
  removeRunPlanFiles,
  removeSavedPlan,
  runPlanFile,
  problemCode,
  problemReason,
  SAVED_PLAN_PROBLEMS,
  stateProblem,
  type PlanRecord,
} from './plan-files.ts'
import {countsOf, type ChangeCounts, type ResourceChange} from './plan-summary.ts'
import type {DatabaseUserStep} from './database-user.ts'
import type {ServiceGate} from './service-gate.ts'
import type {TerraformSession, TerraformStack} from './session.ts'
import {mapWithConcurrency} from './scheduler.ts'
import {lockStacks} from './stack-lock.ts'
import {currentStateMeta} from './state-access.ts'

/** A stack with a saved plan that may be applied, and what the destroy guard decided for it. */
export interface ProvisionCandidate {
  stack: TerraformStack
  /** What `seiketsu plan` recorded about the plan, checked against `planCopy`. */
  record: PlanRecord
  /** This run's copy of the saved plan: the file that is applied. */
  planCopy: string
  guard: GuardDecision
}

/** One stack's apply, as `seiketsu provision --json` reports it. */
export interface StackProvisionResult extends ChangeCounts {
  id: string
  kind: TerraformStack['kind']
  status: ProvisionStatus
  /** False when the applied plan was incomplete (terraform deferred part of it): plan and provision again. */
  complete: boolean
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
  /** A client stack's service gate as its plan set it: whether the service runs tasks, what it waits for. */
  service?: ServiceGate
  /** What was done after the apply about the client's database user (a client stack with a setup task). */
  databaseUser?: DatabaseUserStep
  durationMs: number
}

/** What a fleet apply is told about its stacks beyond their saved plans (see clients.ts). */
export interface ApplyInputs {
  /** A stack applied only once another applied without trouble: a client stack and its bootstrap stack's id. */
  prerequisites?: ReadonlyMap<string, string>
  /**
   * Runs after the apply of each stack that applied or had nothing to apply (the database user of a
   * client stack); what it returns is part of that stack's result.
   */
  afterApply?: (candidate: ProvisionCandidate) => Promise<Partial<StackProvisionResult> | undefined>
}

export interface ProvisionRun {
  clients: StackProvisionResult[]
  /** What the operator should know (environment, incomplete plans); also on stderr without --json. */
  warnings: string[]
  exitCode: number
  interrupted: boolean
  lockedStates: LockedState[]
  /** --allow-destroy values that matched no destructive change (likely a typo). */
  unusedAllowances: string[]
  terraform: {path: string; version: string; flavor: string}
  concurrency: number
}

export interface PreparedProvision {
  candidates: ProvisionCandidate[]
  /**
   * Removes this run's plan copies and lets plan and provision at these stacks again. Call it
   * once the applies are over, whatever happened (not confirmed, failed, interrupted).
   */
  release: () => Promise<void>
}

/**
 * Checks every selected stack's saved plan before anything is applied. A stack whose certificate
 * can never be validated (seiketsu.yaml without `domain`) is exit 2 at once. It takes each stack's lock
 * first (exit 1 when another plan or provision holds one, nothing applied) and keeps it until
 * `release`, so no plan can replace a saved plan between this check and its apply. Each plan is
 * copied to a file of this run, and the copy must exist and match, with its stack, what
 * `seiketsu plan` recorded: any problem is exit 2 naming each stack, and nothing is applied. The
 * destroy guard then decides per stack on that record, and the copy is what `applyPlans` applies.
 */
export async function prepareProvision(
  stacks: readonly TerraformStack[],
  allowDestroy: readonly string[] = [],
  session?: TerraformSession,
): Promise<PreparedProvision> {
  const allowances = parseAllowDestroy(
    allowDestroy,
    stacks.map((stack) => stack.id),
  )
  await refuseStacksWithoutDomain(stacks)
  const locks = await lockStacks(stacks, 'provision')
  const runId = randomUUID().slice(0, 8)
  const copies = stacks.map((stack) => runPlanFile(stack.dir, runId))
  const release = async () => {
    await Promise.all(copies.map((copy) => rm(copy, {force: true})))
    await locks.release()
  }
  try {
    // Copies left by runs that died (their lock went stale) still hold secrets in clear text.
    await Promise.all(stacks.map((stack) => removeRunPlanFiles(stack.dir)))
    const terraform = session ? {flavor: session.binary.flavor, version: session.binary.version} : undefined
    // At most 8 at once: for remote state each check is a `terraform state pull`.
    const checks = await mapWithConcurrency(stacks, 8, async (stack, index) => {
      const check = await checkSavedPlan(stack, {copyTo: copies[index], terraform})
      if ('problem' in check || !session) return {check, stack}
      // The state now must be the one the plan was made against (terraform would call it stale).
      const now = await currentStateMeta(session, stack)
      const problem = now === 'unknown' ? undefined : stateProblem(check.record.state, now)
      return {check: problem ? {problem, record: check.record} : check, stack}
    })
    const problems = checks.flatMap(({check, stack}) =>
      'problem' in check ? [{id: stack.id, problem: check.problem, reason: problemReason(check, terraform)}] : [],
    )
    if (problems.length > 0)
      throw usageError(
        `No applicable saved plan for ${problems.map((problem) => `${problem.id} (${problem.reason})`).join(', ')}; nothing was applied`,
        {
          code: problemCode(problems.map((problem) => problem.problem)),
          details: {stacks: problems},
          suggestions: [
            `Plan again: seiketsu plan ${problems.map((problem) => problem.id).join(' ')}, review it, then provision again`,
          ],
        },
      )
    const candidates = checks.map(({check, stack}, index) => {
      const record = (check as {record: PlanRecord}).record
      const guard = guardDestructive(stack.id, record.summary.destructive, allowances)
      return {guard, planCopy: copies[index]!, record, stack}
    })
    return {candidates, release}
  } catch (error) {
    await release()
    throw error
  }
}

/** --allow-destroy values that allowed nothing in any stack. */
export function unusedAllowances(candidates: readonly ProvisionCandidate[], allowDestroy: readonly string[]): string[] {
  const used = new Set(candidates.flatMap((candidate) => candidate.guard.used.map((allowance) => allowance.text)))
  return allowDestroy.filter((text) => !used.has(text))
}

/**
 * Applies the checked copies of the saved plans: exactly `apply -input=false <copy>` per stack (no
 * new plan, no -auto-approve: a saved plan never prompts). Blocked stacks (destructive, not
 * allowed) and stacks without changes are not run. An applied plan is removed (terraform would
 * refuse it again); so is one terraform found stale. Call it between `prepareProvision` and its
 * `release`.
 */
export async function applyPlans(
  session: TerraformSession,
  candidates: readonly ProvisionCandidate[],
  options: FleetOptions & ApplyInputs & {allowDestroy?: readonly string[]} = {},
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
    prerequisite: {
      instead: (stack, before) =>
        before.status === 'applied'
          ? undefined
          : {
              ...baseResult(byId.get(stack.id)!),
              code: 'WAITING_FOR_BOOTSTRAP',
              error: `not applied: ${options.prerequisites!.get(stack.id)} is ${before.status}${before.error ? ` (${before.error})` : ''}`,
              status: 'skipped',
            },
      of: (stack) => {
        const prerequisite = options.prerequisites?.get(stack.id)
        return prerequisite && byId.has(prerequisite) ? prerequisite : undefined
      },
    },
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
  if (options.afterApply && !run.interrupted) {
    const done = candidates.filter((candidate) =>
      ['applied', 'no-changes'].includes(settled.get(candidate.stack.id)!.status),
    )
    await mapWithConcurrency(done, options.concurrency ?? DEFAULT_CONCURRENCY, async (candidate) => {
      const extra = await options.afterApply!(candidate)
      if (extra) settled.set(candidate.stack.id, {...settled.get(candidate.stack.id)!, ...extra})
    })
  }
  const clients = candidates.map((candidate) => settled.get(candidate.stack.id)!)
  const incomplete = clients.filter((result) => result.status === 'applied' && !result.complete)
  return {
    clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    exitCode: provisionExitCode(clients, run.interrupted),
    interrupted: run.interrupted,
    lockedStates: run.lockedStates,
    terraform: {flavor: session.binary.flavor, path: session.binary.path, version: session.binary.version},
    unusedAllowances: unusedAllowances(candidates, options.allowDestroy ?? []),
    warnings: [
      ...session.warnings,
      ...incomplete.map(
        (result) =>
          `${result.id}: applied an incomplete plan (terraform deferred part of it): the stack is not finished; plan and provision ${result.id} again`,
      ),
    ],
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
    const stackJson = JSON.parse(await readFile(stack.file, 'utf8')) as unknown
    const init = await session.initGate.init(
      stack.dir,
      providerFingerprint(stackJson),
      () =>
        session.run(
          stack,
          ['init', '-input=false', '-no-color', '-lockfile=readonly', ...session.backendArgs(stackJson)],
          {file: files.log, stdout: true},
        ),
      (outcome) => outcome.exitCode === 0,
      {shareLockFile: false},
    )
    if (init.notStarted) return {...baseResult(candidate), error: 'not started: interrupted', status: 'skipped'}
    if (init.interrupted || init.forced)
      return {...baseResult(candidate), error: 'interrupted during init', status: 'interrupted'}
    if (init.exitCode !== 0) {
      const problem = initProblemOf(init.stderr)
      return problem
        ? fail(problem.code, describeInitProblem(problem, stack.id))
        : fail('TERRAFORM_FAILED', failureMessage('init', init, files.log))
    }
    // Only now can the state of a remote backend be read: it must be the one the plan was made against.
    const now = await currentStateMeta(session, stack)
    const problem = now === 'unknown' ? undefined : stateProblem(candidate.record.state, now)
    if (problem) {
      await removeSavedPlan(stack.dir)
      return fail(
        'STALE_PLAN',
        `${SAVED_PLAN_PROBLEMS[problem]}: nothing was applied; plan again: seiketsu plan ${stack.id}, review it, then provision again`,
      )
    }
  }
  step('apply')
  const outcome = await session
    .run(stack, ['apply', '-input=false', '-no-color', `-lock-timeout=${session.lockTimeout}`, candidate.planCopy], {
      file: files.log,
      stdout: true,
    })
    .finally(() => rm(candidate.planCopy, {force: true}))
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
    complete: record.summary.complete !== false,
    allowed: guard.allowed.map((change) => change.address),
    blocked: guard.blocked.map((change) => change.address),
    durationMs: 0,
    id: stack.id,
    ...(record.service ? {service: record.service} : {}),
    kind: stack.kind,
    log: planFilesOf(stack.dir).log,
    planFile: planFilesOf(stack.dir).plan,
  }
}
