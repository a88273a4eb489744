import {stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {TerraformJson} from '../configuration/model.ts'
import {usageError} from '../errors.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {readStackDocument, workspaceStack} from '../stacks/store.ts'
import type {Tier} from '../tiers/tiers.ts'
import {drRegionFor} from '../workspace/config.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {estimateStack, type StackEstimate} from './estimate.ts'
import {HYPOTHETICAL_INTEGRATIONS, synthesizeHypotheticalStack} from './hypothetical-stack.ts'
import {amountText, decimal, quantityText} from './money.ts'
import {loadPriceTable, loadUsage, type PriceBasis, type PriceTable, type UsageCatalog} from './prices.ts'

/**
 * Estimates of real and hypothetical clients: their stack, the price tables of their regions and
 * the usage assumptions of their tier, in the JSON shape `seiketsu cost estimate --json` prints.
 * Amounts are exact decimal strings with at least two decimals ("450.00", "6.4897").
 */

export interface CostComponent {
  resource: string
  count: number
  component: string
  region: string
  quantity: string
  unit: string
  price: string
  monthly: string
  basis: PriceBasis
}

export interface ClientCostEstimate {
  id: string
  tier: string
  region: string
  /** True for `--tier` (a client that does not exist yet). */
  hypothetical: boolean
  monthly: string
  /** The tier's monthly budget (monthlyBudgetUsd). */
  budget: string
  overBudget: boolean
  /** What the client pays per month (the tier's monthlyPriceUsd) and what is left after AWS. */
  tierPrice: string
  margin: string
  components: CostComponent[]
  /** Lines priced from a price that is not confirmed in a source (see the price file). */
  unconfirmedLines: number
  priceFiles: string[]
  notes: string[]
}

/** Price tables and usage loaded once for many clients. */
export class PriceBook {
  private readonly workspace: Workspace
  private readonly tables = new Map<string, Promise<PriceTable | undefined>>()
  private usage?: Promise<UsageCatalog>

  constructor(workspace: Workspace) {
    this.workspace = workspace
  }

  /** The table of a region; `required` ones fail with exit 2 naming the missing file. */
  async table(region: string, required: boolean): Promise<PriceTable | undefined> {
    if (!this.tables.has(region))
      this.tables.set(
        region,
        loadPriceTable(this.workspace, region).catch((error: unknown) => {
          if ((error as {code?: string}).code === 'NO_PRICE_TABLE') return undefined
          throw error
        }),
      )
    const table = await this.tables.get(region)!
    if (!table && required) return loadPriceTable(this.workspace, region) // throws the naming error
    return table
  }

  async usageCatalog(): Promise<UsageCatalog> {
    this.usage ??= loadUsage(this.workspace)
    return this.usage
  }
}

export interface EstimateOptions {
  book?: PriceBook
}

/** A stack file older than the client's manifest or seiketsu.yaml may not be what synth makes now. */
async function isCurrent(workspace: Workspace, id: string): Promise<boolean> {
  const paths = workspacePaths(workspace.root)
  const modified = async (file: string) => (await stat(file).catch(() => undefined))?.mtimeMs
  const stack = await modified(workspaceStack(workspace, id).file)
  if (stack === undefined) return false
  const inputs = await Promise.all([modified(join(paths.clients, `${id}.yaml`)), modified(paths.config)])
  return inputs.every((input) => input === undefined || input <= stack)
}

/**
 * The stacks of these clients: the synthesized ones when current, the others synthesized now into
 * cdktf.out (as `seiketsu synth` would; an unchanged file is left untouched).
 */
export async function clientStacks(
  workspace: Workspace,
  clients: readonly ClientManifest[],
): Promise<Map<string, TerraformJson>> {
  const stale: ClientManifest[] = []
  for (const client of clients) if (!(await isCurrent(workspace, client.id))) stale.push(client)
  if (stale.length > 0) {
    const {synthesizeStacks} = await import('../stacks/synth.ts')
    await synthesizeStacks(workspace, stale, {includePlatform: false})
  }
  const stacks = new Map<string, TerraformJson>()
  for (const client of clients)
    stacks.set(client.id, (await readStackDocument(workspaceStack(workspace, client.id))) as TerraformJson)
  return stacks
}

/**
 * What a client costs a month, from its stack (given, or read from cdktf.out) and the price tables
 * of its region and DR region. Used by `seiketsu cost estimate` and `seiketsu onboard`.
 */
export async function estimateClient(
  workspace: Workspace,
  client: ClientManifest,
  stackJson?: TerraformJson,
  options: EstimateOptions = {},
): Promise<ClientCostEstimate> {
  const tier = workspace.tiers[client.tier]
  if (!tier)
    throw usageError(
      `${client.id}: unknown tier '${client.tier}' (allowed: ${Object.keys(workspace.tiers).join(', ')})`,
    )
  const stack = stackJson ?? (await clientStacks(workspace, [client])).get(client.id)!
  return estimateFromStack(workspace, client, tier, stack, false, options.book ?? new PriceBook(workspace))
}

export async function estimateFromStack(
  workspace: Workspace,
  client: Pick<ClientManifest, 'id' | 'tier' | 'region' | 'drRegion'>,
  tier: Tier,
  stack: TerraformJson,
  hypothetical: boolean,
  book: PriceBook,
): Promise<ClientCostEstimate> {
  const primary = (await book.table(client.region, true))!
  const prices: Record<string, PriceTable> = {[client.region]: primary}
  const dr = await book.table(client.drRegion, false)
  if (dr) prices[client.drRegion] = dr
  const usage = (await book.usageCatalog()).forTier(tier.name)
  const estimate = estimateStack(stack, {prices, region: client.region, usage})
  return toClientEstimate(client, tier, estimate, hypothetical, [
    ...new Set([
      ...estimate.components.map((line) => prices[line.region]?.file ?? primary.file),
      (await book.usageCatalog()).file,
    ]),
  ])
}

export function toClientEstimate(
  client: Pick<ClientManifest, 'id' | 'region'>,
  tier: Tier,
  estimate: StackEstimate,
  hypothetical: boolean,
  priceFiles: string[] = [],
): ClientCostEstimate {
  const budget = decimal(tier.monthlyBudgetUsd)
  const tierPrice = decimal(tier.monthlyPriceUsd)
  return {
    budget: amountText(budget),
    components: estimate.components.map((line) => ({
      basis: line.price.basis,
      component: line.component,
      count: line.count,
      monthly: amountText(line.monthly),
      price: amountText(line.price.amount),
      quantity: quantityText(line.quantity),
      region: line.region,
      resource: line.resource,
      unit: line.unit,
    })),
    hypothetical,
    id: client.id,
    margin: amountText(tierPrice.minus(estimate.monthly)),
    monthly: amountText(estimate.monthly),
    notes: estimate.notes,
    overBudget: estimate.monthly.gt(budget),
    priceFiles,
    region: estimate.region,
    tier: tier.name,
    tierPrice: amountText(tierPrice),
    unconfirmedLines: estimate.components.filter((line) => line.price.basis === 'unconfirmed').length,
  }
}

/** Estimates of several registry clients, sharing one price book. */
export async function estimateClients(
  workspace: Workspace,
  clients: readonly ClientManifest[],
): Promise<ClientCostEstimate[]> {
  const book = new PriceBook(workspace)
  const stacks = await clientStacks(workspace, clients)
  const estimates: ClientCostEstimate[] = []
  for (const client of clients) estimates.push(await estimateClient(workspace, client, stacks.get(client.id), {book}))
  return estimates
}

/**
 * What a new client of a tier would cost: a hypothetical client of that tier in `region` (default:
 * the workspace region), synthesized like a real one and priced. Used by `cost estimate --tier`.
 */
export async function estimateTier(
  workspace: Workspace,
  tierName: string,
  options: {region?: string} = {},
): Promise<ClientCostEstimate> {
  const tier = workspace.tiers[tierName]
  if (!tier)
    throw usageError(`tier: unknown tier '${tierName}' (allowed: ${Object.keys(workspace.tiers).join(', ')})`, {
      code: 'UNKNOWN_TIER',
      input: 'tier',
    })
  const region = options.region ?? workspace.config.region
  const residency = Object.entries(workspace.config.residencies).find(([, allowed]) => allowed.regions.includes(region))
  if (!residency)
    throw usageError(`region ${region} is not a region of any residency in seiketsu.yaml`, {
      code: 'INVALID_REGION',
      input: 'region',
      suggestions: [
        `Allowed: ${[...new Set(Object.values(workspace.config.residencies).flatMap((r) => r.regions))].join(', ')}`,
      ],
    })
  const drRegion = drRegionFor(workspace.config, residency[0], region) ?? workspace.config.drRegion
  const client = {drRegion, id: `new-${tierName}`, region, residency: residency[0], tier: tierName}
  const book = new PriceBook(workspace)
  await book.table(region, true) // an unknown region fails before any synthesis
  const stack = await synthesizeHypotheticalStack(workspace, client)
  const estimate = await estimateFromStack(workspace, client, tier, stack, true, book)
  estimate.notes.push(`a new client with the integrations ${HYPOTHETICAL_INTEGRATIONS.join(', ')} (a secret each)`)
  return estimate
}
