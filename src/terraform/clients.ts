import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import {SeiketsuError, ExitCode, usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import type {FleetOptions} from './fleet.ts'
import {planStacks, type PlanOptions, type PlanRun, type StackPlanResult} from './plan.ts'
import {
  applyPlans,
  prepareProvision,
  type ProvisionCandidate,
  type ProvisionRun,
  type StackProvisionResult,
} from './provision.ts'
import {openTerraform, type SessionOptions, type TerraformSession, type TerraformStack} from './session.ts'
import {bootstrapState, type BootstrapOptions, type BootstrapResult} from './state-bootstrap.ts'
import {migrateStackStates, type MigrationRun} from './state-migration.ts'

/** Where synth writes a stack: cdktf.out/stacks/<id>/cdk.tf.json. */
export function stackLocation(
  workspace: Workspace,
  id: string,
  kind: TerraformStack['kind'] = 'client',
): TerraformStack {
  const dir = join(workspacePaths(workspace.root).out, 'stacks', id)
  return {dir, file: join(dir, 'cdk.tf.json'), id, kind}
}

/**
 * The synthesized stacks of these clients (and the platform stack when asked); a missing one is
 * exit 2 (run seiketsu synth).
 */
export async function synthesizedStacks(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: {platform?: boolean} = {},
): Promise<TerraformStack[]> {
  const stacks = clients.map((client) => stackLocation(workspace, client.id))
  if (options.platform) stacks.push(stackLocation(workspace, PLATFORM_STACK_ID, 'platform'))
  const missing: string[] = []
  for (const stack of stacks) if (!(await isFile(stack.file))) missing.push(stack.id)
  if (missing.length > 0)
    throw usageError(`No synthesized stack for ${missing.join(', ')}`, {
      code: 'NO_STACK',
      details: {missing},
      suggestions: [`seiketsu synth ${missing.join(' ')}`],
    })
  return stacks
}

export interface ClientRunOptions extends SessionOptions, FleetOptions {
  /** An already checked terraform (onboard plans and applies with one version check). */
  terraform?: TerraformSession
  /** Also the platform stack (the management account's side). */
  platform?: boolean
}

export interface PlanClientsOptions extends ClientRunOptions, PlanOptions {
  /** Synthesize the stacks first (default); false plans the stacks already in cdktf.out. */
  synth?: boolean
}

/**
 * Synthesizes and plans these clients' stacks (what `seiketsu plan` and `seiketsu onboard --plan`
 * run). Returns per-client results and the aggregate exit code; terraform failures do not throw.
 */
export async function planClients(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: PlanClientsOptions = {},
): Promise<PlanRun> {
  // The binary is checked before the (slower) synthesis, so a missing terraform fails at once.
  const terraform = options.terraform ?? (await openTerraform(workspace, options))
  const {ready, pending} = splitPending(clients)
  const stacks =
    options.synth === false
      ? await synthesizedStacks(workspace, ready, {platform: options.platform})
      : await synthesize(workspace, ready, options)
  const run = await planStacks(terraform, stacks, options)
  if (pending.length === 0) return run
  return {...run, clients: sortById([...run.clients, ...pending.map((client) => skippedPlan(client.id))])}
}

/**
 * A client whose AWS account does not exist yet has nothing terraform can plan or apply (its stack
 * refuses to plan by design): it is skipped with that reason, and never blocks the others or the
 * platform stack, which is what creates its account.
 */
export const PENDING_ACCOUNT_REASON =
  'no AWS account yet: provision the platform stack (it creates the account), then seiketsu clients update ID --account-id …'

function splitPending(clients: readonly ClientManifest[]) {
  return {pending: clients.filter((client) => !client.accountId), ready: clients.filter((client) => client.accountId)}
}

function sortById<T extends {id: string; kind: string}>(results: T[]): T[] {
  // Client stacks by id, the platform stack last (as the runs order them).
  return results.sort(
    (a, b) => Number(a.kind === 'platform') - Number(b.kind === 'platform') || a.id.localeCompare(b.id),
  )
}

const EMPTY_COUNTS = {
  add: 0,
  change: 0,
  changes: [],
  destroy: 0,
  destructive: [],
  forget: 0,
  import: 0,
  move: 0,
  other: 0,
}

function skippedPlan(id: string): StackPlanResult {
  const empty = {...EMPTY_COUNTS, complete: true, drift: [], durationMs: 0}
  return {
    ...empty,
    error: PENDING_ACCOUNT_REASON,
    hasChanges: false,
    id,
    kind: 'client',
    log: '',
    replace: 0,
    status: 'skipped',
  }
}

function skippedProvision(id: string): StackProvisionResult {
  const empty = {...EMPTY_COUNTS, allowed: [], blocked: [], complete: true, durationMs: 0}
  return {
    ...empty,
    error: PENDING_ACCOUNT_REASON,
    id,
    kind: 'client',
    log: '',
    planFile: '',
    replace: 0,
    status: 'skipped',
  }
}

/** Writes the selected stacks (seiketsu synth) and returns them as terraform working folders. */
async function synthesize(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: {platform?: boolean; notify?: (message: string) => void},
): Promise<TerraformStack[]> {
  const count = clients.length + (options.platform ? 1 : 0)
  if (count === 0) return []
  options.notify?.(`Synthesizing ${count} stack(s)…`)
  // cdktf and the provider bindings are heavy: loaded only when there is something to build.
  const {synthesizeStacks} = await import('../stacks/synth.ts')
  // Bootstrap stacks are synthesized with their clients; planning them in order comes with the fleet order.
  const written = (await synthesizeStacks(workspace, clients, {includePlatform: options.platform ?? false})).filter(
    (stack) => stack.kind !== 'bootstrap',
  )
  return written.map(({dir, file, id, kind}) => ({dir, file, id, kind}))
}

export interface ProvisionClientsOptions extends ClientRunOptions {
  allowDestroy?: readonly string[]
  /**
   * Asked once with everything that would be applied (blocked and unchanged stacks included);
   * false means nothing is applied (exit 1). Onboard --apply --yes passes `async () => true`.
   */
  confirm: (candidates: readonly ProvisionCandidate[]) => Promise<boolean>
}

/**
 * Applies these clients' saved plans (what `seiketsu provision` and `seiketsu onboard --apply`
 * run): the stacks are locked and the saved plans checked first (exit 1 when another plan or
 * provision is at a stack, exit 2 when a plan is missing or outdated; nothing applied), then
 * confirmed, then applied; destructive plans stay blocked unless allowed. The locks are held and
 * the checked plan copies kept until the applies are over.
 */
export async function provisionClients(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: ProvisionClientsOptions,
): Promise<ProvisionRun> {
  const {ready, pending} = splitPending(clients)
  const stacks = ready.map((client) => stackLocation(workspace, client.id))
  if (options.platform) stacks.push(stackLocation(workspace, PLATFORM_STACK_ID, 'platform'))
  const terraform = options.terraform ?? (await openTerraform(workspace, options))
  const {candidates, release} = await prepareProvision(stacks, options.allowDestroy, terraform)
  try {
    if (!(await options.confirm(candidates)))
      throw new SeiketsuError('Nothing was applied: not confirmed', ExitCode.Failure, {code: 'NOT_CONFIRMED'})
    const run = await applyPlans(terraform, candidates, options)
    if (pending.length === 0) return run
    return {...run, clients: sortById([...run.clients, ...pending.map((client) => skippedProvision(client.id))])}
  } finally {
    await release()
  }
}

export interface MigrateClientsOptions extends ClientRunOptions {
  /** Synthesize the stacks first (default): their backend blocks are what the state moves to. */
  synth?: boolean
}

/**
 * Moves these clients' states (and the platform's when asked) to the backend seiketsu.yaml `state`
 * now names, verified (what `seiketsu state migrate` runs). Clients still waiting for their AWS
 * account have no stack and no state: they are left out.
 */
export async function migrateClients(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: MigrateClientsOptions = {},
): Promise<MigrationRun> {
  const terraform = options.terraform ?? (await openTerraform(workspace, options))
  const {ready} = splitPending(clients)
  const stacks =
    options.synth === false
      ? await synthesizedStacks(workspace, ready, {platform: options.platform})
      : await synthesize(workspace, ready, options)
  const paths = workspacePaths(workspace.root)
  return migrateStackStates(terraform, stacks, {
    ...options,
    localStateRoot: paths.state,
    probeRoot: join(paths.cache, 'state-probe'),
  })
}

export interface BootstrapPlatformOptions extends SessionOptions {
  synth?: boolean
  allowDestroy?: readonly string[]
  confirm: BootstrapOptions['confirm']
  notify?: (message: string) => void
}

/**
 * The first day of S3 state (what `seiketsu state bootstrap` runs): the platform stack's first apply
 * on local state, then its verified move into the bucket it created. Idempotent.
 */
export async function bootstrapPlatformState(
  workspace: Workspace,
  options: BootstrapPlatformOptions,
): Promise<BootstrapResult> {
  const terraform = await openTerraform(workspace, options)
  const [platform] =
    options.synth === false
      ? await synthesizedStacks(workspace, [], {platform: true})
      : await synthesize(workspace, [], {notify: options.notify, platform: true})
  const paths = workspacePaths(workspace.root)
  return bootstrapState(terraform, platform!, {
    allowDestroy: options.allowDestroy,
    confirm: options.confirm,
    localStateRoot: paths.state,
    notify: options.notify,
    probeRoot: join(paths.cache, 'state-probe'),
  })
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
