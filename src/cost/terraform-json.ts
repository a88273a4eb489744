/**
 * Reading the resources of a synthesized Terraform JSON configuration (cdktf's cdk.tf.json) for
 * pricing: which resources, how many, in which region, with which literal arguments. Pure.
 */

export interface TerraformJson {
  provider?: Record<string, unknown>
  resource?: Record<string, Record<string, Record<string, unknown>>>
  [key: string]: unknown
}

export interface StackResource {
  type: string
  name: string
  /** `type.name`, the Terraform address. */
  address: string
  /** How many instances the block creates (its literal `count`, else 1). */
  count: number
  region: string
  values: Record<string, unknown>
}

export interface StackResources {
  /** The region of the default aws provider. */
  region: string
  resources: StackResource[]
  /** Things the reader had to assume, for the estimate's notes. */
  notes: string[]
}

/** The regions of the aws providers: `aws` for the default one, `aws.<alias>` for the others. */
function providerRegions(json: TerraformJson, fallbackRegion: string | undefined): Map<string, string> {
  const regions = new Map<string, string>()
  const aws = json.provider?.aws
  const blocks = (Array.isArray(aws) ? aws : aws ? [aws] : []) as Record<string, unknown>[]
  for (const block of blocks) {
    const region = literalString(block.region) ?? fallbackRegion
    if (!region) continue
    const alias = literalString(block.alias)
    regions.set(alias ? `aws.${alias}` : 'aws', region)
  }
  if (!regions.has('aws') && fallbackRegion) regions.set('aws', fallbackRegion)
  return regions
}

/**
 * Every resource block of the configuration with its region. `fallbackRegion` (the client's) is
 * used where the provider's region is an expression rather than a literal.
 */
export function readStackResources(json: TerraformJson, fallbackRegion?: string): StackResources {
  const regions = providerRegions(json, fallbackRegion)
  const region = regions.get('aws')
  if (!region)
    throw new TypeError('the configuration has no aws provider with a literal region, and no client region was given')
  const notes: string[] = []
  const resources: StackResource[] = []
  for (const [type, blocks] of Object.entries(json.resource ?? {})) {
    if (!type.startsWith('aws_')) continue
    for (const [name, values] of Object.entries(blocks ?? {})) {
      const providerName = literalString(values.provider) ?? 'aws'
      const resourceRegion = regions.get(providerName) ?? region
      let count = 1
      if (values.count !== undefined) {
        const literal = literalNumber(values.count)
        if (literal === undefined) notes.push(`${type}.${name}: count is an expression; priced once`)
        else count = literal
      }
      resources.push({address: `${type}.${name}`, count, name, region: resourceRegion, type, values})
    }
  }
  return {notes, region, resources}
}

/** A string argument, unless it is a Terraform expression (`${...}`). */
export function literalString(value: unknown): string | undefined {
  return typeof value === 'string' && !value.includes('${') ? value : undefined
}

/** A number argument, also when written as a numeric string ("512"); undefined for expressions. */
export function literalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value)
  return undefined
}

export function literalBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 'false') return value === 'true'
  return undefined
}

/** A nested block: cdktf writes single blocks as an object or a one-element array. */
export function block(value: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(value) ? value[0] : value
  return first && typeof first === 'object' ? (first as Record<string, unknown>) : undefined
}

/** The name of the resource of `type` an expression refers to: `${aws_x.NAME.arn}` → NAME. */
export function referencedName(value: unknown, type: string): string | undefined {
  if (typeof value !== 'string') return undefined
  const match = new RegExp(`\\b${type}\\.([A-Za-z0-9_-]+)\\.`).exec(value)
  return match?.[1]
}
