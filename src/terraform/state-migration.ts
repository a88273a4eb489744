import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {ExitCode} from '../errors.ts'
import {
  configuredBackend,
  describeBackend,
  effectiveBackend,
  initializedBackend,
  localStatePath,
  sameBackend,
  type BackendConfig,
} from './backends.ts'
import {describeInitProblem, firstTerraformError, initProblemOf} from './diagnostics.ts'
import {DEFAULT_CONCURRENCY, runOverStacks, type FleetOptions, type LockedState, type StackWork} from './fleet.ts'
import {planFilesOf} from './plan-files.ts'
import type {TerraformOutcome} from './processes.ts'
import type {TerraformSession, TerraformStack} from './session.ts'
import {describeBusyStack, tryLockStack, type StackOperation} from './stack-lock.ts'
import {readBackendState, relativePath, retireLocalState, withBackendOverride} from './state-access.ts'
import {describeState, readStateFile, stateMetaOf, type StateMeta} from './state-meta.ts'

export type MigrationStatus =
  'migrated' | 'unchanged' | 'already-migrated' | 'no-state' | 'refused' | 'failed' | 'skipped' | 'interrupted'

/** One stack's state migration, as `seiketsu state migrate --json` reports it. */
export interface StackMigrationResult {
  id: string
  kind: TerraformStack['kind']
  status: MigrationStatus
  /** Where the state was (the backend terraform last initialized, or the local default). */
  from?: string
  /** Where the stack's configuration now keeps it. */
  to: string
  /** The state before (read from where it was) and after (read back through the new backend). */
  before?: StateMeta
  after?: StateMeta
  /** Where the old local state file was moved once the copy was verified (it is no longer used). */
  retired?: string
  error?: string
  code?: string
  log: string
  durationMs: number
}

export interface MigrationRun {
  clients: StackMigrationResult[]
  exitCode: number
  interrupted: boolean
  lockedStates: LockedState[]
  warnings: string[]
  terraform: {path: string; version: string; flavor: string}
  concurrency: number
}

export interface MigrationOptions extends FleetOptions {
  /** Scratch folders for reading a backend's state outside the stack folder (under .seiketsu/cache). */
  probeRoot: string
  /** Where local state lives when a stack folder was never initialized (.seiketsu/state). */
  localStateRoot: string
}

/**
 * Moves each stack's state to the backend its configuration now names (seiketsu.yaml `state`
 * changed: local → S3, another bucket, key prefix, region or endpoint) and proves it arrived:
 * - the old backend is the one terraform last initialized in the stack folder (or, for a folder
 *   never initialized here, the local state at .seiketsu/state/<id>/); the same as the new one is
 *   `unchanged`;
 * - the state before is read where it is; none at all is `no-state` (the folder is switched over);
 * - the new backend must be empty, or already hold this very state (same lineage: `already-migrated`
 *   when it is as new or newer, or holds the same resources: nothing is copied); another state
 *   there is `refused` and nothing is copied or overwritten (terraform's -force-copy would);
 * - then `terraform init -migrate-state -force-copy`, and the state is read back through the new
 *   backend: its resources and outputs (a digest) and its resource count must be those of the state
 *   before (else `failed`). Lineage and serial are reported before and after: terraform gives the
 *   copy a new lineage and serial 1 when it leaves a local backend, and a new serial otherwise;
 * - a local state file left behind is renamed `*.migrated` so that nothing uses it by mistake.
 * Each stack holds its stack lock; stacks run like plan's (bounded, interrupts, --fail-fast).
 */
export async function migrateStackStates(
  session: TerraformSession,
  stacks: readonly TerraformStack[],
  options: MigrationOptions,
): Promise<MigrationRun> {
  const work: StackWork<StackMigrationResult> = {
    failed: (result) => result.status === 'failed' || result.status === 'refused',
    notStarted: (stack, reason) => ({
      ...baseResult(stack),
      error: reason === 'fail-fast' ? 'not started: an earlier stack failed (--fail-fast)' : 'not started: interrupted',
      status: 'skipped',
    }),
    run: (stack, step) => migrateStackState(session, stack, options, step),
    skipped: (result) => result.status === 'skipped',
    title: (result) => `${result.id}: ${result.status}${result.error ? ` (${result.error})` : ''}`,
  }
  const run = await runOverStacks(session, stacks, work, options)
  return {
    clients: run.results,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    exitCode: migrationExitCode(run.results, run.interrupted),
    interrupted: run.interrupted,
    lockedStates: run.lockedStates,
    terraform: {flavor: session.binary.flavor, path: session.binary.path, version: session.binary.version},
    warnings: session.warnings,
  }
}

/** 130 interrupted; 4 a terraform failure or a copy that did not verify; 2 refused (a command or a fix first); 1 busy. */
export function migrationExitCode(results: readonly StackMigrationResult[], interrupted: boolean): number {
  if (interrupted || results.some((result) => result.status === 'interrupted')) return ExitCode.Interrupted
  if (results.some((result) => result.status === 'failed' && result.code !== 'STACK_BUSY')) return ExitCode.External
  if (results.some((result) => result.status === 'refused')) return ExitCode.Usage
  if (results.some((result) => result.status === 'failed')) return ExitCode.Failure
  return ExitCode.Ok
}

function baseResult(stack: TerraformStack): Omit<StackMigrationResult, 'status'> {
  return {durationMs: 0, id: stack.id, kind: stack.kind, log: planFilesOf(stack.dir).log, to: ''}
}

/** One stack's migration under its stack lock; never throws for a terraform problem. */
export async function migrateStackState(
  session: TerraformSession,
  stack: TerraformStack,
  options: {probeRoot: string; localStateRoot: string; operation?: StackOperation; from?: BackendConfig},
  step: (name: string) => void = () => {},
): Promise<StackMigrationResult> {
  const started = performance.now()
  const lock = await tryLockStack(stack.dir, options.operation ?? 'state migrate')
  if ('busy' in lock)
    return {
      ...baseResult(stack),
      code: 'STACK_BUSY',
      error: `${describeBusyStack(stack.id, lock.busy)}; its state was not touched, try again when that has finished`,
      status: 'failed',
    }
  try {
    const result = await migrateLocked(session, stack, options, step)
    return {...result, durationMs: Math.round(performance.now() - started)}
  } catch (error) {
    return {
      ...baseResult(stack),
      code: (error as {code?: string}).code ?? 'STATE_READ_FAILED',
      durationMs: Math.round(performance.now() - started),
      error: (error as Error).message,
      status: (error as {code?: string}).code === 'STATE_NOT_BOOTSTRAPPED' ? 'refused' : 'failed',
    }
  } finally {
    await lock.held.release()
  }
}

async function migrateLocked(
  session: TerraformSession,
  stack: TerraformStack,
  options: {probeRoot: string; localStateRoot: string; from?: BackendConfig},
  step: (name: string) => void,
): Promise<StackMigrationResult> {
  const log = {file: planFilesOf(stack.dir).log, stdout: true}
  const stackJson = JSON.parse(await readFile(stack.file, 'utf8')) as unknown
  const desired = effectiveBackend(configuredBackend(stackJson), session.state)
  const base = {...baseResult(stack), to: describeBackend(desired, stack.dir)}
  const current = await initializedBackend(stack.dir)
  let source = options.from ?? current
  // terraform copies from the backend it last initialized in the folder: is that the source?
  const initialized = source !== undefined && current !== undefined && sameBackend(source, current)
  if (!source) {
    // Never initialized in this folder: the local state seiketsu keeps for it, if there is one.
    const fallback: BackendConfig = {
      config: {path: relativePath(stack.dir, join(options.localStateRoot, stack.id, 'terraform.tfstate'))},
      type: 'local',
    }
    if (!(await readStateFile(localStatePath(fallback, stack.dir)!))) {
      if (desired.type === 'local') return {...base, status: 'unchanged'}
      return {
        ...base,
        error: `nothing to migrate: this folder was never initialized and there is no local state at ${localStatePath(fallback, stack.dir)}`,
        status: 'no-state',
      }
    }
    source = fallback
  }
  if (sameBackend(source, desired)) return {...base, from: base.to, status: 'unchanged'}
  const from = describeBackend(source, stack.dir)
  step('read')
  const before = await readBackendState(session, stack, source, options.probeRoot)
  const withSource = {...base, before, from}
  const fail = (code: string, error: string, extra: Partial<StackMigrationResult> = {}): StackMigrationResult => ({
    ...withSource,
    ...extra,
    code,
    error,
    status: 'failed',
  })
  const initArgs = ['init', '-input=false', '-no-color', ...session.backendArgs(stackJson)]
  const switchOver = async (): Promise<TerraformOutcome> => session.run(stack, [...initArgs, '-reconfigure'], log)
  if (!before) {
    step('init')
    const outcome = await switchOver()
    if (outcome.exitCode !== 0) return fromFailedInit(withSource, stack, outcome, log.file)
    return {...withSource, status: 'no-state'}
  }
  step('check')
  const existing = await readBackendState(session, stack, desired, options.probeRoot)
  // Copied before (an earlier run stopped after terraform's copy), or carried on there since: switch over only.
  const arrived =
    existing !== undefined &&
    (existing.digest === before.digest || (existing.lineage === before.lineage && existing.serial >= before.serial))
  if (existing && !arrived)
    return {
      ...withSource,
      after: existing,
      code: 'STATE_CONFLICT',
      error: `${base.to} already holds another state (${describeState(existing)}); nothing was copied or overwritten. Compare the two states, then move or delete the wrong one`,
      status: 'refused',
    }
  if (existing && arrived) {
    step('init')
    const outcome = await switchOver()
    if (outcome.exitCode !== 0) return fromFailedInit(withSource, stack, outcome, log.file)
    return {...withSource, after: existing, status: 'already-migrated', ...(await retireLocalState(source, stack))}
  }
  step('migrate')
  const migrate = initialized
    ? await session.run(stack, [...initArgs, '-migrate-state', '-force-copy'], log)
    : await withBackendOverride(stack, source, async () => {
        // terraform copies from the backend it last initialized: set the local one up first.
        const first = await session.run(stack, ['init', '-input=false', '-no-color', '-reconfigure'], log)
        return first.exitCode === 0 ? undefined : first
      }).then(async (failed) => failed ?? session.run(stack, [...initArgs, '-migrate-state', '-force-copy'], log))
  if (migrate.interrupted || migrate.forced || migrate.notStarted)
    return {...withSource, error: 'interrupted during the migration', status: 'interrupted'}
  if (migrate.exitCode !== 0) return fromFailedInit(withSource, stack, migrate, log.file)
  step('verify')
  const pulled = await session.run(stack, ['state', 'pull'])
  if (pulled.exitCode !== 0)
    return fail(
      'MIGRATION_UNVERIFIED',
      `state pull after the migration failed: ${firstTerraformError(pulled.stderr) ?? `exit ${pulled.exitCode}`}`,
    )
  const after = stateMetaOf(pulled.stdout)
  // terraform may give the copy a new lineage and serial (it does when the state leaves a local
  // backend): what must not change is what the state holds.
  if (!after || after.digest !== before.digest || after.resources !== before.resources)
    return fail(
      'MIGRATION_MISMATCH',
      `the state read back from ${base.to} (${describeState(after)}) does not hold what was copied (${describeState(before)}); the old state at ${from} was kept`,
      {after},
    )
  return {...withSource, after, status: 'migrated', ...(await retireLocalState(source, stack))}
}

function fromFailedInit(
  result: Omit<StackMigrationResult, 'status'>,
  stack: TerraformStack,
  outcome: TerraformOutcome,
  log: string,
): StackMigrationResult {
  const problem = initProblemOf(outcome.stderr)
  if (problem?.code === 'STATE_NOT_BOOTSTRAPPED')
    return {...result, code: problem.code, error: describeInitProblem(problem, stack.id), status: 'refused'}
  return {
    ...result,
    code: 'TERRAFORM_FAILED',
    error: `init failed: ${firstTerraformError(outcome.stderr) ?? `exit ${outcome.exitCode ?? outcome.signal}`} — see ${log}`,
    status: 'failed',
  }
}
