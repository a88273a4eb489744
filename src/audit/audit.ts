import {relative, resolve as resolvePath} from 'node:path'

import {usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import {enabledIntegrations, SECRET_INTEGRATIONS, type ClientManifest} from '../registry/manifest.ts'
import {loadRegistry} from '../registry/registry.ts'
import {loadTiers, type TierCatalog} from '../tiers/tiers.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {evaluate, summarizeRule, type FleetContext} from './engine.ts'
import {bootstrapStackId} from '../stacks/model.ts'
import {
  isSynthesized,
  missingStacks,
  notSynthesized,
  readStackDocument,
  storedStack,
  type StoredStack,
} from '../stacks/store.ts'
import {registryFleet} from './fleet-members.ts'
import {loadPathStacks, loadPlanStacks, locateFindings} from './inputs.ts'
import {RULES} from './rules/index.ts'
import {applySuppressions, loadSuppressions} from './suppressions.ts'
import type {TerraformDocument} from '../configuration/model.ts'
import {buildStack} from './stack.ts'
import {
  atOrAbove,
  SEVERITIES,
  type AuditReport,
  type ClientContext,
  type Rule,
  type Severity,
  type Stack,
  type Suppression,
} from './types.ts'

export interface AuditOptions {
  /** Client ids whose synthesized stacks to audit (default: every client's, plus the platform stack). */
  ids?: string[]
  /** Files or folders of Terraform (*.tf.json, *.tf) to audit instead of / besides the stacks. */
  paths?: string[]
  /** `terraform show -json` outputs. */
  planJson?: string[]
  /** Where synth wrote the stacks (default: <workspace>/cdktf.out). */
  outDir?: string
  /** Unsuppressed findings at or above this fail the audit (default: low). */
  failOn?: Severity
  /** YYYY-MM-DD; exceptions expiring before it no longer apply (default: today, UTC). */
  today?: string
  /** Relative paths in findings are relative to this (default: the workspace root, else the process cwd). */
  cwd?: string
}

export interface AuditableStacks {
  stacks: Stack[]
  /** Every client of the registry that is not offboarded, on disk or not: what fleet rules compare with. */
  fleet: FleetContext
}

export function clientContext(workspace: Workspace, client: ClientManifest): ClientContext {
  return {
    accountId: client.accountId ?? undefined,
    cidr: client.cidr,
    drRegion: client.drRegion,
    id: client.id,
    managementAccountId: workspace.config.managementAccountId,
    region: client.region,
    secretIntegrations: enabledIntegrations(client).filter((name) => SECRET_INTEGRATIONS.includes(name)),
    tier: workspace.tiers[client.tier],
  }
}

/**
 * The synthesized stacks of the workspace: the selected clients' (exit 2 naming the file when one is
 * missing: run synth first) and the platform stack when no ids are given; and the fleet from the
 * registry, so that the fleet rules do not depend on which other stacks happen to be on disk.
 */
export async function loadWorkspaceStacks(
  workspace: Workspace,
  options: {ids?: string[]; outDir?: string; cwd: string},
): Promise<AuditableStacks> {
  const registry = await loadRegistry(workspace)
  const outDir = resolvePath(workspace.root, options.outDir ?? workspacePaths(workspace.root).out)
  const selected = registry.select(options.ids ?? [])
  const platform = workspace.config.platform
  const stacks: Stack[] = []
  const read = async (stored: StoredStack): Promise<TerraformDocument> => ({
    file: relative(options.cwd, stored.file),
    json: await readStackDocument(stored, options.cwd),
  })
  const missing = await missingStacks(selected.map((client) => storedStack(outDir, client.id)))
  if (missing.length > 0) throw notSynthesized(missing, options.cwd)
  for (const client of selected) {
    const context = {client: clientContext(workspace, client), platform}
    stacks.push(buildStack([await read(storedStack(outDir, client.id))], {...context, id: client.id, kind: 'client'}))
    // Its bootstrap stack, when it has one (a client with an account); synth writes both.
    const bootstrap = storedStack(outDir, bootstrapStackId(client.id))
    if (client.accountId && (await isSynthesized(bootstrap)))
      stacks.push(buildStack([await read(bootstrap)], {...context, id: bootstrap.id, kind: 'bootstrap'}))
  }
  const platformStack = storedStack(outDir, PLATFORM_STACK_ID)
  if (!options.ids?.length && (await isSynthesized(platformStack)))
    stacks.push(buildStack([await read(platformStack)], {id: PLATFORM_STACK_ID, kind: 'platform', platform}))
  const fleet = registryFleet(
    workspace.config,
    registry.clients,
    workspace.tiers,
    new Set(selected.map((client) => client.id)),
  )
  return {fleet, stacks}
}

export interface StackAuditOptions {
  rules?: readonly Rule[]
  suppressions?: readonly Suppression[]
  failOn?: Severity
  today?: string
  fleet?: FleetContext
}

/** The pure part: stacks in, report out. */
export function auditStacks(stacks: readonly Stack[], options: StackAuditOptions = {}): AuditReport {
  const rules = options.rules ?? RULES
  const failOn = options.failOn ?? 'low'
  const today = options.today ?? new Date().toISOString().slice(0, 10)
  const {checks, findings: raw} = evaluate(stacks, rules, options.fleet)
  const {applied, expired, findings, unused} = applySuppressions(raw, options.suppressions ?? [], today)
  const open = findings.filter((finding) => !finding.suppressed)
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((severity) => [severity, open.filter((f) => f.severity === severity).length]),
  ) as Record<Severity, number>
  return {
    checks,
    counts: {
      bySeverity,
      checks: checks.length,
      findings: findings.length,
      resources: stacks.reduce((total, stack) => total + stack.resources.length, 0),
      rules: rules.length,
      stacks: stacks.length,
      suppressed: findings.length - open.length,
      unsuppressed: open.length,
    },
    failOn,
    findings,
    passed: !open.some((finding) => atOrAbove(finding.severity, failOn)),
    rules: rules.map(summarizeRule),
    stacks: stacks.map((stack) => ({
      client: stack.client?.id,
      file: stack.file,
      id: stack.id,
      kind: stack.kind,
      resources: stack.resources.length,
    })),
    suppressions: {applied, expired, unused},
  }
}

let defaultTiers: Promise<TierCatalog> | undefined

/**
 * Audits a workspace: its synthesized stacks (all, or `ids`), and/or Terraform files and plans.
 * Without a workspace (undefined), only `paths` / `planJson` can be audited.
 */
export async function auditWorkspace(
  workspace: Workspace | undefined,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const cwd = options.cwd ?? workspace?.root ?? process.cwd()
  const external = Boolean(options.paths?.length || options.planJson?.length)
  if (!workspace && !external)
    throw usageError('Nothing to audit: no workspace, no --path and no --plan-json', {code: 'MISSING_INPUT'})
  const tiers = workspace?.tiers ?? (await (defaultTiers ??= loadTiers({}, 'tiers.yaml', () => undefined)))
  const platform = workspace?.config.platform
  const managementAccountId = workspace?.config.managementAccountId
  const stacks: Stack[] = []
  let fleet: FleetContext | undefined
  if (workspace && (!external || options.ids?.length)) {
    const loaded = await loadWorkspaceStacks(workspace, {cwd, ids: options.ids, outDir: options.outDir})
    stacks.push(...loaded.stacks)
    fleet = loaded.fleet
  } else if (workspace) {
    const registry = await loadRegistry(workspace)
    fleet = registryFleet(workspace.config, registry.clients, workspace.tiers)
  }
  const context = {cwd, managementAccountId, platform, tiers}
  if (options.paths?.length) stacks.push(...(await loadPathStacks(options.paths, context)))
  if (options.planJson?.length) stacks.push(...(await loadPlanStacks(options.planJson, context)))
  if (stacks.length === 0)
    throw usageError('Nothing to audit: the workspace has no synthesized stack yet', {
      code: 'NOT_SYNTHESIZED',
      suggestions: ['seiketsu synth writes the stacks; or pass --path / --plan-json'],
    })
  const suppressions = workspace ? await loadSuppressions(workspacePaths(workspace.root).exceptions) : []
  const report = auditStacks(stacks, {
    failOn: options.failOn,
    fleet,
    suppressions,
    today: options.today,
  })
  await locateFindings(report.findings, cwd)
  return report
}
