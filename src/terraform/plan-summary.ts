import {ExitCode, SeiketsuError} from '../errors.ts'

/**
 * Resource types whose deletion loses data or identity that cannot be recreated: a delete (or a
 * replace, which deletes first or after) of one of these is a destructive change that `provision`
 * refuses unless the operator names the address with --allow-destroy. SQS queues lose the messages
 * waiting in them (the work queue and its dead-letter queue); an SNS topic loses its subscriptions,
 * which operators make outside terraform (the alarm topic would then notify nobody).
 */
export const STATEFUL_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'aws_db_instance',
  'aws_db_cluster_snapshot',
  'aws_db_snapshot',
  'aws_rds_cluster',
  'aws_rds_cluster_instance',
  'aws_s3_bucket',
  'aws_kms_key',
  'aws_elasticache_replication_group',
  'aws_elasticache_cluster',
  'aws_secretsmanager_secret',
  'aws_cloudwatch_log_group',
  'aws_sqs_queue',
  'aws_sns_topic',
  'aws_organizations_account',
  'aws_dynamodb_table',
  'aws_efs_file_system',
  'aws_backup_vault',
])

/** The plan JSON majors this code understands (terraform and OpenTofu both emit 1.x). */
const SUPPORTED_FORMAT_MAJOR = 1

/** How seiketsu names what terraform will do to one resource instance. */
export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'forget' | 'read' | 'no-op'

export interface ResourceChange {
  address: string
  type: string
  /** Terraform's own actions, e.g. ["delete", "create"]. */
  actions: string[]
  action: ChangeAction
  /** A deletion (delete or replace) of a stateful resource type. */
  destructive: boolean
  /** Terraform's `action_reason`, e.g. replace_because_cannot_update. */
  reason?: string
  /** The attribute paths that force a replacement (terraform's `replace_paths`). */
  replacePaths?: (string | number)[][]
  /** Set when the change is for a deposed object (an old copy left by create_before_destroy). */
  deposed?: string
}

export interface PlanSummary {
  formatVersion: string
  terraformVersion?: string
  add: number
  change: number
  replace: number
  destroy: number
  forget: number
  /** Every managed resource change that does something (no-ops and data reads left out). */
  changes: ResourceChange[]
  /** The destructive subset of `changes`. */
  destructive: ResourceChange[]
  /** Addresses terraform found changed outside of it since the last apply (`resource_drift`). */
  drift: string[]
  /** Root outputs that would change. */
  outputChanges: string[]
  /** Anything to apply at all: resource changes or output changes. */
  hasChanges: boolean
  /** False when terraform deferred part of the plan (another plan/apply round is needed). */
  complete: boolean
}

/** The action seiketsu reports for terraform's list of actions. */
export function classifyActions(actions: readonly string[]): ChangeAction {
  const has = (action: string) => actions.includes(action)
  if (has('delete') && has('create')) return 'replace'
  if (has('delete')) return 'delete'
  if (has('forget')) return 'forget'
  if (has('create')) return 'create'
  if (has('update')) return 'update'
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
  const counts = {add: 0, change: 0, destroy: 0, forget: 0, replace: 0}
  for (const entry of arrayOf(planJson.resource_changes)) {
    if (!isRecord(entry) || entry.mode === 'data') continue
    const change = isRecord(entry.change) ? entry.change : {}
    const actions = arrayOf(change.actions).filter((action): action is string => typeof action === 'string')
    const action = classifyActions(actions)
    if (action === 'no-op' || action === 'read') continue
    const type = typeof entry.type === 'string' ? entry.type : ''
    const resourceChange: ResourceChange = {
      action,
      actions,
      address: String(entry.address),
      destructive: actions.includes('delete') && STATEFUL_RESOURCE_TYPES.has(type),
      type,
    }
    if (typeof entry.action_reason === 'string') resourceChange.reason = entry.action_reason
    const replacePaths = arrayOf(change.replace_paths).filter(Array.isArray) as (string | number)[][]
    if (replacePaths.length > 0) resourceChange.replacePaths = replacePaths
    if (typeof entry.deposed === 'string') resourceChange.deposed = entry.deposed
    changes.push(resourceChange)
    if (action === 'create') counts.add++
    else if (action === 'update') counts.change++
    else if (action === 'replace') counts.replace++
    else if (action === 'delete') counts.destroy++
    else if (action === 'forget') {
      counts.forget++
      if (actions.includes('create')) counts.add++
    }
  }

  const drift = arrayOf(planJson.resource_drift)
    .filter(isRecord)
    .filter((entry) => entry.mode !== 'data')
    .map((entry) => String(entry.address))
  const outputChanges = Object.entries(isRecord(planJson.output_changes) ? planJson.output_changes : {})
    .filter(([, change]) => isRecord(change) && !arrayOf(change.actions).every((action) => action === 'no-op'))
    .map(([name]) => name)
  const hasChanges = changes.length > 0 || outputChanges.length > 0
  if (hasChanges && planJson.applyable === false)
    throw planFormatError('has changes but terraform marked it not applyable')

  return {
    ...counts,
    changes,
    complete: planJson.complete !== false,
    destructive: changes.filter((change) => change.destructive),
    drift,
    formatVersion,
    hasChanges,
    outputChanges,
    ...(typeof planJson.terraform_version === 'string' ? {terraformVersion: planJson.terraform_version} : {}),
  }
}

/** A short text for a change: `replace aws_kms_key.data (replace_because_cannot_update: customer_master_key_spec)`. */
export function describeChange(change: ResourceChange): string {
  const why = [
    change.reason,
    change.replacePaths?.map((path) => path.map(String).join('.')).join(', '),
    change.deposed ? `deposed object ${change.deposed}` : undefined,
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
