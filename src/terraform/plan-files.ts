import {createHash} from 'node:crypto'
import {readFile, rm} from 'node:fs/promises'
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

/** Whether a stack's saved plan can be applied: it exists and stack and plan are what was planned. */
export async function checkSavedPlan(stack: {
  dir: string
  file: string
}): Promise<{record: PlanRecord} | {problem: SavedPlanProblem}> {
  const files = planFilesOf(stack.dir)
  const stackSha256 = await sha256File(stack.file).catch(() => undefined)
  if (!stackSha256) return {problem: 'no-stack'}
  const record = await readPlanRecord(stack.dir)
  const planSha256 = await sha256File(files.plan).catch(() => undefined)
  if (!record || !planSha256) return {problem: 'no-plan'}
  if (record.stackSha256 !== stackSha256) return {problem: 'stack-changed'}
  if (record.planSha256 !== planSha256) return {problem: 'plan-changed'}
  return {record}
}
