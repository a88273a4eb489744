import {
  ClientManifestSchema,
  INTEGRATION_LABELS,
  INTEGRATION_SETTINGS,
  INTEGRATIONS,
  type ClientManifest,
  type Integration,
  type IntegrationName,
} from '../registry/manifest.ts'
import {describeTier} from '../tiers/tiers.ts'
import {promptCheckbox, promptInput, promptSelect} from '../ui/prompt.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {suggestId, type ClientInput} from './input.ts'

const fieldCheck =
  (field: 'name' | 'email' | 'id' | 'accountId') =>
  (value: string): true | string => {
    const result = ClientManifestSchema.shape[field].safeParse(value.trim())
    return result.success ? true : (result.error.issues[0]?.message ?? 'invalid')
  }

/**
 * Asks, one prompt at a time, for every value the flags left out. Invalid answers are re-asked
 * with the reason; choices only offer what is allowed (regions of the residency, known tiers).
 */
export async function promptForClient(
  workspace: Workspace,
  existing: readonly ClientManifest[],
  given: ClientInput,
): Promise<ClientInput> {
  const {config, tiers} = workspace
  const name = given.name ?? (await promptInput('Company name', {validate: fieldCheck('name')})).trim()
  const id =
    given.id ??
    (
      await promptInput('Client id (used in every resource name; cannot change later)', {
        default: suggestId(name),
        validate: (value) => {
          const valid = fieldCheck('id')(value)
          if (valid !== true) return valid
          return existing.some((client) => client.id === value.trim())
            ? `'${value.trim()}' is already a client (seiketsu clients update changes it)`
            : true
        },
      })
    ).trim()
  const email = given.email ?? (await promptInput('Contact email', {validate: fieldCheck('email')})).trim()
  const residency =
    given.residency ??
    (await promptSelect(
      'Data residency',
      Object.entries(config.residencies).map(([key, residency]) => ({
        description: residency.regions.join(', '),
        name: key,
        value: key,
      })),
    ))
  const region =
    given.region ??
    (await promptSelect(
      'Region',
      config.residencies[residency]!.regions.map((region) => ({name: region, value: region})),
      config.residencies[residency]!.regions.includes(config.region) ? config.region : undefined,
    ))
  const tier =
    given.tier ??
    (await promptSelect(
      'Tier',
      Object.values(tiers).map((tier) => ({description: tier.description, name: describeTier(tier), value: tier.name})),
    ))
  const accountId = given.accountId !== undefined ? given.accountId : await promptAccount(existing)
  const integrations = given.integrations ?? (await promptIntegrations())
  return {...given, accountId, email, id, integrations, name, region, residency, tier}
}

async function promptAccount(existing: readonly ClientManifest[]): Promise<string | null> {
  const choice = await promptSelect('AWS account', [
    {description: 'the platform stack creates one in the organization', name: 'Create a new account', value: 'new'},
    {description: 'a 12-digit id', name: 'Use an existing account', value: 'existing'},
  ])
  if (choice === 'new') return null
  return (
    await promptInput('Existing AWS account id', {
      validate: (value) => {
        const valid = fieldCheck('accountId')(value)
        if (valid !== true) return valid
        const owner = existing.find((client) => client.accountId === value.trim())
        return owner ? `account ${value.trim()} already belongs to client '${owner.id}'` : true
      },
    })
  ).trim()
}

async function promptIntegrations(): Promise<Partial<Record<IntegrationName, Integration>>> {
  const enabled = await promptCheckbox(
    'Integrations (space to toggle, enter to confirm)',
    INTEGRATIONS.map((name) => ({name: INTEGRATION_LABELS[name], value: name})),
  )
  const integrations: Partial<Record<IntegrationName, Integration>> = {}
  for (const name of enabled) {
    const settings: Record<string, string> = {}
    for (const {key, label} of INTEGRATION_SETTINGS[name]) {
      const value = (await promptInput(`${label} (optional; never a secret)`)).trim()
      if (value) settings[key] = value
    }
    integrations[name] = {enabled: true, settings}
  }
  return integrations
}
