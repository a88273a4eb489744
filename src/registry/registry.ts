import {mkdir, readdir} from 'node:fs/promises'
import {join} from 'node:path'

import writeFileAtomic from 'write-file-atomic'
import {stringify} from 'yaml'

import {usageError} from '../errors.ts'
import {problemsError, zodProblems, type Problem} from '../input/problems.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {readYamlFile} from '../input/yaml-file.ts'
import {blockSize, parseCidr, type Block} from '../cidr.ts'
import {ClientManifestSchema, MANIFEST_KEY_ORDER, type ClientManifest, type ClientStatus} from './manifest.ts'

/** The client registry: one validated manifest per client under clients/. */
export class Registry {
  readonly workspace: Workspace
  readonly clients: readonly ClientManifest[]

  constructor(workspace: Workspace, clients: readonly ClientManifest[]) {
    this.workspace = workspace
    this.clients = [...clients].sort((a, b) => a.id.localeCompare(b.id))
  }

  has(id: string): boolean {
    return this.clients.some((client) => client.id === id)
  }

  get(id: string): ClientManifest {
    const client = this.clients.find((candidate) => candidate.id === id)
    if (!client) throw unknownClientsError([id], this.clients)
    return client
  }

  /**
   * The clients named by `ids` (every unknown id reported at once), or when none are given every
   * client whose status is in `defaultStatuses`.
   */
  select(
    ids: readonly string[] = [],
    defaultStatuses: readonly ClientStatus[] = ['active', 'suspended', 'offboarding'],
  ) {
    if (ids.length === 0) return this.clients.filter((client) => defaultStatuses.includes(client.status))
    const unknown = ids.filter((id) => !this.has(id))
    if (unknown.length > 0) throw unknownClientsError(unknown, this.clients)
    return [...new Set(ids)].map((id) => this.get(id))
  }
}

function unknownClientsError(ids: readonly string[], clients: readonly ClientManifest[]) {
  const known = clients.map((client) => client.id)
  const suggestions = ids.flatMap((id) => {
    // The closest few only: in a fleet of client-0001…client-0999 every id is "near".
    const near = known
      .map((candidate) => ({candidate, distance: editDistance(candidate, id)}))
      .filter(({distance}) => distance <= 2)
      .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
      .slice(0, 3)
      .map(({candidate}) => candidate)
    return near.length > 0 ? [`did you mean ${near.join(' or ')} (for ${id})?`] : []
  })
  return usageError(`Unknown client${ids.length > 1 ? 's' : ''}: ${ids.join(', ')}`, {
    code: 'UNKNOWN_CLIENT',
    details: {unknown: ids},
    suggestions: [...suggestions, 'seiketsu clients list shows the registry'],
  })
}

export function manifestFile(workspace: Workspace, id: string): string {
  return join(workspacePaths(workspace.root).clients, `${id}.yaml`)
}

/** Reads every manifest; returns the valid ones and every problem found (schema and cross-client). */
export async function readRegistry(workspace: Workspace): Promise<{clients: ClientManifest[]; problems: Problem[]}> {
  const dir = workspacePaths(workspace.root).clients
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml')).sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {clients: [], problems: []}
    throw error
  }
  const problems: Problem[] = []
  const clients: ClientManifest[] = []
  const parsedFiles = await Promise.all(
    names.map(async (name) => {
      const label = `clients/${name}`
      try {
        return await readYamlFile(join(dir, name), label)
      } catch (error) {
        problems.push({file: label, message: (error as Error).message.replace(`${label}: `, '')})
        return undefined
      }
    }),
  )
  for (const parsed of parsedFiles) {
    if (!parsed) continue
    const result = ClientManifestSchema.safeParse(parsed.data)
    if (!result.success) {
      problems.push(...zodProblems(result.error, parsed.file, parsed.data, parsed.lineOf))
      continue
    }
    const expectedName = `clients/${result.data.id}.yaml`
    if (parsed.file !== expectedName)
      problems.push({
        file: parsed.file,
        field: 'id',
        line: parsed.lineOf(['id']),
        message: `id '${result.data.id}' must match the file name (${expectedName})`,
      })
    problems.push(...clientRuleProblems(workspace, result.data, parsed.file, parsed.lineOf))
    clients.push(result.data)
  }
  problems.push(...fleetProblems(clients))
  return {clients, problems}
}

/** Loads the registry, failing with every problem at once (exit 2) when any manifest is invalid. */
export async function loadRegistry(workspace: Workspace): Promise<Registry> {
  const {clients, problems} = await readRegistry(workspace)
  if (problems.length > 0)
    throw problemsError('The client registry is invalid:', problems, [
      'Fix the manifests named above, then run the command again.',
    ])
  return new Registry(workspace, clients)
}

/** Rules of one client against the workspace: tier exists, region allowed for the residency, DR region sane. */
export function clientRuleProblems(
  workspace: Workspace,
  client: ClientManifest,
  file = `clients/${client.id}.yaml`,
  lineOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined,
): Problem[] {
  const problems: Problem[] = []
  const {config, tiers} = workspace
  if (!tiers[client.tier])
    problems.push({
      file,
      field: 'tier',
      line: lineOf(['tier']),
      message: `unknown tier '${client.tier}' (allowed: ${Object.keys(tiers).join(', ')})`,
    })
  const residency = config.residencies[client.residency]
  if (!residency) {
    problems.push({
      file,
      field: 'residency',
      line: lineOf(['residency']),
      message: `unknown residency '${client.residency}' (allowed: ${Object.keys(config.residencies).join(', ')})`,
    })
  } else {
    if (!residency.regions.includes(client.region))
      problems.push({
        file,
        field: 'region',
        line: lineOf(['region']),
        message: `${client.region} is not allowed for residency '${client.residency}' (allowed: ${residency.regions.join(', ')})`,
      })
    if (!residency.drRegions.includes(client.drRegion))
      problems.push({
        file,
        field: 'drRegion',
        line: lineOf(['drRegion']),
        message: `${client.drRegion} is not a DR region of residency '${client.residency}' (allowed: ${residency.drRegions.join(', ')})`,
      })
  }
  if (client.drRegion === client.region)
    problems.push({file, field: 'drRegion', line: lineOf(['drRegion']), message: 'must differ from region'})
  const cidrPrefix = Number(client.cidr.split('/')[1])
  if (cidrPrefix > 24)
    problems.push({
      file,
      field: 'cidr',
      line: lineOf(['cidr']),
      message: `${client.cidr} is too small for a client VPC (at most /24)`,
    })
  return problems
}

/** Rules across clients: unique ids, disjoint CIDRs, one client per AWS account. */
export function fleetProblems(clients: readonly ClientManifest[]): Problem[] {
  const problems: Problem[] = []
  const seenIds = new Map<string, ClientManifest>()
  const seenAccounts = new Map<string, ClientManifest>()
  for (const client of clients) {
    const file = `clients/${client.id}.yaml`
    const sameId = seenIds.get(client.id)
    if (sameId) problems.push({file, field: 'id', message: `duplicate id '${client.id}'`})
    seenIds.set(client.id, client)
    if (client.accountId) {
      const owner = seenAccounts.get(client.accountId)
      if (owner)
        problems.push({
          file,
          field: 'accountId',
          message: `account ${client.accountId} already belongs to client '${owner.id}'`,
        })
      else seenAccounts.set(client.accountId, client)
    }
  }
  // Sweep the blocks in address order: a block overlaps an earlier one when it starts before the furthest end so far.
  const blocks = clients
    .map((client) => ({block: parseCidr(client.cidr), client}))
    .filter((entry): entry is {block: Block; client: ClientManifest} => entry.block !== undefined)
    .sort((a, b) => a.block.start - b.block.start || a.client.id.localeCompare(b.client.id))
  let furthest: {end: number; client: ClientManifest} | undefined
  for (const {block, client} of blocks) {
    const end = block.start + blockSize(block.prefix)
    if (furthest && block.start < furthest.end)
      problems.push({
        file: `clients/${client.id}.yaml`,
        field: 'cidr',
        message: `${client.cidr} overlaps ${furthest.client.cidr} of client '${furthest.client.id}'`,
      })
    if (!furthest || end > furthest.end) furthest = {client, end}
  }
  return problems
}

/** YAML text of a manifest with a fixed key order, so that rewriting an unchanged client is byte-identical. */
export function serializeManifest(client: ClientManifest): string {
  const ordered: Record<string, unknown> = {}
  for (const key of MANIFEST_KEY_ORDER) ordered[key] = client[key]
  return stringify(ordered, {lineWidth: 0, sortMapEntries: false})
}

/** Writes a manifest atomically: a crash leaves the old file or the new one, never half of either. */
export async function writeManifest(workspace: Workspace, client: ClientManifest): Promise<string> {
  await mkdir(workspacePaths(workspace.root).clients, {recursive: true})
  const file = manifestFile(workspace, client.id)
  await writeFileAtomic(file, serializeManifest(client), {fsync: true})
  return file
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!
    previous[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!
      previous[j] = Math.min(previous[j]! + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return previous[b.length]!
}
