import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import {SeiketsuError, ExitCode, usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import type {FleetOptions} from './fleet.ts'
import {planStacks, type PlanOptions, type PlanRun} from './plan.ts'
import {applyPlans, prepareProvision, type ProvisionCandidate, type ProvisionRun} from './provision.ts'
import {openTerraform, type SessionOptions, type TerraformSession, type TerraformStack} from './session.ts'

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
  const stacks =
    options.synth === false
      ? await synthesizedStacks(workspace, clients, {platform: options.platform})
      : await synthesize(workspace, clients, options)
  return planStacks(terraform, stacks, options)
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
  const stacks = clients.map((client) => stackLocation(workspace, client.id))
  if (options.platform) stacks.push(stackLocation(workspace, PLATFORM_STACK_ID, 'platform'))
  const terraform = options.terraform ?? (await openTerraform(workspace, options))
  const {candidates, release} = await prepareProvision(stacks, options.allowDestroy)
  try {
    if (!(await options.confirm(candidates)))
      throw new SeiketsuError('Nothing was applied: not confirmed', ExitCode.Failure, {code: 'NOT_CONFIRMED'})
    return await applyPlans(terraform, candidates, options)
  } finally {
    await release()
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
