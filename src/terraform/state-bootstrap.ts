import {readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {ExitCode, SeiketsuError, usageError} from '../errors.ts'
import {configuredBackend, describeBackend, effectiveBackend} from './backends.ts'
import {guardDestructive, parseAllowDestroy} from './destroy-guard.ts'
import {failureMessage} from './diagnostics.ts'
import {interruptNotices} from './fleet.ts'
import {handleInterrupts} from './interrupts.ts'
import {planFilesOf, removeSavedPlan} from './plan-files.ts'
import {summarizePlan, type PlanSummary} from './plan-summary.ts'
import type {TerraformOutcome} from './processes.ts'
import type {TerraformSession, TerraformStack} from './session.ts'
import {tryLockStack, describeBusyStack} from './stack-lock.ts'
import {readBackendState, relativePath, withBackendOverride} from './state-access.ts'
import {migrateStackState, type StackMigrationResult} from './state-migration.ts'
import {readStateFile} from './state-meta.ts'

export type BootstrapStatus = 'bootstrapped' | 'resumed' | 'already-bootstrapped'

/** What `seiketsu state bootstrap --json` reports. */
export interface BootstrapResult {
  status: BootstrapStatus
  /** The state bucket (seiketsu.yaml state.bucket). */
  bucket: string
  /** Where the platform stack's state lives now. */
  state: string
  /** The platform stack's first apply, on local state (absent when it had run before). */
  applied?: Pick<PlanSummary, 'add' | 'change' | 'replace' | 'destroy' | 'forget' | 'import' | 'move'>
  /** The verified move of the local state into the bucket (absent when already done). */
  migration?: StackMigrationResult
  log: string
  warnings: string[]
}

export interface BootstrapOptions {
  /** Scratch folders for reading the bucket's state (under .seiketsu/cache). */
  probeRoot: string
  /** .seiketsu/state: where the platform's local state is kept until it moves. */
  localStateRoot: string
  /** Asked once with the platform's first plan; false applies nothing (exit 1). */
  confirm: (summary: PlanSummary) => Promise<boolean>
  allowDestroy?: readonly string[]
  notify?: (message: string) => void
}

/**
 * The first day of S3 state. The platform stack creates the state bucket, so it cannot keep its own
 * state there before it has run: every init of an S3 stack fails with "S3 bucket … does not exist".
 * Bootstrap:
 * 1. asks the bucket (a scratch init): holding the platform's state already is
 *    `already-bootstrapped` (nothing done, exit 0);
 * 2. otherwise, unless a local bootstrap state shows that step ran before, plans the platform
 *    stack on LOCAL state (.seiketsu/state/platform/terraform.tfstate, through an override file
 *    that replaces only the backend block), confirms, and applies that plan;
 * 3. moves that local state into the bucket it created with `init -migrate-state -force-copy`,
 *    verified (lineage, serial and resource count read back from S3), and retires the local file.
 * Running it again after any failure picks up where it stopped.
 */
export async function bootstrapState(
  session: TerraformSession,
  platform: TerraformStack,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const state = session.state
  if (state.backend !== 's3')
    throw usageError('seiketsu.yaml state.backend is local: there is no state bucket to bootstrap', {
      code: 'NOT_S3_STATE',
      suggestions: ['Set state.backend: s3 (with bucket and region) in seiketsu.yaml first, then seiketsu synth'],
    })
  const stackJson = JSON.parse(await readFile(platform.file, 'utf8').catch(() => '{}')) as unknown
  const desired = effectiveBackend(configuredBackend(stackJson), state)
  if (desired.type !== 's3' || desired.config.bucket !== state.bucket)
    throw usageError(
      `The platform stack (${platform.file}) does not keep its state in s3://${state.bucket}: it was synthesized for another state setting`,
      {code: 'STACK_OUTDATED', suggestions: ['seiketsu synth platform, then seiketsu state bootstrap again']},
    )
  const log = planFilesOf(platform.dir).log
  const result = {bucket: state.bucket, log, state: describeBackend(desired, platform.dir), warnings: session.warnings}
  const restoreSignals = handleInterrupts(session.processes, undefined, interruptNotices(options))
  try {
    const inBucket = await readBackendState(session, platform, desired, options.probeRoot).catch((error: unknown) => {
      if ((error as {code?: string}).code === 'STATE_NOT_BOOTSTRAPPED') return 'no-bucket' as const
      throw error
    })
    if (inBucket && inBucket !== 'no-bucket') return {...result, status: 'already-bootstrapped'}
    const localPath = join(options.localStateRoot, platform.id, 'terraform.tfstate')
    const local = await readStateFile(localPath)
    let applied: BootstrapResult['applied']
    if (inBucket === 'no-bucket') applied = await applyOnLocalState(session, platform, localPath, options)
    else if (!local)
      throw new SeiketsuError(
        `The state bucket ${state.bucket} exists but holds no platform state, and there is no local platform state to move into it (${localPath})`,
        ExitCode.Failure,
        {
          code: 'STATE_BUCKET_UNMANAGED',
          suggestions: [
            'If the bucket was made outside seiketsu, import it into the platform stack (terraform import) before provisioning the platform; otherwise check state.bucket in seiketsu.yaml',
          ],
        },
      )
    // The local state is the source whatever the folder was initialized with since (a plan in between).
    const from = {config: {path: relativePath(platform.dir, localPath)}, type: 'local'}
    const migration = await migrateStackState(session, platform, {...options, from, operation: 'state bootstrap'})
    if (migration.status !== 'migrated' && migration.status !== 'already-migrated')
      throw new SeiketsuError(
        `The platform state was ${applied ? 'applied on local state but ' : ''}not moved into s3://${state.bucket}: ${migration.error ?? migration.status}`,
        migration.status === 'interrupted' ? ExitCode.Interrupted : ExitCode.External,
        {
          code: migration.status === 'interrupted' ? 'INTERRUPTED' : 'MIGRATION_FAILED',
          details: {migration},
          suggestions: [
            `Fix that, then run seiketsu state bootstrap again: it moves ${localPath} without applying again`,
          ],
        },
      )
    return {...result, ...(applied ? {applied} : {}), migration, status: applied ? 'bootstrapped' : 'resumed'}
  } finally {
    restoreSignals()
  }
}

/**
 * The platform's first plan and apply, on local state: an override file gives the stack a local
 * backend (the bucket does not exist yet), `init -reconfigure` sets it up, then plan, show, the
 * destroy guard, the confirmation and the apply of exactly that plan.
 */
async function applyOnLocalState(
  session: TerraformSession,
  platform: TerraformStack,
  localPath: string,
  options: BootstrapOptions,
): Promise<NonNullable<BootstrapResult['applied']>> {
  const lock = await tryLockStack(platform.dir, 'state bootstrap')
  if ('busy' in lock)
    throw new SeiketsuError(`Nothing was applied: ${describeBusyStack(platform.id, lock.busy)}`, ExitCode.Failure, {
      code: 'STACK_BUSY',
      suggestions: ['Wait for that run to finish, then try again.'],
    })
  const files = planFilesOf(platform.dir)
  const planFile = join(platform.dir, 'bootstrap.tfplan')
  const log = {file: files.log, stdout: true}
  const check = (outcome: TerraformOutcome, step: string, ok: number[] = [0]) => {
    if (outcome.notStarted || outcome.interrupted || outcome.forced)
      throw new SeiketsuError(`Interrupted during the platform's ${step}`, ExitCode.Interrupted, {code: 'INTERRUPTED'})
    if (outcome.exitCode === undefined || !ok.includes(outcome.exitCode))
      throw new SeiketsuError(
        `The platform's ${step} on local state failed: ${failureMessage(step, outcome, files.log)}`,
        ExitCode.External,
        {
          code: 'TERRAFORM_FAILED',
        },
      )
  }
  try {
    // A saved plan of the platform was made against the S3 backend that does not exist yet: never applicable.
    await removeSavedPlan(platform.dir)
    const backend = {config: {path: relativePath(platform.dir, localPath)}, type: 'local'}
    return await withBackendOverride(platform, backend, async () => {
      options.notify?.(
        `The state bucket does not exist yet: planning the platform stack on local state (${localPath})…`,
      )
      check(await session.run(platform, ['init', '-input=false', '-no-color', '-reconfigure'], log), 'init')
      check(
        await session.run(
          platform,
          [
            'plan',
            '-input=false',
            '-no-color',
            `-lock-timeout=${session.lockTimeout}`,
            '-detailed-exitcode',
            `-out=${planFile}`,
          ],
          log,
        ),
        'plan',
        [0, 2],
      )
      const show = await session.run(platform, ['show', '-json', '-no-color', planFile], {
        file: files.log,
        stdout: false,
      })
      check(show, 'show')
      const summary = summarizePlan(JSON.parse(show.stdout))
      const guard = guardDestructive(
        platform.id,
        summary.destructive,
        parseAllowDestroy(options.allowDestroy ?? [], [platform.id]),
      )
      if (guard.blocked.length > 0)
        throw new SeiketsuError(
          `Nothing was applied: the platform's first plan is destructive: ${guard.blocked.map((change) => change.address).join(', ')}`,
          ExitCode.Policy,
          {code: 'DESTRUCTIVE_CHANGE', suggestions: ['Review it; --allow-destroy ADDRESS allows a named one']},
        )
      if (!(await options.confirm(summary)))
        throw new SeiketsuError('Nothing was applied: not confirmed', ExitCode.Failure, {code: 'NOT_CONFIRMED'})
      options.notify?.('Applying the platform stack on local state…')
      check(
        await session.run(
          platform,
          ['apply', '-input=false', '-no-color', `-lock-timeout=${session.lockTimeout}`, planFile],
          log,
        ),
        'apply',
      )
      const {add, change, destroy, forget, import: imported, move, replace} = summary
      return {add, change, destroy, forget, import: imported, move, replace}
    })
  } finally {
    await rm(planFile, {force: true})
    await lock.held.release()
  }
}
