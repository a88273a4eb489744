import {z} from 'zod'

import {usageError} from '../errors.ts'
import {CLIENT_ID_PATTERN} from '../input/fields.ts'
import type {ClientDraft} from '../registry/changes.ts'
import {INTEGRATIONS, type ClientManifest, type Integration, type IntegrationName} from '../registry/manifest.ts'
import {problemsError, zodProblems, type Problem} from '../input/problems.ts'
import {readYamlFile, type ParsedFile} from '../input/yaml-file.ts'
import type {WorkspaceConfig} from '../workspace/config.ts'

/** Values an operator can give for one client, from flags, prompts or a file. Anything may be missing. */
export interface ClientInput {
  id?: string
  name?: string
  email?: string
  tier?: string
  residency?: string
  region?: string
  /** A 12-digit id, or null for "create a new account". */
  accountId?: string | null
  integrations?: Partial<Record<IntegrationName, Integration>>
  cidr?: string
  /** For an account the platform did not create (file key `bootstrap`, `--bootstrap-role`). */
  bootstrap?: ClientManifest['bootstrap']
}

/** The flag that carries each field: errors name the flag when the input came from flags. */
export const FLAG_FOR_FIELD: Record<string, string> = {
  accountId: '--account-id',
  bootstrap: '--bootstrap-role',
  'bootstrap.adopt': '--adopt',
  'bootstrap.role': '--bootstrap-role',
  cidr: '--cidr',
  email: '--email',
  id: '--id',
  integrations: '--integrations',
  name: '--name',
  region: '--region',
  residency: '--residency',
  tier: '--tier',
}

/** Lower-case, hyphenated, trimmed to 32 characters: the id suggested for a company name. */
export function suggestId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replaceAll(/[\u0300-\u036F]/g, '')
    .toLowerCase()
    .replaceAll('&', ' and ')
    .replaceAll(/[^a-z0-9]+/g, '-')
    .replaceAll(/^-+|-+$/g, '')
  const trimmed = slug.slice(0, 32).replace(/-+$/, '')
  return /^[a-z]/.test(trimmed) ? trimmed : `c-${trimmed}`.slice(0, 32).replace(/-+$/, '')
}

/** `elevenlabs,twilio` → enabled integrations; settings from `integration.key=value` pairs. */
export function parseIntegrations(
  list: string | undefined,
  settings: readonly string[] = [],
): Partial<Record<IntegrationName, Integration>> {
  const result: Partial<Record<IntegrationName, Integration>> = {}
  const names = (list ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean)
  for (const name of names) {
    if (!isIntegration(name))
      throw usageError(`integrations: unknown integration '${name}' (allowed: ${INTEGRATIONS.join(', ')})`, {
        code: 'INVALID_FLAG',
        input: 'integrations',
      })
    result[name] = {enabled: true, settings: {}}
  }
  for (const pair of settings) {
    const {integration, key, value} = parseSetting(pair)
    if (!result[integration])
      throw usageError(
        `setting: '${integration}' is not one of the enabled integrations (${names.join(', ') || 'none'})`,
        {
          code: 'INVALID_FLAG',
          input: 'setting',
        },
      )
    result[integration]!.settings[key] = value
  }
  return result
}

/** `--setting integration.key=value`. */
export function parseSetting(pair: string): {integration: IntegrationName; key: string; value: string} {
  const match = /^([a-z]+)\.([A-Za-z][\w-]*)=(.*)$/.exec(pair)
  if (!match)
    throw usageError(
      `setting: '${pair.split('=')[0]}=…' is not integration.key=value (e.g. elevenlabs.voiceId=rachel)`,
      {
        code: 'INVALID_FLAG',
        input: 'setting',
      },
    )
  const [, integration, key, value] = match
  if (!isIntegration(integration!))
    throw usageError(`setting: unknown integration '${integration}' (allowed: ${INTEGRATIONS.join(', ')})`, {
      code: 'INVALID_FLAG',
      input: 'setting',
    })
  return {integration, key: key!, value: value!}
}

function isIntegration(name: string): name is IntegrationName {
  return (INTEGRATIONS as readonly string[]).includes(name)
}

/** The residency whose regions include `region`, when exactly one does. */
export function residencyOfRegion(config: WorkspaceConfig, region: string): string | undefined {
  const matches = Object.entries(config.residencies).filter(([, residency]) => residency.regions.includes(region))
  return matches.length === 1 ? matches[0]![0] : undefined
}

/** Fills what can be derived (id from name, residency from region) and names the flags still missing. */
export function completeInput(input: ClientInput, config: WorkspaceConfig): {input: ClientInput; missing: string[]} {
  const completed = {...input}
  if (!completed.id && completed.name) {
    completed.id = suggestId(completed.name)
    if (!CLIENT_ID_PATTERN.test(completed.id))
      throw usageError(
        `Cannot derive a client id from the name '${completed.name}': pass --id (3-32 lower-case letters, digits, hyphens)`,
        {
          code: 'MISSING_INPUT',
        },
      )
  }
  if (!completed.residency && completed.region) {
    completed.residency = residencyOfRegion(config, completed.region)
    const inSome = Object.values(config.residencies).some((residency) => residency.regions.includes(completed.region!))
    if (!inSome)
      throw usageError(
        `region ${completed.region} belongs to no residency of seiketsu.yaml (${Object.entries(config.residencies)
          .map(([name, residency]) => `${name}: ${residency.regions.join(', ')}`)
          .join('; ')})`,
        {
          code: 'INVALID_REGION',
          suggestions: ['Choose one of those regions, or add the region to a residency in seiketsu.yaml'],
        },
      )
  }
  const missing = [
    completed.name ? undefined : 'name',
    completed.email ? undefined : 'email',
    completed.tier ? undefined : 'tier',
    completed.region ? undefined : 'region',
    completed.region && !completed.residency ? 'residency' : undefined,
    completed.accountId === undefined ? 'account-id' : undefined,
  ].filter((flag): flag is string => flag !== undefined)
  return {input: completed, missing}
}

export function toDraft(input: ClientInput): ClientDraft {
  return {
    accountId: input.accountId ?? null,
    ...(input.bootstrap ? {bootstrap: input.bootstrap} : {}),
    cidr: input.cidr,
    email: input.email!,
    id: input.id!,
    integrations: input.integrations ?? {},
    name: input.name!,
    region: input.region!,
    residency: input.residency!,
    tier: input.tier!,
  }
}

/** `--account-id`: 12 digits, or `new` for an account the platform stack creates. */
export function parseAccountId(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined
  return value.trim().toLowerCase() === 'new' ? null : value.trim()
}

const FileIntegrationsSchema = z.union([
  z.array(z.string()),
  z.partialRecord(
    z.enum(INTEGRATIONS, {error: `integrations are ${INTEGRATIONS.join(', ')}`}),
    z.union([
      z.strictObject({enabled: z.boolean().default(true), settings: z.record(z.string(), z.string()).default({})}),
      z.literal(true),
    ]),
  ),
])

const FileClientSchema = z.strictObject({
  id: z.string().optional(),
  name: z.string(),
  email: z.string(),
  tier: z.string(),
  region: z.string(),
  residency: z.string().optional(),
  accountId: z.union([z.string(), z.null()], {error: "a quoted 12-digit account id, 'new' or null"}),
  integrations: FileIntegrationsSchema.optional(),
  cidr: z.string().optional(),
  // Checked with the manifest's own schema when the draft becomes a manifest.
  bootstrap: z.strictObject({role: z.string().optional(), adopt: z.array(z.string()).optional()}).optional(),
})

const FileSchema = z.union([z.strictObject({clients: z.array(z.unknown()).min(1)}), z.record(z.string(), z.unknown())])

export interface FileClient {
  input: ClientInput
  /** `file.yaml` or `file.yaml clients[2]`: where problems about this client point. */
  label: string
}

/**
 * Reads `--file`: YAML or JSON holding one client, or `clients: [...]` for bulk onboarding. Every
 * problem of every client is reported at once, naming the file, the entry and the field.
 */
export async function readOnboardFile(path: string): Promise<FileClient[]> {
  const parsed: ParsedFile = await readYamlFile(path)
  const top = FileSchema.safeParse(parsed.data)
  if (!top.success || parsed.data === null || typeof parsed.data !== 'object')
    throw usageError(`${path}: expected a client (id, name, email, …) or clients: [ … ]`, {code: 'INVALID_INPUT'})
  const bulk = 'clients' in (parsed.data as object) && Array.isArray((parsed.data as {clients: unknown}).clients)
  const entries = bulk ? (parsed.data as {clients: unknown[]}).clients : [parsed.data]
  if (entries.length === 0)
    throw usageError(`${path}: clients: is empty; there is no client to onboard`, {code: 'INVALID_INPUT'})
  const problems: Problem[] = []
  const clients: FileClient[] = []
  for (const [index, entry] of entries.entries()) {
    const prefix = bulk ? ['clients', index] : []
    const result = FileClientSchema.safeParse(entry)
    if (!result.success) {
      problems.push(...zodProblems(result.error, path, entry, (p) => parsed.lineOf([...prefix, ...p]), prefix))
      continue
    }
    const value = result.data
    const integrations: Partial<Record<IntegrationName, Integration>> = {}
    if (Array.isArray(value.integrations)) {
      for (const name of value.integrations) {
        if (!isIntegration(name)) {
          problems.push({
            file: path,
            field: [...prefix, 'integrations'].join('.'),
            message: `unknown integration '${name}' (allowed: ${INTEGRATIONS.join(', ')})`,
          })
          continue
        }
        integrations[name] = {enabled: true, settings: {}}
      }
    } else if (value.integrations) {
      for (const [name, config] of Object.entries(value.integrations))
        integrations[name as IntegrationName] =
          config === true ? {enabled: true, settings: {}} : {enabled: config!.enabled, settings: config!.settings}
    }
    clients.push({
      input: {
        accountId: value.accountId === null || value.accountId.toLowerCase() === 'new' ? null : value.accountId,
        ...(value.bootstrap ? {bootstrap: value.bootstrap as ClientManifest['bootstrap']} : {}),
        cidr: value.cidr,
        email: value.email,
        id: value.id,
        integrations,
        name: value.name,
        region: value.region,
        residency: value.residency,
        tier: value.tier,
      },
      label: bulk ? `${path} clients[${index}]` : path,
    })
  }
  if (problems.length > 0) throw problemsError(`${path} is invalid; nothing was written:`, problems)
  return clients
}
