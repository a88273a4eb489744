import {usageError} from '../errors.ts'
import {drRegionFor} from '../workspace/config.ts'
import {actorIdentity} from '../workspace/git.ts'
import {problemsError, zodProblems, type Problem} from '../input/problems.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {appendTrail, readTrail, trailHead, type TrailEntry} from './audit-trail.ts'
import {allocateCidr, cidrsOverlap, poolCapacity} from '../cidr.ts'
import {withLock} from './lock.ts'
import {
  ClientManifestSchema,
  INTEGRATIONS,
  type ClientManifest,
  type ClientStatus,
  type Integration,
  type IntegrationName,
} from './manifest.ts'
import {clientRuleProblems, readRegistry, writeManifest} from './registry.ts'

/** What an operator says about a new client; the registry adds the rest (CIDR, DR region, status, times). */
export interface ClientDraft {
  id: string
  name: string
  email: string
  tier: string
  residency: string
  region: string
  accountId: string | null
  integrations: Partial<Record<IntegrationName, Integration>>
  /** Only when importing a client that already has a network. */
  cidr?: string
  drRegion?: string
  /** For an account the platform did not create: the role to bootstrap it through, what it already has. */
  bootstrap?: ClientManifest['bootstrap']
}

/** Where a draft came from, so that problems name a flag or a file field. */
export interface DraftSource {
  file: string
  fieldLabel?: (field: string) => string
}

export interface ChangeContext {
  command: string
  now?: Date
}

export interface AddOutcome {
  client: ClientManifest
  created: boolean
  file: string
}

/** The differences between an existing client and a draft for it (empty: same client). */
export function draftDifferences(
  existing: ClientManifest,
  draft: ClientDraft,
): {field: string; existing: unknown; requested: unknown}[] {
  const differences: {field: string; existing: unknown; requested: unknown}[] = []
  const compare = (field: string, current: unknown, requested: unknown) => {
    if (JSON.stringify(current) !== JSON.stringify(requested)) differences.push({existing: current, field, requested})
  }
  compare('name', existing.name, draft.name)
  compare('email', existing.email, draft.email)
  compare('tier', existing.tier, draft.tier)
  compare('residency', existing.residency, draft.residency)
  compare('region', existing.region, draft.region)
  compare('accountId', existing.accountId, draft.accountId)
  compare('integrations', describeIntegrations(existing.integrations), describeIntegrations(draft.integrations))
  if (draft.cidr !== undefined) compare('cidr', existing.cidr, draft.cidr)
  if (draft.drRegion !== undefined) compare('drRegion', existing.drRegion, draft.drRegion)
  if (draft.bootstrap !== undefined) compare('bootstrap', existing.bootstrap, draft.bootstrap)
  return differences
}

/** The enabled integrations with their settings, as a reviewer reads them: `elevenlabs (voiceId=rachel), twilio`. */
export function describeIntegrations(integrations: Partial<Record<IntegrationName, Integration>>): string {
  const enabled = Object.entries(normalizeIntegrations(integrations)).filter(([, integration]) => integration.enabled)
  if (enabled.length === 0) return 'none'
  return enabled
    .map(([name, {settings}]) => {
      const pairs = Object.entries(settings).map(([key, value]) => `${key}=${value}`)
      return pairs.length > 0 ? `${name} (${pairs.join(', ')})` : name
    })
    .join(', ')
}

/** Every integration, in catalogue order, with enabled and settings spelled out. */
export function normalizeIntegrations(
  integrations: Partial<Record<IntegrationName, Integration>>,
): Record<IntegrationName, Integration> {
  const result = {} as Record<IntegrationName, Integration>
  for (const name of INTEGRATIONS) {
    const integration = integrations[name]
    const settings = Object.fromEntries(
      Object.entries(integration?.settings ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    )
    result[name] = {enabled: integration?.enabled ?? false, settings}
  }
  return result
}

/**
 * Turns a draft into a full manifest against the current registry: validates every field, checks
 * the account is not another client's, allocates the lowest free CIDR. Pure: no I/O.
 */
export function resolveDraft(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  draft: ClientDraft,
  source: DraftSource,
  now: Date,
): {client?: ClientManifest; problems: Problem[]} {
  const label = source.fieldLabel ?? ((field: string) => field)
  const cidr =
    draft.cidr ??
    allocateCidr(
      workspace.config.network.pools,
      workspace.config.network.prefixLength,
      clients.map((c) => c.cidr),
    )
  if (!cidr)
    return {
      problems: [
        {
          file: 'seiketsu.yaml',
          field: 'network.pools',
          message: `the pools are full: all ${poolCapacity(workspace.config.network.pools, workspace.config.network.prefixLength)} /${workspace.config.network.prefixLength} blocks are taken; add a pool to network.pools`,
        },
      ],
    }
  const timestamp = now.toISOString()
  const candidate = {
    accountId: draft.accountId,
    ...(draft.bootstrap ? {bootstrap: draft.bootstrap} : {}),
    cidr,
    createdAt: timestamp,
    drRegion: draft.drRegion ?? drRegionFor(workspace.config, draft.residency, draft.region) ?? '',
    email: draft.email,
    id: draft.id,
    integrations: normalizeIntegrations(draft.integrations),
    name: draft.name,
    region: draft.region,
    residency: draft.residency,
    status: 'active' as ClientStatus,
    tier: draft.tier,
    updatedAt: timestamp,
  }
  const parsed = ClientManifestSchema.safeParse(candidate)
  const relabel = (problem: Problem): Problem => ({
    ...problem,
    field: problem.field ? label(problem.field) : problem.field,
    file: source.file,
  })
  if (!parsed.success) return {problems: zodProblems(parsed.error, source.file, candidate).map(relabel)}
  const client = parsed.data
  const problems = clientRuleProblems(workspace, client, source.file)
    // The DR region is derived; a residency that lacks one is a workspace problem, reported once.
    .filter((problem) => !(problem.field === 'drRegion' && draft.drRegion === undefined && !client.drRegion))
    .map(relabel)
  if (!client.drRegion)
    problems.push({
      file: 'seiketsu.yaml',
      field: `residencies.${client.residency}.drRegions`,
      message: `no DR region other than ${client.region}`,
    })
  const others = clients.filter((other) => other.id !== client.id)
  const accountOwner = client.accountId ? others.find((other) => other.accountId === client.accountId) : undefined
  if (accountOwner)
    problems.push({
      file: source.file,
      field: label('accountId'),
      message: `account ${client.accountId} already belongs to client '${accountOwner.id}'`,
    })
  const overlapping = others.find((other) => cidrsOverlap(other.cidr, client.cidr))
  if (overlapping)
    problems.push({
      file: source.file,
      field: label('cidr'),
      message: `${client.cidr} overlaps ${overlapping.cidr} of client '${overlapping.id}'`,
    })
  return problems.length > 0 ? {problems} : {client, problems}
}

/**
 * Adds clients to the registry under the inter-process lock: each manifest written atomically, each
 * change appended to the audit trail. Re-adding a client with the same input is a no-op; with
 * different input it is exit 2. Nothing is written unless every draft is valid.
 */
export async function addClients(
  workspace: Workspace,
  drafts: {draft: ClientDraft; source: DraftSource}[],
  context: ChangeContext,
  options: {dryRun?: boolean} = {},
): Promise<AddOutcome[]> {
  const now = context.now ?? new Date()
  const paths = workspacePaths(workspace.root)
  const work = async () => {
    const {clients: current, problems: registryProblems} = await readRegistry(workspace)
    if (registryProblems.length > 0)
      throw problemsError('The client registry is invalid; fix it before adding clients:', registryProblems)
    const clients = [...current]
    const outcomes: AddOutcome[] = []
    const problems: Problem[] = []
    const seenInBatch = new Set<string>()
    for (const {draft, source} of drafts) {
      if (seenInBatch.has(draft.id)) {
        problems.push({
          file: source.file,
          field: (source.fieldLabel ?? String)('id'),
          message: `'${draft.id}' appears twice in this input`,
        })
        continue
      }
      seenInBatch.add(draft.id)
      const existing = clients.find((client) => client.id === draft.id)
      if (existing) {
        const differences = draftDifferences(existing, draft)
        if (differences.length === 0) {
          outcomes.push({client: existing, created: false, file: `clients/${existing.id}.yaml`})
          continue
        }
        throw usageError(
          [
            `Client '${draft.id}' already exists with different values:`,
            ...differences.map(
              (d) =>
                `  - ${d.field}: registry has ${JSON.stringify(d.existing)}, input has ${JSON.stringify(d.requested)}`,
            ),
          ].join('\n'),
          {
            code: 'CLIENT_EXISTS',
            details: {client: draft.id, differences},
            suggestions: [`Change an existing client with: seiketsu clients update ${draft.id} …`],
          },
        )
      }
      const resolved = resolveDraft(workspace, clients, draft, source, now)
      if (!resolved.client) {
        problems.push(...resolved.problems)
        continue
      }
      clients.push(resolved.client)
      outcomes.push({client: resolved.client, created: true, file: `clients/${resolved.client.id}.yaml`})
    }
    if (problems.length > 0) throw problemsError('Nothing was written; the input is invalid:', dedupe(problems))
    if (options.dryRun) return outcomes
    await trailHead(paths.auditTrail) // a broken trail stops the change before anything is written
    for (const outcome of outcomes.filter((o) => o.created)) await writeManifest(workspace, outcome.client)
    await recordChanges(workspace, outcomes, context, now)
    return outcomes
  }
  return options.dryRun ? work() : withLock(paths.registryLock, work)
}

/** Appends an onboard record per new client, and repairs the trail for clients whose record a crash lost. */
async function recordChanges(workspace: Workspace, outcomes: AddOutcome[], context: ChangeContext, now: Date) {
  const file = workspacePaths(workspace.root).auditTrail
  const recorded = new Set(
    (await readTrail(file)).flatMap((line) => {
      try {
        const record = JSON.parse(line) as {action?: string; client?: string}
        return record.action === 'onboard' && record.client ? [record.client] : []
      } catch {
        return []
      }
    }),
  )
  const actor = await actorIdentity(workspace.root)
  const entries: TrailEntry[] = outcomes
    .filter((outcome) => !recorded.has(outcome.client.id))
    .map((outcome) => ({
      action: 'onboard',
      actor,
      at: now.toISOString(),
      change: {created: manifestSummary(outcome.client)},
      client: outcome.client.id,
      command: context.command,
    }))
  await appendTrail(file, entries)
}

function manifestSummary(client: ClientManifest) {
  return {
    accountId: client.accountId,
    cidr: client.cidr,
    drRegion: client.drRegion,
    email: client.email,
    integrations: INTEGRATIONS.filter((name) => client.integrations[name]?.enabled),
    name: client.name,
    region: client.region,
    residency: client.residency,
    status: client.status,
    tier: client.tier,
  }
}

/** A change to one integration: switch it on or off, and/or set some of its settings. */
export interface IntegrationPatch {
  enabled?: boolean
  settings?: Record<string, string>
}

export type ClientChanges = Partial<Pick<ClientManifest, 'name' | 'email' | 'tier' | 'status' | 'accountId'>> & {
  integrations?: Partial<Record<IntegrationName, IntegrationPatch>>
}

/** Applies integration patches: settings merge into the existing ones; a setting needs the integration on. */
export function patchIntegrations(
  existing: Partial<Record<IntegrationName, Integration>>,
  patches: Partial<Record<IntegrationName, IntegrationPatch>>,
): {integrations: Record<IntegrationName, Integration>; problems: string[]} {
  const integrations = normalizeIntegrations(existing)
  const problems: string[] = []
  for (const name of INTEGRATIONS) {
    const patch = patches[name]
    if (!patch) continue
    const enabled = patch.enabled ?? integrations[name].enabled
    if (!enabled && patch.settings && Object.keys(patch.settings).length > 0)
      problems.push(`${name} is off: enable it (--integrations) before changing its settings`)
    integrations[name] = {enabled, settings: {...integrations[name].settings, ...patch.settings}}
  }
  return {integrations: normalizeIntegrations(integrations), problems}
}

/** Which status may follow which: offboarding is one way, offboarded is final. */
const STATUS_TRANSITIONS: Record<ClientStatus, readonly ClientStatus[]> = {
  active: ['suspended', 'offboarding'],
  offboarded: [],
  offboarding: ['offboarded'],
  suspended: ['active', 'offboarding'],
}

/** Changes a client under the lock, validates the result, writes it atomically and records the change. */
export async function updateClient(
  workspace: Workspace,
  id: string,
  changes: ClientChanges,
  context: ChangeContext,
  options: {dryRun?: boolean} = {},
): Promise<{client: ClientManifest; changed: {field: string; from: unknown; to: unknown}[]}> {
  const now = context.now ?? new Date()
  const paths = workspacePaths(workspace.root)
  const work = async () => {
    const {clients, problems: registryProblems} = await readRegistry(workspace)
    if (registryProblems.length > 0)
      throw problemsError('The client registry is invalid; fix it first:', registryProblems)
    const existing = clients.find((client) => client.id === id)
    if (!existing)
      throw usageError(`Unknown client: ${id}`, {
        code: 'UNKNOWN_CLIENT',
        suggestions: ['seiketsu clients list shows the registry'],
      })
    if (
      changes.status &&
      changes.status !== existing.status &&
      !STATUS_TRANSITIONS[existing.status].includes(changes.status)
    )
      throw usageError(
        `status: ${existing.status} → ${changes.status} is not allowed (from ${existing.status}: ${STATUS_TRANSITIONS[existing.status].join(', ') || 'none, it is final'})`,
        {code: 'INVALID_TRANSITION', input: 'status'},
      )
    const patched = changes.integrations ? patchIntegrations(existing.integrations, changes.integrations) : undefined
    if (patched && patched.problems.length > 0)
      throw usageError(`setting: ${patched.problems.join('; ')}`, {code: 'INVALID_FLAG', input: 'setting'})
    const next: ClientManifest = {
      ...existing,
      ...Object.fromEntries(
        Object.entries(changes).filter(([key, value]) => value !== undefined && key !== 'integrations'),
      ),
      integrations: patched ? patched.integrations : existing.integrations,
    }
    const changed = (['name', 'email', 'tier', 'status', 'accountId', 'integrations'] as const)
      .filter((field) => JSON.stringify(existing[field]) !== JSON.stringify(next[field]))
      .map((field) => ({field, from: existing[field], to: next[field]}))
    if (changed.length === 0) return {changed, client: existing}
    next.updatedAt = now.toISOString()
    const parsed = ClientManifestSchema.safeParse(next)
    if (!parsed.success)
      throw problemsError(
        'Nothing was written; the change is invalid:',
        zodProblems(parsed.error, `clients/${id}.yaml`, next),
      )
    const problems = clientRuleProblems(workspace, parsed.data)
    const accountOwner = parsed.data.accountId
      ? clients.find((c) => c.id !== id && c.accountId === parsed.data.accountId)
      : undefined
    if (accountOwner)
      problems.push({
        file: `clients/${id}.yaml`,
        field: 'accountId',
        message: `account ${parsed.data.accountId} already belongs to client '${accountOwner.id}'`,
      })
    if (problems.length > 0) throw problemsError('Nothing was written; the change is invalid:', problems)
    if (options.dryRun) return {changed, client: parsed.data}
    await trailHead(paths.auditTrail) // a broken trail stops the change before anything is written
    await writeManifest(workspace, parsed.data)
    await appendTrail(paths.auditTrail, [
      {
        action: changes.status && changes.status !== existing.status ? 'status' : 'update',
        actor: await actorIdentity(workspace.root),
        at: now.toISOString(),
        change: Object.fromEntries(changed.map(({field, from, to}) => [field, {from, to}])),
        client: id,
        command: context.command,
      },
    ])
    return {changed, client: parsed.data}
  }
  return options.dryRun ? work() : withLock(paths.registryLock, work)
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((problem) => {
    const key = `${problem.file}|${problem.field}|${problem.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
