import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {decimal, displayAmount} from '../cost/money.ts'
import {SeiketsuError, ExitCode} from '../errors.ts'
import {trailHead} from '../registry/audit-trail.ts'
import {addClients, type AddOutcome, type ClientDraft, type DraftSource} from '../registry/changes.ts'
import {SECRET_INTEGRATIONS, type ClientManifest} from '../registry/manifest.ts'
import {loadRegistry, serializeManifest} from '../registry/registry.ts'
import {runTasks} from '../ui/tasks.ts'
import {alertDestination} from '../stacks/model.ts'
import {workspaceReadiness} from '../stacks/readiness.ts'
import {workspaceStack} from '../stacks/store.ts'
import type {PlanRun} from '../terraform/plan.ts'
import type {ProvisionCandidate, ProvisionRun} from '../terraform/provision.ts'
import type {ServiceGate} from '../terraform/service-gate.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'

export interface OnboardedClient {
  id: string
  created: boolean
  manifest: string
  cidr: string
  region: string
  drRegion: string
  accountId: string | null
  tier: {name: string; monthlyBudgetUsd: number; monthlyPriceUsd: number}
  /** Monthly cost estimate from the synthesized stack (exact decimal strings). */
  estimate?: {monthly: string; currency: 'USD'}
  /** Why there is no estimate (e.g. no price table for the region). */
  estimateUnavailable?: string
  stack?: {file: string; resources: number}
  /** With --dry-run: the manifest text that would be written. */
  manifestPreview?: string
  audit?: {passed: boolean; findings: number}
  signingKeys?: {created: boolean; deferred?: string}
  /** Where its alarms go (the workspace's on-call destination), or null: nobody yet. */
  alerts: string | null
  /** With --plan / --apply: whether its service runs tasks, and what it waits for. */
  service?: ServiceGate
}

export interface OnboardResult {
  dryRun: boolean
  clients: OnboardedClient[]
  next: string[]
  /** With --plan or --apply: what terraform would change (as `seiketsu plan --json`); with --apply, the last plan. */
  plan?: PlanRun
  /** With --apply: what was applied (as `seiketsu provision --json`); a first day applies in two rounds (`rounds`). */
  provision?: ProvisionRun
  /** With --apply: each plan-and-provision round (the bootstrap stacks first, then the client stacks). */
  rounds?: {plan: PlanRun; provision?: ProvisionRun}[]
  /** The exit code the plan / apply asks for (0 when neither ran). */
  exitCode: number
}

export interface OnboardOptions {
  command: string
  dryRun: boolean
  json: boolean
  /** Plan the new clients' stacks with terraform after the audit. */
  plan?: boolean
  /** Plan, then apply those plans (implies plan). */
  apply?: boolean
  terraformBin?: string
  /** Asked before applying, with what would be applied; onboard --apply --yes answers true. */
  confirmApply?: (candidates: readonly ProvisionCandidate[]) => Promise<boolean>
  notify?: (message: string) => void
}

interface OnboardContext {
  dryRun: boolean
  outcomes: AddOutcome[]
  results: OnboardedClient[]
}

/**
 * The seed's onboarding procedure as a task list: validate → allocate the CIDR and names → write
 * the manifests → synthesize the stacks → audit them → estimate. Rerunning it after a crash
 * completes it: the manifest write is the commit point, and every later step is idempotent.
 */
export async function onboardClients(
  workspace: Workspace,
  drafts: {draft: ClientDraft; source: DraftSource}[],
  options: OnboardOptions,
): Promise<OnboardResult> {
  // Validation runs before the task list: bad input is reported once, as the command's error, and
  // nothing is written. The allocation shown here is a preview; the write allocates under the lock.
  const preview = await addClients(workspace, drafts, {command: options.command}, {dryRun: true})
  if (!options.dryRun) await trailHead(workspacePaths(workspace.root).auditTrail)
  const context: OnboardContext = {dryRun: options.dryRun, outcomes: preview, results: []}
  const label = drafts.length === 1 ? drafts[0]!.draft.id : `${drafts.length} clients`
  const fresh = preview.filter((outcome) => outcome.created)
  const plural = drafts.length > 1 ? 's' : ''
  await runTasks<OnboardContext>(
    [
      {task: () => undefined, title: `Validated ${label}`},
      {
        task: () => undefined,
        title:
          fresh.length === 0
            ? 'Already in the registry: nothing to allocate'
            : `Allocated ${fresh.map((o) => `${o.client.id} ${o.client.cidr}`).join(', ')}`,
      },
      {
        enabled: () => !options.dryRun,
        task: async (ctx, task) => {
          // Under the registry lock: the allocation above was a preview; this one is authoritative.
          ctx.outcomes = await addClients(workspace, drafts, {command: options.command})
          const written = ctx.outcomes.filter((outcome) => outcome.created).map((outcome) => outcome.file)
          task.title = written.length > 0 ? `Wrote ${written.join(', ')}` : 'Manifests unchanged (same input as before)'
        },
        title: `Write the manifest${plural}`,
      },
      {
        enabled: () => !options.dryRun,
        task: async (ctx, task) => {
          const {ensureSigningKeys} = await import('../keys/signing-keys.ts')
          for (const outcome of ctx.outcomes) {
            const keys = await ensureSigningKeys(workspace, outcome.client, {command: options.command})
            resultFor(ctx, workspace, outcome).signingKeys = keys.deferred
              ? {created: false, deferred: keys.deferred}
              : {created: keys.created}
          }
          task.title = 'Token signing keys ready'
        },
        title: 'Create the token signing keys',
      },
      {
        task: async (ctx, task) => {
          const {synthesizeStacks} = await import('../stacks/synth.ts')
          if (options.dryRun) {
            // Synthesize into a scratch folder: the operator sees the stack without the workspace changing.
            const scratch = await mkdtemp(join(tmpdir(), 'seiketsu-onboard-'))
            try {
              const clients = ctx.outcomes.map((outcome) => outcome.client)
              const stacks = await synthesizeStacks(workspace, clients, {includePlatform: false, outDir: scratch})
              for (const stack of stacks.filter((s) => s.kind === 'client')) {
                const outcome = ctx.outcomes.find((o) => o.client.id === stack.id)!
                const {file} = workspaceStack(workspace, stack.id)
                resultFor(ctx, workspace, outcome).stack = {file, resources: stack.resources}
              }
              task.title = `Would synthesize ${describeStacks(stacks)}`
            } finally {
              await rm(scratch, {force: true, recursive: true})
            }
            return
          }
          const registry = await loadRegistry(workspace)
          const clients = ctx.outcomes.map((outcome) => registry.get(outcome.client.id))
          const stacks = await synthesizeStacks(workspace, clients, {allClients: registry.clients})
          for (const stack of stacks.filter((s) => s.kind === 'client')) {
            const outcome = ctx.outcomes.find((o) => o.client.id === stack.id)!
            resultFor(ctx, workspace, outcome).stack = {file: stack.file, resources: stack.resources}
          }
          task.title = `Synthesized ${describeStacks(stacks)}`
        },
        title: `Synthesize the stack${plural}`,
      },
      {
        enabled: () => !options.dryRun,
        task: async (ctx, task) => {
          const {auditWorkspace} = await import('../audit/audit.ts')
          const report = await auditWorkspace(workspace, {ids: ctx.outcomes.map((o) => o.client.id)})
          for (const outcome of ctx.outcomes) {
            const findings = report.findings.filter((f) => f.client === outcome.client.id && !f.suppressed)
            resultFor(ctx, workspace, outcome).audit = {findings: findings.length, passed: findings.length === 0}
          }
          task.title = report.passed
            ? `Audited: no finding in ${report.counts.checks} checks`
            : `Audit: ${report.counts.unsuppressed} findings`
          if (!report.passed)
            throw new SeiketsuError(
              `The new stack fails the audit (${report.counts.unsuppressed} findings): seiketsu audit ${ctx.outcomes.map((o) => o.client.id).join(' ')} shows them`,
              ExitCode.Policy,
              {
                code: 'AUDIT_FAILED',
                details: {findings: report.findings},
                // A workspace setting still missing is the usual cause of a new client's findings.
                suggestions: workspaceReadiness(workspace.config),
              },
            )
        },
        title: `Audit the stack${plural}`,
      },
      {
        enabled: () => !options.dryRun,
        task: async (ctx, task) => {
          const {estimateClient} = await import('../cost/client-estimate.ts')
          const missing: string[] = []
          for (const outcome of ctx.outcomes) {
            // The estimate informs; a region without a price table must not undo an onboarding.
            try {
              const estimate = await estimateClient(workspace, outcome.client)
              resultFor(ctx, workspace, outcome).estimate = {
                currency: 'USD',
                monthly: displayAmount(decimal(estimate.monthly)),
              }
            } catch (error) {
              resultFor(ctx, workspace, outcome).estimateUnavailable = (error as Error).message
              missing.push(outcome.client.id)
            }
          }
          task.title =
            missing.length === 0
              ? 'Estimated the monthly cost'
              : `Estimated the monthly cost (not for ${missing.join(', ')})`
        },
        title: 'Estimate the monthly cost',
      },
    ],
    {ctx: context, json: options.json},
  )
  for (const outcome of context.outcomes) resultFor(context, workspace, outcome)
  const clients = context.outcomes.map((outcome) => outcome.client)
  const result: OnboardResult = {clients: context.results, dryRun: options.dryRun, exitCode: 0, next: []}
  if (!options.dryRun && (options.plan || options.apply)) {
    const [{planClients, provisionClients}, {openTerraform}] = await Promise.all([
      import('../terraform/clients.ts'),
      import('../terraform/session.ts'),
    ])
    const terraform = await openTerraform(workspace, {terraformBin: options.terraformBin})
    // The platform stack too: it holds each client's budget (and creates the accounts of new ones).
    const common = {notify: options.notify, platform: true, progress: !options.json, terraform}
    if (options.apply) result.rounds = []
    // A first day takes two rounds: the bootstrap stacks (and the platform stack) are applied, then
    // the client stacks, which wait for their bootstrap, are planned and applied.
    for (let round = 0; round < (options.apply ? 2 : 1); round++) {
      const plan = await planClients(workspace, clients, {...common, synth: false})
      result.plan = plan
      result.exitCode = plan.exitCode
      if (!options.apply || plan.exitCode !== 0) break
      const provision = await provisionClients(workspace, clients, {
        ...common,
        confirm: options.confirmApply ?? (async () => false),
      })
      result.rounds!.push({plan, provision})
      result.provision = provision
      result.exitCode = provision.exitCode
      const waited = plan.clients.some((stack) => stack.code === 'WAITING_FOR_BOOTSTRAP')
      if (provision.exitCode !== 0 || !waited) break
    }
    for (const stack of result.plan?.clients ?? [])
      if (stack.service) context.results.find((client) => client.id === stack.id)!.service = stack.service
  }
  result.next = options.dryRun ? ['seiketsu onboard … again without --dry-run'] : nextCommands(clients, result)
  return result
}

/**
 * What the operator runs next, in the order the stacks apply (DESIGN.md): the platform stack (it
 * holds each client's budget and creates new accounts), each account's bootstrap stack, the client
 * stack, its secrets, then once more to start the service.
 */
function nextCommands(clients: readonly ClientManifest[], result: OnboardResult): string[] {
  const ready = clients.filter((client) => client.accountId).map((client) => client.id)
  const pending = clients.filter((client) => !client.accountId).map((client) => client.id)
  const applied = result.provision?.exitCode === ExitCode.Ok
  const waiting = (result.plan?.clients ?? []).some((stack) => stack.code === 'WAITING_FOR_BOOTSTRAP')
  const gated = result.clients.some((client) => client.service && !client.service.enabled)
  const ids = ready.join(' ')
  const lines: string[] = []
  // After --plan the platform stack's plan is saved with the others: one provision applies them all.
  if (!applied && !result.plan)
    lines.push(
      `seiketsu plan platform && seiketsu provision platform   (the client budgets${pending.length > 0 ? `; creates the AWS accounts of ${pending.join(', ')}` : ''})`,
    )
  if (pending.length > 0)
    lines.push(
      `seiketsu clients update ${pending.length === 1 ? pending[0] : 'ID'} --account-id <new account id>   (once created)`,
    )
  if (ready.length === 0) return result.plan && !applied ? ['seiketsu provision platform', ...lines] : lines
  if (!result.plan)
    lines.push(
      `seiketsu plan ${ids} && seiketsu provision ${ids}   (twice on the first day: its account's bootstrap stack, then its stack)`,
    )
  else if (!applied) lines.push(`seiketsu provision platform ${ids}`)
  else if (waiting) lines.push(`seiketsu plan ${ids} && seiketsu provision ${ids}`)
  lines.push(...secretCommands(clients.filter((client) => client.accountId)))
  if (!result.plan || gated)
    lines.push(
      `seiketsu plan ${ids} && seiketsu provision ${ids}   (once image.digest is set and the secrets hold values: the service starts)`,
    )
  return lines
}

function resultFor(ctx: OnboardContext, workspace: Workspace, outcome: AddOutcome): OnboardedClient {
  const existing = ctx.results.find((result) => result.id === outcome.client.id)
  if (existing) return existing
  const tier = workspace.tiers[outcome.client.tier]!
  const result: OnboardedClient = {
    accountId: outcome.client.accountId,
    cidr: outcome.client.cidr,
    created: outcome.created,
    drRegion: outcome.client.drRegion,
    id: outcome.client.id,
    manifest: outcome.file,
    alerts: onCallOf(workspace),
    region: outcome.client.region,
    tier: {monthlyBudgetUsd: tier.monthlyBudgetUsd, monthlyPriceUsd: tier.monthlyPriceUsd, name: tier.name},
  }
  if (ctx.dryRun && outcome.created) result.manifestPreview = serializeManifest(outcome.client)
  ctx.results.push(result)
  return result
}

/** Where a client's alarms go, as the summary says it. */
function onCallOf(workspace: Workspace): string | null {
  const destination = alertDestination(workspace.config)
  return destination ? `${destination.protocol} ${destination.endpoint}` : null
}

function secretCommands(clients: ClientManifest[]): string[] {
  return clients.flatMap((client) =>
    SECRET_INTEGRATIONS.filter((name) => client.integrations[name]?.enabled).map(
      (name) => `seiketsu secrets set ${client.id} ${name}`,
    ),
  )
}

/** What an operator reads at the end: what was created, what it costs, what to run next. */
export function renderOnboardSummary(result: OnboardResult, workspace: Workspace): string {
  const lines: string[] = ['']
  for (const client of result.clients) {
    const verb = result.dryRun ? 'would onboard' : client.created ? 'onboarded' : 'already onboarded'
    lines.push(`${client.id}: ${verb}`)
    lines.push(`  manifest   ${client.manifest}${result.dryRun ? ' (not written)' : ''}`)
    if (client.manifestPreview)
      lines.push(
        ...client.manifestPreview
          .trimEnd()
          .split('\n')
          .map((line) => `    | ${line}`),
      )
    lines.push(`  network    ${client.cidr} in ${client.region} (backups to ${client.drRegion})`)
    lines.push(`  account    ${client.accountId ?? 'none yet: the platform stack creates it (seiketsu plan platform)'}`)
    if (client.stack)
      lines.push(`  stack      ${relative(workspace.root, client.stack.file)} (${client.stack.resources} resources)`)
    if (client.audit)
      lines.push(`  audit      ${client.audit.passed ? 'passed: no finding' : `${client.audit.findings} findings`}`)
    const usd = (amount: number) => `$${displayAmount(decimal(amount))}`
    const tier = `${client.tier.name}: budget ${usd(client.tier.monthlyBudgetUsd)}/month, price ${usd(client.tier.monthlyPriceUsd)}/month`
    lines.push(`  tier       ${tier}`)
    if (client.estimateUnavailable) lines.push(`  estimate   unavailable: ${client.estimateUnavailable}`)
    if (client.estimate)
      lines.push(`  estimate   $${client.estimate.monthly}/month (seiketsu cost estimate ${client.id})`)
    lines.push(
      `  alarms     ${client.alerts ? `to ${client.alerts}${client.alerts.startsWith('email') ? ' (its confirmation link must be clicked once)' : ''}` : 'to nobody: set alerts.email or alerts.https in seiketsu.yaml'}`,
    )
    if (client.service)
      lines.push(
        `  service    ${client.service.enabled ? 'runs its tasks' : `0 tasks until ${client.service.waitingFor.map((wait) => wait.what).join(', ')}`}`,
      )
  }
  if (result.next.length > 0) lines.push('', 'Next:', ...result.next.map((command) => `  ${command}`))
  return lines.join('\n')
}

/** `acme (133 resources), 1 bootstrap stack, platform (31 resources)`: client stacks first, by name. */
function describeStacks(stacks: readonly {id: string; kind: string; resources: number}[]): string {
  const named = (kind: string) =>
    stacks.filter((stack) => stack.kind === kind).map((stack) => `${stack.id} (${stack.resources} resources)`)
  const bootstraps = stacks.filter((stack) => stack.kind === 'bootstrap').length
  return [
    ...named('client'),
    ...(bootstraps > 0 ? [`${bootstraps} bootstrap stack${bootstraps === 1 ? '' : 's'}`] : []),
    ...named('platform'),
  ].join(', ')
}
