import {providerConfig, type ProviderConfig, type Resource} from '../configuration/model.ts'
import {isObject, type JsonObject} from '../configuration/values.ts'

/**
 * `terraform show -json` output: its planned values are what the audit checks. Values only known
 * after apply (ids, ARNs) are absent there, so references are taken from the plan's `configuration`
 * (`expressions.<attr>.references`) and written back as `${address}` strings: rules that follow a
 * reference (SG to SG, bucket to key) then work on a plan as they do on configuration.
 */

/** Resources and providers already in the model (from a plan's planned values). */
export interface PlannedDocument {
  file: string
  planned: {resources: Resource[]; providers: ProviderConfig[]}
}

export function isPlanJson(json: unknown): json is JsonObject {
  return isObject(json) && (isObject(json.planned_values) || Array.isArray(json.resource_changes))
}

interface ModuleValues {
  address?: string
  resources?: {address: string; mode: string; type: string; name: string; values?: JsonObject}[]
  child_modules?: ModuleValues[]
}

interface ResourceConfig {
  address: string
  mode?: string
  expressions?: JsonObject
  depends_on?: string[]
}

interface ModuleConfig {
  resources?: ResourceConfig[]
  module_calls?: Record<string, {module?: ModuleConfig}>
}

export function planToDocument(plan: JsonObject, file: string): PlannedDocument {
  const configuration = isObject(plan.configuration) ? plan.configuration : {}
  const configs = new Map<string, ResourceConfig>()
  collectConfigs(configuration.root_module as ModuleConfig | undefined, '', configs)
  const resources: Resource[] = []
  const visit = (module: ModuleValues | undefined): void => {
    if (!module) return
    for (const resource of module.resources ?? []) {
      const mode = resource.mode === 'data' ? 'data' : 'managed'
      const values = {...resource.values}
      const config = configs.get(resource.address.replace(/\[[^\]]*\]$/, ''))
      const modulePrefix = module.address ? `${module.address}.` : ''
      if (config?.expressions) mergeReferences(values, config.expressions, modulePrefix)
      const dependsOn = config ? configDependencies(config, modulePrefix) : []
      resources.push({
        address: resource.address,
        file,
        mode,
        name: resource.name,
        type: resource.type,
        values,
        ...(dependsOn.length > 0 ? {dependsOn} : {}),
      })
    }
    for (const child of module.child_modules ?? []) visit(child)
  }
  visit((plan.planned_values as {root_module?: ModuleValues} | undefined)?.root_module)
  return {file, planned: {providers: planProviders(configuration, file), resources}}
}

function collectConfigs(module: ModuleConfig | undefined, prefix: string, into: Map<string, ResourceConfig>): void {
  if (!module) return
  for (const resource of module.resources ?? []) into.set(`${prefix}${resource.address}`, resource)
  for (const [name, call] of Object.entries(module.module_calls ?? {}))
    collectConfigs(call.module, `${prefix}module.${name}.`, into)
}

const RESOURCE_ADDRESS = /^(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]*\.[\w-]+$/

/** The resources a configured resource waits for: its depends_on and every resource its expressions reference. */
function configDependencies(config: ResourceConfig, modulePrefix: string): string[] {
  const found = new Set<string>()
  const visit = (expression: unknown): void => {
    if (Array.isArray(expression)) expression.forEach(visit)
    else if (isObject(expression))
      for (const [key, value] of Object.entries(expression))
        if (key === 'references' && Array.isArray(value)) {
          for (const reference of value)
            if (typeof reference === 'string' && RESOURCE_ADDRESS.test(reference.replace(/\[[^\]]*\]$/, '')))
              found.add(reference.replace(/\[[^\]]*\]$/, ''))
        } else visit(value)
  }
  visit(config.expressions)
  for (const address of config.depends_on ?? []) found.add(address)
  return [...found].map((address) => `${modulePrefix}${address}`)
}

/** An expression of the plan's configuration as the value it was written as. */
function expressionValue(expression: unknown, modulePrefix: string): unknown {
  if (Array.isArray(expression)) return expression.map((item) => expressionValue(item, modulePrefix))
  if (!isObject(expression)) return undefined
  if ('constant_value' in expression) return expression.constant_value
  if (Array.isArray(expression.references)) {
    // Terraform lists `aws_x.y.id` and `aws_x.y`: keep the most specific form of each.
    const all = expression.references as string[]
    const refs = all
      .filter((ref) => !all.some((other) => other !== ref && other.startsWith(`${ref}.`)))
      .map((ref) => `\${${modulePrefix}${ref}}`)
    return refs.length === 1 ? refs[0] : refs
  }
  return Object.fromEntries(
    Object.entries(expression).map(([key, value]) => [key, expressionValue(value, modulePrefix)]),
  )
}

/** Fills in, from the configuration, values the plan does not know yet (references, unknowns). */
function mergeReferences(values: JsonObject, expressions: JsonObject, modulePrefix: string): void {
  for (const [key, expression] of Object.entries(expressions)) {
    const planned = values[key]
    if (planned === undefined || planned === null) {
      const value = expressionValue(expression, modulePrefix)
      if (value !== undefined) values[key] = value
    } else if (Array.isArray(planned) && Array.isArray(expression)) {
      planned.forEach((item, index) => {
        if (isObject(item) && isObject(expression[index]))
          mergeReferences(item, expression[index] as JsonObject, modulePrefix)
      })
    } else if (isObject(planned) && isObject(expression) && !('constant_value' in expression)) {
      mergeReferences(planned, expression, modulePrefix)
    }
  }
}

function planProviders(configuration: JsonObject, file: string): ProviderConfig[] {
  const configs = isObject(configuration.provider_config) ? configuration.provider_config : {}
  return Object.entries(configs).flatMap(([key, config]) => {
    if (!isObject(config)) return []
    const name = typeof config.name === 'string' ? config.name : key.split('.')[0]!
    const alias = typeof config.alias === 'string' ? config.alias : undefined
    // Blocks come as lists (assume_role: [{role_arn: …}]); at() and block() read either shape.
    const values = (expressionValue(config.expressions ?? {}, '') ?? {}) as JsonObject
    return [providerConfig(name, alias, values, file)]
  })
}
