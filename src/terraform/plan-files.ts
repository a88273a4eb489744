import {createHash} from 'node:crypto'
import {copyFile, readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

import type {ErrorCodeFor} from '../error-codes.ts'
import type {ExitCode} from '../errors.ts'
import type {PlanSummary} from './plan-summary.ts'
import type {ServiceGate} from './service-gate.ts'

/**
 * Where a stack's saved plan lives: next to its cdk.tf.json, at a path that never changes (a saved
 * plan must be applied from the same absolute directory it was made in). The workspace .gitignore
 * ignores `*.tfplan`: a plan file holds state and variables in clear text.
 */
export function planFilesOf(stackDir: string) {
  return {
    log: join(stackDir, 'terraform.log'),
    plan: join(stackDir, 'plan.tfplan'),
    record: join(stackDir, 'plan.seiketsu.json'),
  }
}

/**
 * The private copy of a saved plan that one `provision` run applies (terraform applies a plan file
 * of any name from the working directory it was made in). What runs is then exactly the copy whose
 * hash was checked, whatever happens to plan.tfplan meanwhile.
 */
export function runPlanFile(stackDir: string, runId: string): string {
  return join(stackDir, `plan.apply-${runId}.tfplan`)
}

const RUN_PLAN_FILE = /^plan\.apply-[\w-]+\.tfplan$/

/** Removes the copies of runs that died before cleaning up; call only holding the stack's lock. */
export async function removeRunPlanFiles(stackDir: string): Promise<void> {
  const names = await readdir(stackDir).catch(() => [] as string[])
  await Promise.all(
    names.filter((name) => RUN_PLAN_FILE.test(name)).map((name) => rm(join(stackDir, name), {force: true})),
  )
}

/**
 * The sidecar of a saved plan: which stack it was made from and what it does. `provision` applies
 * a plan only when the stack and the plan file still have these hashes.
 */
export interface PlanRecord {
  version: typeof PLAN_RECORD_VERSION
  stackId: string
  createdAt: string
  /** sha256 of the cdk.tf.json the plan was made from. */
  stackSha256: string
  /** sha256 of plan.tfplan as terraform wrote it. */
  planSha256: string
  /** The terraform that made the plan: terraform applies only plans of its own version. */
  terraform: {path: string; version: string; flavor: string}
  /**
   * The state the plan was made against (read from the plan file): terraform applies it only to
   * that lineage and serial. `lineage: ''` is a plan made without any state. Null when the plan
   * file did not say (not a terraform plan file).
   */
  state: {lineage: string; serial: number} | null
  /** terraform's -detailed-exitcode said there are changes. */
  changes: boolean
  summary: PlanSummary
  /** A client stack's service gate as the plan set it (what provision tells the operator it waits for). */
  service?: ServiceGate
}

/** 2: adds the terraform flavor and the state the plan was made against (records of 1 are planned again). */
export const PLAN_RECORD_VERSION = 2

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
}

export async function writePlanRecord(stackDir: string, record: PlanRecord): Promise<void> {
  // No fsync: a record lost in a crash only means "no saved plan", and plan makes a new one.
  await writeFileAtomic(planFilesOf(stackDir).record, `${JSON.stringify(record, null, 2)}\n`, {fsync: false})
}

export async function readPlanRecord(stackDir: string): Promise<PlanRecord | undefined> {
  const record = await readRawRecord(stackDir)
  return record?.version === PLAN_RECORD_VERSION && typeof record.stackSha256 === 'string'
    ? (record as unknown as PlanRecord)
    : undefined
}

async function readRawRecord(stackDir: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = JSON.parse(await readFile(planFilesOf(stackDir).record, 'utf8')) as unknown
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Forgets a stack's saved plan (before a new plan, after it was applied or found stale). */
export async function removeSavedPlan(stackDir: string): Promise<void> {
  const files = planFilesOf(stackDir)
  await Promise.all([rm(files.record, {force: true}), rm(files.plan, {force: true})])
}

export type SavedPlanProblem =
  | 'no-stack'
  | 'no-plan'
  | 'old-record'
  | 'stack-changed'
  | 'plan-changed'
  | 'other-terraform'
  | 'stale-state'
  | 'other-state'

export const SAVED_PLAN_PROBLEMS: Record<SavedPlanProblem, string> = {
  'no-plan': 'no saved plan',
  'no-stack': 'no synthesized stack',
  'old-record': 'planned by an older seiketsu, which did not record the state and terraform version',
  'other-state': 'the state is another one than the plan was made against (another lineage)',
  'other-terraform': 'made by another terraform version than this run uses',
  'plan-changed': 'the plan file is not the one seiketsu plan saved',
  'stack-changed': 'the stack changed after it was planned',
  'stale-state': 'the state changed after it was planned (another apply?)',
}

/** The problem with a plan record made by another terraform than `terraform`, if it was. */
export function terraformProblem(
  record: PlanRecord,
  terraform: {version: string; flavor: string},
): {problem: 'other-terraform'; made: string} | undefined {
  if (record.terraform.version === terraform.version && (record.terraform.flavor ?? 'terraform') === terraform.flavor)
    return undefined
  return {made: `${record.terraform.flavor ?? 'terraform'} ${record.terraform.version}`, problem: 'other-terraform'}
}

/**
 * Whether the state now is the one a plan was made against: the same lineage and serial (what
 * terraform checks, and calls "Saved plan is stale"). A plan made with no state applies only while
 * there is still none.
 */
export function stateProblem(
  planned: PlanRecord['state'],
  now: {lineage: string; serial: number} | undefined,
): 'stale-state' | 'other-state' | undefined {
  if (!planned) return undefined
  if (planned.lineage === '') return now ? 'stale-state' : undefined
  if (!now) return 'other-state'
  if (now.lineage !== planned.lineage) return 'other-state'
  return now.serial === planned.serial ? undefined : 'stale-state'
}

/**
 * Whether a stack's saved plan can be applied: it exists, stack and plan are what was planned, and
 * (given `terraform`) it was made by that terraform version.
 * With `copyTo`, the plan is first copied there and the COPY is what must match the record (the
 * copy is removed again when it does not): the record returned then describes that copy's bytes.
 */
export async function checkSavedPlan(
  stack: {dir: string; file: string},
  options: {copyTo?: string; terraform?: {version: string; flavor: string}} = {},
): Promise<{record: PlanRecord} | {problem: SavedPlanProblem; record?: PlanRecord}> {
  const files = planFilesOf(stack.dir)
  const stackSha256 = await sha256File(stack.file).catch(() => undefined)
  if (!stackSha256) return {problem: 'no-stack'}
  const record = await readPlanRecord(stack.dir)
  let checked = files.plan
  if (options.copyTo) {
    const copied = await copyFile(files.plan, options.copyTo).then(
      () => true,
      () => false,
    )
    if (!copied) return {problem: 'no-plan'}
    checked = options.copyTo
  }
  const planSha256 = await sha256File(checked).catch(() => undefined)
  const oldRecord = !record && planSha256 !== undefined && (await readRawRecord(stack.dir)) !== undefined
  const problem: SavedPlanProblem | undefined = oldRecord
    ? 'old-record'
    : !record || !planSha256
      ? 'no-plan'
      : record.stackSha256 !== stackSha256
        ? 'stack-changed'
        : record.planSha256 !== planSha256
          ? 'plan-changed'
          : options.terraform && terraformProblem(record, options.terraform)
            ? 'other-terraform'
            : undefined
  if (!problem) return {record: record!}
  if (options.copyTo) await rm(options.copyTo, {force: true})
  return {problem, ...(record ? {record} : {})}
}

/** Why a saved plan cannot be applied, in words (naming both terraform versions when that is why). */
export function problemReason(
  check: {problem: SavedPlanProblem; record?: PlanRecord},
  terraform: {flavor: string; version: string} | undefined,
): string {
  if (check.problem === 'other-terraform' && check.record && terraform)
    return `made by ${check.record.terraform.flavor ?? 'terraform'} ${check.record.terraform.version}; this run uses ${terraform.flavor} ${terraform.version}, and terraform applies only plans of its own version`
  return SAVED_PLAN_PROBLEMS[check.problem]
}

/** The error code for a set of saved-plan problems. */
export function problemCode(problems: readonly SavedPlanProblem[]): ErrorCodeFor<typeof ExitCode.Usage> {
  if (problems.every((problem) => problem === 'other-terraform')) return 'PLAN_FROM_OTHER_TERRAFORM'
  if (problems.every((problem) => problem === 'stale-state' || problem === 'other-state')) return 'STALE_PLAN'
  return 'NO_SAVED_PLAN'
}
