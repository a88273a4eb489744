import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import {SeiketsuError, ExitCode, usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import {bootstrapStackId} from '../stacks/model.ts'
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
import {setUpDatabaseUser} from './database-user.ts'
import {planFilesOf, readPlanRecord} from './plan-files.ts'
import {serviceGates} from './service-gate.ts'
import {openTerraform, type SessionOptions, type TerraformSession, type TerraformStack} from './session.ts'
import {bootstrapState, type BootstrapOptions, type BootstrapResult} from './state-bootstrap.ts'
import {migrateStackStates, type MigrationRun} from './state-migration.ts'

/** Where synth writes a stack: cdktf.out/stacks/<id>/cdk.tf.json (a bootstrap stack: <client>/bootstrap). */
export function stackLocation(
  workspace: Workspace,
  id: string,
  kind: TerraformStack['kind'] = 'client',
): TerraformStack {
  const dir = join(workspacePaths(workspace.root).out, 'stacks', ...id.split('/'))
  return {dir, file: join(dir, 'cdk.tf.json'), id, kind}
}

/**
 * The stacks of these clients in the order they apply (DESIGN.md): the platform stack first (when
 * asked), then each client account's bootstrap stack, then the client stacks. Clients are given
 * with an account (a client waiting for one has neither stack yet).
 */
export function fleetStacks(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: {platform?: boolean} = {},
): TerraformStack[] {
  return [
    ...(options.platform ? [stackLocation(workspace, PLATFORM_STACK_ID, 'platform')] : []),
    ...clients.map((client) => stackLocation(workspace, bootstrapStackId(client.id), 'bootstrap')),
    ...clients.map((client) => stackLocation(workspace, client.id)),
  ]
}

/** Each client stack's bootstrap stack, when that is in the run: planned or applied first. */
export function bootstrapPrerequisites(stacks: readonly TerraformStack[]): Map<string, string> {
  const ids = new Set(stacks.map((stack) => stack.id))
  return new Map(
    stacks
      .filter((stack) => stack.kind === 'client' && ids.has(bootstrapStackId(stack.id)))
      .map((stack) => [stack.id, bootstrapStackId(stack.id)]),
  )
}

/**
 * The synthesized stacks of these clients (and the platform stack when asked), in apply order; a
 * missing one is exit 2 (run seiketsu synth).
 */
export async function synthesizedStacks(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: {platform?: boolean} = {},
): Promise<TerraformStack[]> {
  // A bootstrap stack is planned when it is there (stacks synthesized by an earlier seiketsu have none).
  const stacks = await existingStacks(fleetStacks(workspace, clients, options))
  const missing: string[] = []
  for (const stack of stacks) if (!(await isFile(stack.file))) missing.push(stack.id)
  if (missing.length > 0)
    throw usageError(`No synthesized stack for ${missing.join(', ')}`, {
      code: 'NOT_SYNTHESIZED',
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
  // Each client's service gate, checked through AWS before terraform runs (see service-gate.ts).
  const {gates, errors} = await serviceGates(workspace, ready)
  const failures = new Map(
    [...errors].map(([id, error]) => [
      id,
      {
        code: error.code,
        error: `its integration secrets could not be checked: ${error.message}`,
        step: 'service' as const,
      },
    ]),
  )
  const run = await planStacks(terraform, stacks, {
    ...options,
    failures,
    prerequisites: bootstrapPrerequisites(stacks),
    services: gates,
  })
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

/** How results are shown: by client, each bootstrap stack before its client's stack, the platform stack last. */
function sortById<T extends {id: string; kind: string}>(results: T[]): T[] {
  const client = (result: T) => result.id.split('/')[0]!
  return results.sort(
    (a, b) =>
      Number(a.kind === 'platform') - Number(b.kind === 'platform') ||
      client(a).localeCompare(client(b)) ||
      Number(b.kind === 'bootstrap') - Number(a.kind === 'bootstrap'),
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
  const written = await synthesizeStacks(workspace, clients, {includePlatform: options.platform ?? false})
  // In apply order: platform, bootstrap stacks, client stacks (synth writes them in its own order).
  const order = fleetStacks(workspace, clients, {platform: options.platform}).map((stack) => stack.id)
  return written
    .filter((stack) => order.includes(stack.id))
    .sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
    .map(({dir, file, id, kind}) => ({dir, file, id, kind}))
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
  // A bootstrap stack synthesized before, or not yet written, is simply not in the run.
  const fleet = await existingStacks(fleetStacks(workspace, ready, {platform: options.platform}))
  const {stacks, waiting} = await withoutWaitingStacks(fleet)
  const terraform = options.terraform ?? (await openTerraform(workspace, options))
  const {candidates, release} = await prepareProvision(stacks, options.allowDestroy, terraform)
  try {
    if (!(await options.confirm(candidates)))
      throw new SeiketsuError('Nothing was applied: not confirmed', ExitCode.Failure, {code: 'NOT_CONFIRMED'})
    const byId = new Map(ready.map((client) => [client.id, client]))
    const run = await applyPlans(terraform, candidates, {
      ...options,
      afterApply: async ({record, stack}) => {
        if (stack.kind !== 'client') return undefined
        options.notify?.(`${stack.id}: setting up its database user…`)
        const databaseUser = await setUpDatabaseUser(workspace, byId.get(stack.id)!, stack, terraform, record, {
          file: planFilesOf(stack.dir).log,
          stdout: true,
        })
        return databaseUser ? {databaseUser} : undefined
      },
      prerequisites: bootstrapPrerequisites(stacks),
    })
    const setupFailed = run.clients.some((result) =>
      ['failed', 'timed-out'].includes(result.databaseUser?.status ?? ''),
    )
    return {
      ...run,
      clients: sortById([...run.clients, ...waiting, ...pending.map((client) => skippedProvision(client.id))]),
      // The stack applied but its database user is not there: the app cannot connect (an AWS failure).
      exitCode: setupFailed && run.exitCode === ExitCode.Ok ? ExitCode.External : run.exitCode,
    }
  } finally {
    await release()
  }
}

/**
 * Client stacks that have no saved plan because their bootstrap stack had changes to apply when they
 * were planned: not an error (nothing was planned for them, on purpose), they wait for the next plan.
 */
async function withoutWaitingStacks(
  stacks: readonly TerraformStack[],
): Promise<{stacks: TerraformStack[]; waiting: StackProvisionResult[]}> {
  const prerequisites = bootstrapPrerequisites(stacks)
  const waiting: StackProvisionResult[] = []
  const kept: TerraformStack[] = []
  for (const stack of stacks) {
    const bootstrap = prerequisites.get(stack.id)
    const bootstrapStack = stacks.find((candidate) => candidate.id === bootstrap)
    if (bootstrapStack && !(await readPlanRecord(stack.dir)) && (await readPlanRecord(bootstrapStack.dir))?.changes) {
      waiting.push({
        ...skippedProvision(stack.id),
        code: 'WAITING_FOR_BOOTSTRAP',
        error: `no plan yet: it waits for ${bootstrap}; once that is applied, seiketsu plan ${stack.id} and provision again`,
      })
      continue
    }
    kept.push(stack)
  }
  return {stacks: kept, waiting}
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

async function existingStacks(stacks: readonly TerraformStack[]): Promise<TerraformStack[]> {
  const present = await Promise.all(
    stacks.map(async (stack) => stack.kind !== 'bootstrap' || (await isFile(stack.file))),
  )
  return stacks.filter((_, index) => present[index])
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
