import {createHash} from 'node:crypto'
import {copyFile, readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

import type {PlanSummary} from './plan-summary.ts'

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
  version: 1
  stackId: string
  createdAt: string
  /** sha256 of the cdk.tf.json the plan was made from. */
  stackSha256: string
  /** sha256 of plan.tfplan as terraform wrote it. */
  planSha256: string
  terraform: {path: string; version: string}
  /** terraform's -detailed-exitcode said there are changes. */
  changes: boolean
  summary: PlanSummary
}

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
  try {
    const record = JSON.parse(await readFile(planFilesOf(stackDir).record, 'utf8')) as PlanRecord
    return record.version === 1 && typeof record.stackSha256 === 'string' ? record : undefined
  } catch {
    return undefined
  }
}

/** Forgets a stack's saved plan (before a new plan, after it was applied or found stale). */
export async function removeSavedPlan(stackDir: string): Promise<void> {
  const files = planFilesOf(stackDir)
  await Promise.all([rm(files.record, {force: true}), rm(files.plan, {force: true})])
}

export type SavedPlanProblem = 'no-stack' | 'no-plan' | 'stack-changed' | 'plan-changed'

export const SAVED_PLAN_PROBLEMS: Record<SavedPlanProblem, string> = {
  'no-plan': 'no saved plan',
  'no-stack': 'no synthesized stack',
  'plan-changed': 'the plan file is not the one seiketsu plan saved',
  'stack-changed': 'the stack changed after it was planned',
}

/**
 * Whether a stack's saved plan can be applied: it exists and stack and plan are what was planned.
 * With `copyTo`, the plan is first copied there and the COPY is what must match the record (the
 * copy is removed again when it does not): the record returned then describes that copy's bytes.
 */
export async function checkSavedPlan(
  stack: {dir: string; file: string},
  options: {copyTo?: string} = {},
): Promise<{record: PlanRecord} | {problem: SavedPlanProblem}> {
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
  const problem: SavedPlanProblem | undefined =
    !record || !planSha256
      ? 'no-plan'
      : record.stackSha256 !== stackSha256
        ? 'stack-changed'
        : record.planSha256 !== planSha256
          ? 'plan-changed'
          : undefined
  if (!problem) return {record: record!}
  if (options.copyTo) await rm(options.copyTo, {force: true})
  return {problem}
}
