import {resourceTypeEntry} from '../configuration/resource-catalogue.ts'
import {ExitCode, SeiketsuError} from '../errors.ts'

/** The plan JSON majors this code understands (terraform and OpenTofu both emit 1.x). */
const SUPPORTED_FORMAT_MAJOR = 1

/**
 * How seiketsu names what terraform will do to one resource instance. `import` and `move` are
 * terraform's no-op actions on an instance being imported (an `import` block) or moved (a `moved`
 * block), which change the state and nothing else; `other` is an action this seiketsu does not know
 * (a newer terraform's), reported rather than dropped.
 */
export type ChangeAction =
  'create' | 'update' | 'replace' | 'delete' | 'forget' | 'import' | 'move' | 'read' | 'no-op' | 'other'

const KNOWN_ACTIONS = new Set(['create', 'update', 'delete', 'forget', 'read', 'no-op'])

export interface ResourceChange {
  address: string
  type: string
  /** Terraform's own actions, e.g. ["delete", "create"]. */
  actions: string[]
  action: ChangeAction
  /** A deletion (delete or replace) of a stateful resource type (configuration/resource-catalogue.ts). */
  destructive: boolean
  /** Terraform's `action_reason`, e.g. replace_because_cannot_update. */
  reason?: string
  /** The attribute paths that force a replacement (terraform's `replace_paths`). */
  replacePaths?: (string | number)[][]
  /** Set when the change is for a deposed object (an old copy left by create_before_destroy). */
  deposed?: string
  /** The import this change carries out (an `import` block): the id imported. */
  importing?: {id?: string}
  /** The address the instance had before a `moved` block renamed it. */
  previousAddress?: string
}

/** How many resource instances a plan changes, by what it does to them. */
export interface ChangeCounts {
  add: number
  change: number
  replace: number
  destroy: number
  /** Instances terraform stops managing without destroying them (`removed` blocks). */
  forget: number
  /** Instances imported (`import` blocks), with or without a change. */
  import: number
  /** Instances moved to a new address (`moved` blocks), with or without a change. */
  move: number
  /** Changes with an action this seiketsu does not know (kept in `changes` with action `other`, never dropped). */
  other: number
}

export interface PlanSummary extends ChangeCounts {
  formatVersion: string
  terraformVersion?: string
  /** Every managed resource change that does something (no-ops and data reads left out; imports and moves kept). */
  changes: ResourceChange[]
  /** The destructive subset of `changes`. */
  destructive: ResourceChange[]
  /** Addresses terraform found changed outside of it since the last apply (`resource_drift`). */
  drift: string[]
  /** Root outputs that would change. */
  outputChanges: string[]
  /** Actions the plan invokes (terraform's `action_invocations`), by address. */
  actionInvocations: string[]
  /** Anything to apply at all: resource changes, imports, moves, output changes or actions. */
  hasChanges: boolean
  /**
   * False when terraform deferred part of the plan (`complete: false`): applying it does not bring
   * the stack to its configuration, another plan and apply must follow.
   */
  complete: boolean
  /** The addresses terraform deferred (`deferred_changes`) and why. */
  deferred: {address: string; reason?: string}[]
}

/** The action seiketsu reports for terraform's list of actions. */
export function classifyActions(actions: readonly string[]): ChangeAction {
  const has = (action: string) => actions.includes(action)
  if (has('delete') && has('create')) return 'replace'
  if (has('delete')) return 'delete'
  if (has('forget')) return 'forget'
  if (has('create')) return 'create'
  if (has('update')) return 'update'
  if (actions.some((action) => !KNOWN_ACTIONS.has(action))) return 'other'
  if (has('read')) return 'read'
  return 'no-op'
}

/**
 * Reads the document `terraform show -json PLANFILE` prints (the stable plan format) into the
 * counts and changes seiketsu reports. Rejects what must not be summarized or applied: an unknown
 * format major, an errored plan, a plan with changes that terraform says cannot be applied.
 */
export function summarizePlan(planJson: unknown): PlanSummary {
  if (!isRecord(planJson) || typeof planJson.format_version !== 'string')
    throw planFormatError('is not a terraform plan document (no format_version)')
  const formatVersion = planJson.format_version
  const major = Number(formatVersion.split('.')[0])
  if (major !== SUPPORTED_FORMAT_MAJOR)
    throw planFormatError(`has format_version ${formatVersion}; seiketsu reads ${SUPPORTED_FORMAT_MAJOR}.x`)
  if (planJson.errored === true) throw planFormatError('is an errored plan: terraform could not finish planning')

  const changes: ResourceChange[] = []
  const counts = {add: 0, change: 0, destroy: 0, forget: 0, import: 0, move: 0, other: 0, replace: 0}
  for (const entry of arrayOf(planJson.resource_changes)) {
    if (!isRecord(entry) || entry.mode === 'data') continue
    const change = isRecord(entry.change) ? entry.change : {}
    const actions = arrayOf(change.actions).filter((action): action is string => typeof action === 'string')
    const importing = isRecord(change.importing) ? change.importing : undefined
    const previousAddress =
      typeof entry.previous_address === 'string' && entry.previous_address !== entry.address
        ? entry.previous_address
        : undefined
    let action = classifyActions(actions)
    // A no-op that imports or moves still changes the state: terraform's -detailed-exitcode says 2.
    if (action === 'no-op' && importing) action = 'import'
    else if (action === 'no-op' && previousAddress) action = 'move'
    if (action === 'no-op' || action === 'read') continue
    const type = typeof entry.type === 'string' ? entry.type : ''
    const resourceChange: ResourceChange = {
      action,
      actions,
      address: String(entry.address),
      destructive: actions.includes('delete') && resourceTypeEntry(type)?.stateful === true,
      type,
    }
    if (typeof entry.action_reason === 'string') resourceChange.reason = entry.action_reason
    const replacePaths = arrayOf(change.replace_paths).filter(Array.isArray) as (string | number)[][]
    if (replacePaths.length > 0) resourceChange.replacePaths = replacePaths
    if (typeof entry.deposed === 'string') resourceChange.deposed = entry.deposed
    if (importing) resourceChange.importing = typeof importing.id === 'string' ? {id: importing.id} : {}
    if (previousAddress) resourceChange.previousAddress = previousAddress
    changes.push(resourceChange)
    if (importing) counts.import++
    if (previousAddress) counts.move++
    if (action === 'create') counts.add++
    else if (action === 'update') counts.change++
    else if (action === 'replace') counts.replace++
    else if (action === 'delete') counts.destroy++
    else if (action === 'other') counts.other++
    else if (action === 'forget') {
      counts.forget++
      if (actions.includes('create')) counts.add++
    }
  }

  // Drift is what changed outside terraform: an entry whose actions are all no-op (an instance
  // that only moved to a new address) is not drift.
  const drift = arrayOf(planJson.resource_drift)
    .filter(isRecord)
    .filter((entry) => entry.mode !== 'data')
    .filter((entry) => {
      const actions = arrayOf(isRecord(entry.change) ? entry.change.actions : undefined)
      return actions.length === 0 || actions.some((action) => action !== 'no-op')
    })
    .map((entry) => String(entry.address))
  const outputChanges = Object.entries(isRecord(planJson.output_changes) ? planJson.output_changes : {})
    .filter(([, change]) => isRecord(change) && !arrayOf(change.actions).every((action) => action === 'no-op'))
    .map(([name]) => name)
  const actionInvocations = arrayOf(planJson.action_invocations)
    .filter(isRecord)
    .map((entry) => String(entry.address ?? entry.action_address ?? ''))
  const deferred = arrayOf(planJson.deferred_changes)
    .filter(isRecord)
    .map((entry) => {
      const change = isRecord(entry.resource_change) ? entry.resource_change : {}
      return {
        address: String(change.address ?? ''),
        ...(typeof entry.reason === 'string' ? {reason: entry.reason} : {}),
      }
    })
  const hasChanges = changes.length > 0 || outputChanges.length > 0 || actionInvocations.length > 0
  if (hasChanges && planJson.applyable === false)
    throw planFormatError('has changes but terraform marked it not applyable')

  return {
    ...counts,
    actionInvocations,
    changes,
    complete: planJson.complete !== false && deferred.length === 0,
    deferred,
    destructive: changes.filter((change) => change.destructive),
    drift,
    formatVersion,
    hasChanges,
    outputChanges,
    ...(typeof planJson.terraform_version === 'string' ? {terraformVersion: planJson.terraform_version} : {}),
  }
}

/** The counts and change lists of a summary, as results carry them. */
export function countsOf(summary: PlanSummary) {
  return {
    add: summary.add,
    change: summary.change,
    changes: summary.changes,
    destroy: summary.destroy,
    destructive: summary.destructive.map((change) => change.address),
    forget: summary.forget,
    // Records of older runs have no import/move/other counts.
    import: summary.import ?? 0,
    move: summary.move ?? 0,
    other: summary.other ?? 0,
    replace: summary.replace,
  }
}

/** A short text for a change: `replace aws_kms_key.data (replace_because_cannot_update: customer_master_key_spec)`. */
export function describeChange(change: ResourceChange): string {
  const why = [
    change.reason,
    change.replacePaths?.map((path) => path.map(String).join('.')).join(', '),
    change.deposed ? `deposed object ${change.deposed}` : undefined,
    change.previousAddress ? `moved from ${change.previousAddress}` : undefined,
    change.importing ? `import${change.importing.id ? ` id ${change.importing.id}` : ''}` : undefined,
    change.action === 'other' ? `terraform's actions: ${change.actions.join(', ')}` : undefined,
  ].filter(Boolean)
  return `${change.action} ${change.address}${why.length > 0 ? ` (${why.join(': ')})` : ''}`
}

function planFormatError(problem: string) {
  return new SeiketsuError(`The plan ${problem}`, ExitCode.External, {code: 'UNUSABLE_PLAN'})
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
