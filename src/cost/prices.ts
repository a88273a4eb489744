import {access} from 'node:fs/promises'
import {join} from 'node:path'

import {z} from 'zod'

import {usageError} from '../errors.ts'
import {templatePath} from '../paths.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {problemsError, zodProblems} from '../input/problems.ts'
import {readYamlFile} from '../input/yaml-file.ts'
import {decimal, isDecimalText, type Decimal} from './money.ts'

/**
 * The price tables (templates/prices/<region>.yaml) and usage assumptions (templates/prices/usage.yaml).
 * A workspace may ship its own file of the same name under prices/: it replaces the shipped one
 * (negotiated prices, a region seiketsu does not ship).
 */

/** How sure a price is: a primary AWS source, a secondary one (blog, aggregator), or not confirmed. */
export const PRICE_BASES = ['primary', 'secondary', 'unconfirmed'] as const
export type PriceBasis = (typeof PRICE_BASES)[number]

const amountField = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim())
  .refine(isDecimalText, {error: 'must be a decimal amount such as "0.045" (quote it)'})

const provenance = {
  source: z.string().min(1, {error: 'say where the price comes from'}),
  date: z.string().regex(/^\d{4}(-\d{2}){0,2}$/, {error: 'the date the price was read: YYYY, YYYY-MM or YYYY-MM-DD'}),
  basis: z.enum(PRICE_BASES, {error: `one of ${PRICE_BASES.join(', ')}`}),
  note: z.string().optional(),
}

const PriceSchema = z.strictObject({price: amountField, unit: z.string().min(1), ...provenance})
const DeploymentPriceSchema = z.strictObject({singleAz: amountField, multiAz: amountField, ...provenance})

export const PriceTableSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, {error: 'an AWS region such as us-east-1'}),
  currency: z.literal('USD', {error: 'seiketsu prices in USD, as Cost Explorer reports'}),
  hoursPerMonth: z.int().positive(),
  natGateway: z.strictObject({hour: PriceSchema, dataProcessedGb: PriceSchema}),
  publicIpv4: z.strictObject({hour: PriceSchema}),
  loadBalancer: z.strictObject({application: z.strictObject({hour: PriceSchema, lcuHour: PriceSchema})}),
  fargate: z.record(z.enum(['linuxX86', 'linuxArm64']), z.strictObject({vcpuHour: PriceSchema, gbHour: PriceSchema})),
  rds: z.strictObject({
    postgres: z.strictObject({instanceHour: z.record(z.string(), DeploymentPriceSchema)}),
    storageGbMonth: z.record(z.string(), DeploymentPriceSchema),
  }),
  elasticache: z.record(z.string(), z.strictObject({nodeHour: z.record(z.string(), PriceSchema)})),
  kms: z.strictObject({keyMonth: PriceSchema}),
  secretsManager: z.strictObject({secretMonth: PriceSchema}),
  cloudwatchLogs: z.strictObject({ingestedGb: PriceSchema, storedGbMonth: PriceSchema}),
  s3: z.strictObject({standardGbMonth: PriceSchema}),
})

export type PriceTableData = z.infer<typeof PriceTableSchema>
export type Price = z.infer<typeof PriceSchema>
export type DeploymentPrice = z.infer<typeof DeploymentPriceSchema>

/** One price as the estimate uses it: the amount and where it came from. */
export interface PriceRef {
  amount: Decimal
  unit: string
  basis: PriceBasis
  source: string
  date: string
  /** Where in the file, e.g. rds.postgres.instanceHour.db.t4g.small.multiAz */
  key: string
}

/** A loaded price table; `file` is what error messages name. */
export interface PriceTable {
  region: string
  file: string
  hoursPerMonth: Decimal
  data: PriceTableData
}

const UsageSchema = z.strictObject({
  natGatewayDataGb: amountField,
  albLcu: amountField,
  logIngestedGb: amountField,
  logNeverExpireMonths: amountField,
  s3StoredGbPerBucket: amountField,
})

const UsageFileSchema = z.strictObject({
  default: UsageSchema,
  tiers: z.record(z.string(), UsageSchema.partial()).default({}),
})

/** Monthly usage the stack cannot tell (traffic, log volume, stored data), per tier. */
export interface UsageAssumptions {
  /** GB per month through all of the client's NAT gateways together. */
  natGatewayDataGb: Decimal
  /** Average load balancer capacity units consumed per hour, per load balancer. */
  albLcu: Decimal
  /** GB per month written to all of the client's log groups together. */
  logIngestedGb: Decimal
  /** Months of logs kept by a log group without retention (never expires). */
  logNeverExpireMonths: Decimal
  /** Average GB stored per S3 bucket. */
  s3StoredGbPerBucket: Decimal
}

export interface UsageCatalog {
  file: string
  forTier(tier: string): UsageAssumptions
}

/** Candidate files for a price table, the workspace's first. */
function priceFileCandidates(workspace: Workspace | undefined, name: string) {
  const shipped = {label: `templates/prices/${name}`, path: templatePath('prices', name)}
  return workspace ? [{label: `prices/${name}`, path: join(workspace.root, 'prices', name)}, shipped] : [shipped]
}

async function firstExisting(candidates: {label: string; path: string}[]) {
  for (const candidate of candidates) {
    try {
      await access(candidate.path)
      return candidate
    } catch {
      // try the next one
    }
  }
  return undefined
}

/** The price table of a region. No table for the region: exit 2 naming the files looked for. */
export async function loadPriceTable(workspace: Workspace | undefined, region: string): Promise<PriceTable> {
  const candidates = priceFileCandidates(workspace, `${region}.yaml`)
  const found = await firstExisting(candidates)
  if (!found)
    throw usageError(
      `No price table for region ${region}: ${candidates.map((candidate) => candidate.label).join(' and ')} do not exist`,
      {
        code: 'NO_PRICE_TABLE',
        details: {region, looked: candidates.map((candidate) => candidate.label)},
        suggestions: [
          `Copy templates/prices/us-east-1.yaml to prices/${region}.yaml in the workspace and fill in ${region}'s prices (with their source and date).`,
        ],
      },
    )
  const parsed = await readYamlFile(found.path, found.label)
  const result = PriceTableSchema.safeParse(parsed.data)
  if (!result.success)
    throw problemsError(
      `${found.label} is not a valid price table:`,
      zodProblems(result.error, found.label, parsed.data, parsed.lineOf),
    )
  if (result.data.region !== region)
    throw usageError(`${found.label}: region is ${result.data.region}, expected ${region}`, {code: 'INVALID_INPUT'})
  return {data: result.data, file: found.label, hoursPerMonth: decimal(result.data.hoursPerMonth), region}
}

export async function loadUsage(workspace: Workspace | undefined): Promise<UsageCatalog> {
  const found = (await firstExisting(priceFileCandidates(workspace, 'usage.yaml')))!
  const parsed = await readYamlFile(found.path, found.label)
  const result = UsageFileSchema.safeParse(parsed.data)
  if (!result.success)
    throw problemsError(
      `${found.label} is not a valid usage file:`,
      zodProblems(result.error, found.label, parsed.data, parsed.lineOf),
    )
  return usageCatalog(result.data, found.label)
}

export function usageCatalog(data: z.input<typeof UsageFileSchema>, file = 'usage.yaml'): UsageCatalog {
  const parsed = UsageFileSchema.parse(data)
  return {
    file,
    forTier(tier) {
      const merged = {...parsed.default, ...parsed.tiers[tier]}
      return {
        albLcu: decimal(merged.albLcu),
        logIngestedGb: decimal(merged.logIngestedGb),
        logNeverExpireMonths: decimal(merged.logNeverExpireMonths),
        natGatewayDataGb: decimal(merged.natGatewayDataGb),
        s3StoredGbPerBucket: decimal(merged.s3StoredGbPerBucket),
      }
    },
  }
}

export function priceRef(price: Omit<Price, 'note'>, key: string): PriceRef {
  return {
    amount: decimal(price.price),
    basis: price.basis,
    date: price.date,
    key,
    source: price.source,
    unit: price.unit,
  }
}
