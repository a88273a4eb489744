import chalk from 'chalk'

import {renderTable} from '../ui/table.ts'
import type {LockedState} from './fleet.ts'
import type {PlanRun, StackPlanResult} from './plan.ts'
import {describeChange, type ResourceChange} from './plan-summary.ts'
import type {ProvisionCandidate, ProvisionRun} from './provision.ts'

const HEAD = ['CLIENT', 'ADD', 'CHANGE', 'REPLACE', 'DESTROY', 'STATUS']

const SYMBOL: Record<ResourceChange['action'], string> = {
  create: '+',
  delete: '-',
  forget: '.',
  'no-op': ' ',
  read: '<=',
  replace: '-/+',
  update: '~',
}

/** The summary of a fleet plan: one row per stack (destructive rows in red), then what needs attention. */
export function renderPlanReport(run: PlanRun, options: {drift?: boolean} = {}): string {
  const rows = run.clients.map((result) => {
    const status = options.drift && result.hasChanges ? 'drifted' : result.status
    const row = [result.id, result.add, result.change, result.replace, result.destroy, status]
    return result.destructive.length > 0 ? row.map((cell) => chalk.red(String(cell))) : row
  })
  const sections = [renderTable(HEAD, rows)]
  const destructive = run.clients.flatMap((result) =>
    result.changes.filter((change) => change.destructive).map((change) => `  ${result.id}  ${describeChange(change)}`),
  )
  if (destructive.length > 0)
    sections.push(
      chalk.red(
        [
          'Destructive changes (provision refuses them unless --allow-destroy names each address):',
          ...destructive,
        ].join('\n'),
      ),
    )
  const drift = run.clients.flatMap((result) => result.drift.map((address) => `  ${result.id}  ${address}`))
  if (drift.length > 0) sections.push(['Changed outside terraform (resource drift):', ...drift].join('\n'))
  sections.push(...problemSections(run.clients, run.lockedStates))
  sections.push(planTally(run.clients, options.drift))
  return sections.join('\n\n')
}

function planTally(results: readonly StackPlanResult[], drift = false): string {
  const count = (predicate: (result: StackPlanResult) => boolean) => results.filter(predicate).length
  const withChanges = count((result) => result.hasChanges)
  const parts = [
    `${withChanges} ${drift ? 'drifted' : 'with changes'}`,
    `${count((result) => result.status === 'no-changes')} without changes`,
    `${count((result) => result.status === 'failed')} failed`,
  ]
  const skipped = count((result) => result.status === 'skipped' || result.status === 'interrupted')
  if (skipped > 0) parts.push(`${skipped} not planned`)
  const ids = results.filter((result) => result.hasChanges).map((result) => result.id)
  const next =
    withChanges > 0 && !drift ? `\nReview, then apply exactly these plans: seiketsu provision ${ids.join(' ')}` : ''
  return `${results.length} stack(s): ${parts.join(', ')}.${next}`
}

/** The summary of a fleet apply. */
export function renderProvisionReport(run: ProvisionRun): string {
  const rows = run.clients.map((result) => {
    const row = [result.id, result.add, result.change, result.replace, result.destroy, result.status]
    return result.blocked.length > 0 ? row.map((cell) => chalk.red(String(cell))) : row
  })
  const sections = [renderTable(HEAD, rows)]
  const blocked = run.clients.filter((result) => result.blocked.length > 0)
  if (blocked.length > 0)
    sections.push(
      chalk.red(
        [
          'Blocked: destructive changes nobody allowed (nothing was applied for these clients):',
          ...blocked.flatMap((result) =>
            result.blocked.map(
              (address) => `  ${result.id}  ${address}   allow with --allow-destroy ${result.id}:${address}`,
            ),
          ),
        ].join('\n'),
      ),
    )
  if (run.unusedAllowances.length > 0)
    sections.push(`--allow-destroy matched no destructive change: ${run.unusedAllowances.join(', ')}`)
  sections.push(...problemSections(run.clients, run.lockedStates))
  const applied = run.clients.filter((result) => result.status === 'applied').length
  sections.push(`${applied} of ${run.clients.length} stack(s) applied.`)
  return sections.join('\n\n')
}

function problemSections(
  results: readonly {id: string; status: string; error?: string}[],
  lockedStates: readonly LockedState[],
): string[] {
  const sections: string[] = []
  const failed = results.filter((result) => result.status === 'failed')
  if (failed.length > 0)
    sections.push(['Failed:', ...failed.map((result) => `  ${result.id}  ${result.error}`)].join('\n'))
  if (lockedStates.length > 0)
    sections.push(
      [
        'These states may still be locked (their terraform was killed). Once sure nothing runs on them:',
        ...lockedStates.map(
          (state) =>
            `  ${state.id}  ${state.state}${state.lockId ? ` (lock ${state.lockId})` : ''}\n      ${state.unlock}`,
        ),
      ].join('\n'),
    )
  return sections
}

/** What `provision` is about to do, for the confirmation prompt. Long lists of creates are counted, not listed. */
export function renderPendingChanges(candidates: readonly ProvisionCandidate[], listLimit = 20): string {
  const lines: string[] = []
  for (const {guard, record, stack} of candidates) {
    const summary = record.summary
    const counts = `+${summary.add} ~${summary.change} -/+${summary.replace} -${summary.destroy}`
    if (guard.blocked.length > 0) {
      lines.push(chalk.red(`${stack.id}  ${counts}  BLOCKED (destructive, not allowed): not applied`))
      continue
    }
    if (!record.changes) {
      lines.push(`${stack.id}  no changes`)
      continue
    }
    lines.push(chalk.bold(`${stack.id}  ${counts}`))
    const creates = summary.changes.filter((change) => change.action === 'create')
    const shown =
      summary.changes.length <= listLimit ? summary.changes : summary.changes.filter((c) => c.action !== 'create')
    for (const change of shown) {
      const line = `  ${SYMBOL[change.action].padEnd(3)} ${describeChange(change).replace(/^\S+ /, '')}`
      lines.push(change.destructive ? chalk.red(`${line}   destructive, allowed by --allow-destroy`) : line)
    }
    if (shown.length < summary.changes.length) lines.push(`  +   … and ${creates.length} resources to create`)
  }
  return lines.join('\n')
}
