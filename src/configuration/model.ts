import {block, blocks, literal, str, type JsonObject} from './values.ts'

/**
 * A Terraform configuration as data: what one file in Terraform's JSON syntax declares, whether cdktf
 * wrote it (`{type: {name: body}}`), it uses the list forms Terraform also accepts
 * (`[{type: {name: [body]}}]`) or it is HCL converted to JSON (every block a list). The audit and the
 * cost estimate both read configuration through this module. (Not seiketsu's own configuration, which
 * is workspace/config.ts, nor the terraform binary, which is terraform/.)
 */

/** A configuration file as cdktf writes it (cdk.tf.json); any other JSON shape is read too. */
export interface TerraformJson {
  provider?: Record<string, unknown>
  resource?: Record<string, Record<string, Record<string, unknown>>>
  [key: string]: unknown
}

/** One parsed configuration file and where it came from. */
export interface TerraformDocument {
  file: string
  json: JsonObject
}

/** One managed resource or data source, whatever shape its file gave it. */
export interface Resource {
  /** `aws_db_instance.main`, `data.aws_iam_policy_document.key`, `module.net.aws_vpc.main`. */
  address: string
  type: string
  name: string
  mode: 'managed' | 'data'
  /** The body: attributes as written; nested blocks stay objects or lists (read them with `blocks()`). */
  values: Record<string, unknown>
  /** The file it was read from. */
  file: string
  /**
   * What it waits for that its values no longer show: from a plan's configuration, its depends_on and
   * the references of attributes whose planned values are known (a literal identifier hides its reference).
   */
  dependsOn?: string[]
}

export interface ProviderConfig {
  /** `aws` or `aws.dr` (name plus alias): what a resource's `provider` attribute names. */
  key: string
  name: string
  alias?: string
  /** Its region, when a literal (undefined: not set, or an expression). */
  region?: string
  values: Record<string, unknown>
  file: string
}

export interface Variable {
  name: string
  /** The body as written: `default`, `type`, `description`, … */
  values: Record<string, unknown>
  file: string
}

export interface Configuration {
  /** The managed resources: what applying the configuration creates. */
  resources: Resource[]
  /** The data sources (`data.<type>.<name>`): what it only looks up. */
  dataSources: Resource[]
  providers: ProviderConfig[]
  variables: Variable[]
  /** The other top-level blocks (variable, output, locals, terraform, …) by name, as written. */
  blocks: Record<string, unknown>
}

const ENTITY_SECTIONS = new Set(['resource', 'data', 'provider', '//'])

/** Calls `visit(type, name, body)` for every entry of a `resource` / `data` section, in any JSON shape. */
function eachEntry(section: unknown, visit: (type: string, name: string, body: JsonObject) => void): void {
  for (const group of blocks(section))
    for (const [type, named] of Object.entries(group))
      for (const entry of blocks(named))
        for (const [name, body] of Object.entries(entry)) {
          const first = block(body)
          if (first) visit(type, name, first)
        }
}

/** A provider configuration; `alias` as the source gives it (a block's own `alias`, a plan's provider key). */
export function providerConfig(
  name: string,
  alias: string | undefined,
  values: Record<string, unknown>,
  file: string,
): ProviderConfig {
  return {alias, file, key: alias ? `${name}.${alias}` : name, name, region: literal(values.region), values}
}

/** What one configuration file declares. */
export function readConfiguration({file, json}: TerraformDocument): Configuration {
  const configuration: Configuration = {blocks: {}, dataSources: [], providers: [], resources: [], variables: []}
  eachEntry(json.resource, (type, name, values) =>
    configuration.resources.push({address: `${type}.${name}`, file, mode: 'managed', name, type, values}),
  )
  eachEntry(json.data, (type, name, values) =>
    configuration.dataSources.push({address: `data.${type}.${name}`, file, mode: 'data', name, type, values}),
  )
  for (const group of blocks(json.provider))
    for (const [name, configs] of Object.entries(group))
      for (const values of blocks(configs))
        configuration.providers.push(providerConfig(name, str(values.alias), values, file))
  for (const group of blocks(json.variable))
    for (const [name, body] of Object.entries(group)) {
      const values = block(body)
      if (values) configuration.variables.push({file, name, values})
    }
  for (const [key, value] of Object.entries(json)) if (!ENTITY_SECTIONS.has(key)) configuration.blocks[key] = value
  return configuration
}
