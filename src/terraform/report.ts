import chalk from 'chalk'

import {renderTable} from '../ui/table.ts'
import type {LockedState} from './fleet.ts'
import type {PlanRun, StackPlanResult} from './plan.ts'
import {describeChange, type ChangeCounts, type ResourceChange} from './plan-summary.ts'
import type {ProvisionCandidate, ProvisionRun} from './provision.ts'
import type {ServiceGate} from './service-gate.ts'
import type {BootstrapResult} from './state-bootstrap.ts'
import type {MigrationRun} from './state-migration.ts'

const SYMBOL: Record<ResourceChange['action'], string> = {
  create: '+',
  delete: '-',
  forget: '.',
  import: '<-',
  move: '->',
  'no-op': ' ',
  other: '?',
  read: '<=',
  replace: '-/+',
  update: '~',
}

type Counted = Pick<ChangeCounts, 'add' | 'change' | 'replace' | 'destroy'> &
  Partial<Pick<ChangeCounts, 'import' | 'move' | 'forget' | 'other'>>

/**
 * The count columns of a fleet table: always add, change, replace, destroy; import, move, forget
 * and other (actions this seiketsu does not know) when any stack has one, so that a plan that only
 * imports, moves or forgets never reads +0 0 0 0.
 */
function countColumns(results: readonly Counted[]): {head: string[]; cells: (result: Counted) => number[]} {
  const optional = (['import', 'move', 'forget', 'other'] as const).filter((key) =>
    results.some((result) => (result[key] ?? 0) > 0),
  )
  return {
    cells: (result) => [
      result.add,
      result.change,
      result.replace,
      result.destroy,
      ...optional.map((key) => result[key] ?? 0),
    ],
    head: ['ADD', 'CHANGE', 'REPLACE', 'DESTROY', ...optional.map((key) => key.toUpperCase())],
  }
}

/** The summary of a fleet plan: one row per stack (destructive rows in red), then what needs attention. */
export function renderPlanReport(run: PlanRun, options: {drift?: boolean} = {}): string {
  const columns = countColumns(run.clients)
  const rows = run.clients.map((result) => {
    const status = options.drift && result.hasChanges ? 'drifted' : result.status
    const row = [result.id, ...columns.cells(result), result.complete ? status : `${status} (incomplete)`]
    return result.destructive.length > 0 ? row.map((cell) => chalk.red(String(cell))) : row
  })
  const sections = [renderTable(['CLIENT', ...columns.head, 'STATUS'], rows)]
  const stateOnly = run.clients.flatMap((result) =>
    result.changes
      .filter(
        (change) =>
          change.importing || change.previousAddress || change.action === 'forget' || change.action === 'other',
      )
      .map((change) => `  ${result.id}  ${describeChange(change)}`),
  )
  if (stateOnly.length > 0) sections.push(['Imports, moves, forgets and other actions:', ...stateOnly].join('\n'))
  if (run.providerUpgrades.length > 0)
    sections.push(
      [
        'Provider pins changed: seiketsu ran terraform init -upgrade once and gave its lock file to the stacks that share those providers:',
        ...run.providerUpgrades.flatMap((upgrade) =>
          upgrade.providers.map(
            (provider) => `  ${provider.address} ${provider.from} → ${provider.to ?? '?'} (in ${upgrade.stackId})`,
          ),
        ),
      ].join('\n'),
    )
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
  sections.push(...orderSections(run.clients), ...serviceSections(run.clients))
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
  const columns = countColumns(run.clients)
  const rows = run.clients.map((result) => {
    const status = result.status === 'applied' && !result.complete ? 'applied (incomplete)' : result.status
    const row = [result.id, ...columns.cells(result), status]
    return result.blocked.length > 0 ? row.map((cell) => chalk.red(String(cell))) : row
  })
  const sections = [renderTable(['CLIENT', ...columns.head, 'STATUS'], rows)]
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
  const users = run.clients.filter((result) => result.databaseUser && result.databaseUser.status !== 'already-set-up')
  if (users.length > 0)
    sections.push(
      [
        'Database users (the app logs in as app, with IAM authentication):',
        ...users.map(({databaseUser, id}) =>
          databaseUser!.status === 'succeeded'
            ? `  ${id}  created (task ${databaseUser!.taskArn})`
            : `  ${id}  ${databaseUser!.status}: ${databaseUser!.reason ?? ''}${databaseUser!.log ? ` (log: ${databaseUser!.log.group}${databaseUser!.log.stream ? ` ${databaseUser!.log.stream}` : ''})` : ''}; seiketsu plan ${id} && seiketsu provision ${id} runs it again`,
        ),
      ].join('\n'),
    )
  sections.push(...orderSections(run.clients), ...serviceSections(run.clients))
  sections.push(...problemSections(run.clients, run.lockedStates))
  const applied = run.clients.filter((result) => result.status === 'applied').length
  sections.push(`${applied} of ${run.clients.length} stack(s) applied.`)
  return sections.join('\n\n')
}

/** Client stacks that wait for their bootstrap stack (planned or applied first, DESIGN.md). */
function orderSections(results: readonly {id: string; code?: string; error?: string}[]): string[] {
  const waiting = results.filter((result) => result.code === 'WAITING_FOR_BOOTSTRAP')
  return waiting.length === 0
    ? []
    : [
        [
          "Waiting for their account's bootstrap stack:",
          ...waiting.map((result) => `  ${result.id}  ${result.error}`),
        ].join('\n'),
      ]
}

/** Client services that run no task yet, what each waits for and how to give it. */
function serviceSections(results: readonly {id: string; kind: string; service?: ServiceGate}[]): string[] {
  const closed = results.filter((result) => result.service && !result.service.enabled)
  if (closed.length === 0) return []
  return [
    [
      'Services that run no task until (then plan and provision them again):',
      ...closed.flatMap(({id, service}) => service!.waitingFor.map((wait) => `  ${id}  ${wait.what}: ${wait.fix}`)),
    ].join('\n'),
  ]
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
        'These states are still locked (their terraform was killed before it could release the lock):',
        ...lockedStates.map((state) => `  ${state.id}  ${state.state}\n      ${state.advice}`),
      ].join('\n'),
    )
  return sections
}

/** What `provision` is about to do, for the confirmation prompt. Long lists of creates are counted, not listed. */
export function renderPendingChanges(candidates: readonly ProvisionCandidate[], listLimit = 20): string {
  const lines: string[] = []
  for (const {guard, record, stack} of candidates) {
    const summary = record.summary
    const extra = [
      summary.import ? `${summary.import} import` : '',
      summary.move ? `${summary.move} move` : '',
      summary.forget ? `${summary.forget} forget` : '',
    ].filter(Boolean)
    const counts = `+${summary.add} ~${summary.change} -/+${summary.replace} -${summary.destroy}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`
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

/** The summary of `seiketsu state migrate`: per stack where the state was, where it is, and the check. */
export function renderMigrationReport(run: MigrationRun): string {
  const rows = run.clients.map((result) => [
    result.id,
    result.status,
    result.before ? `${result.before.resources} @ serial ${result.before.serial}` : '-',
    result.after ? `${result.after.resources} @ serial ${result.after.serial}` : '-',
    result.to,
  ])
  const sections = [renderTable(['STACK', 'STATUS', 'BEFORE', 'AFTER', 'STATE NOW'], rows)]
  const problems = run.clients.filter((result) => result.error && result.status !== 'skipped')
  if (problems.length > 0)
    sections.push(
      ['Not migrated:', ...problems.map((result) => `  ${result.id}  ${result.status}: ${result.error}`)].join('\n'),
    )
  const retired = run.clients.filter((result) => result.retired)
  if (retired.length > 0)
    sections.push(
      [
        'Old local state files renamed (no longer used; delete them once you are satisfied):',
        ...retired.map((result) => `  ${result.id}  ${result.retired}`),
      ].join('\n'),
    )
  sections.push(...problemSections([], run.lockedStates))
  const moved = run.clients.filter((result) => result.status === 'migrated').length
  sections.push(`${moved} of ${run.clients.length} stack(s) migrated and verified.`)
  return sections.join('\n\n')
}

/** The summary of `seiketsu state bootstrap`. */
export function renderBootstrapReport(result: BootstrapResult): string {
  if (result.status === 'already-bootstrapped')
    return `Already bootstrapped: the platform state is in ${result.state}. Nothing was done.`
  const lines = []
  if (result.applied)
    lines.push(
      `Applied the platform stack on local state: +${result.applied.add} ~${result.applied.change} -/+${result.applied.replace} -${result.applied.destroy}.`,
    )
  const migration = result.migration!
  lines.push(
    `Moved the platform state into ${result.state} and read it back: the same ${migration.after?.resources ?? '?'} resource instance(s) as on local state (now serial ${migration.after?.serial ?? '?'}, lineage ${migration.after?.lineage ?? '?'}).`,
  )
  if (migration.retired) lines.push(`The local copy was renamed ${migration.retired} (no longer used).`)
  lines.push('Client stacks can now be planned: seiketsu plan')
  return lines.join('\n')
}
