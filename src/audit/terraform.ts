import type {ClientContext, ProviderConfig, Resource, Stack, StackKind} from './types.ts'

/**
 * Normalises Terraform of any shape into a Stack: JSON written by cdktf (`{type: {name: body}}`),
 * JSON in the list forms Terraform also accepts (`[{type: {name: [body]}}]`), HCL converted to JSON
 * (every block a list) and the planned values of `terraform show -json`. Rules then read one model.
 */

export type JsonObject = Record<string, unknown>

/** One parsed configuration file in Terraform's JSON syntax. */
export interface TerraformDocument {
  file: string
  json: JsonObject
}

/** Resources and providers already in the model (from a plan's planned values). */
export interface PlannedDocument {
  file: string
  planned: {resources: Resource[]; providers: ProviderConfig[]}
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A nested block as a list, whether it was written as one object or a list of objects. */
export function blocks(value: unknown): JsonObject[] {
  if (Array.isArray(value)) return value.filter(isObject)
  return isObject(value) ? [value] : []
}

/** The first (usually only) nested block. */
export function block(value: unknown): JsonObject | undefined {
  return blocks(value)[0]
}

/** A value read through nested blocks: `at(values, 'network_configuration', 'assign_public_ip')`. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) {
    const object = Array.isArray(current) ? block(current) : isObject(current) ? current : undefined
    if (!object) return undefined
    current = object[key]
  }
  return current
}

/** Terraform accepts "true"/"false" strings wherever a bool goes. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true'
}

export function isFalse(value: unknown): boolean {
  return value === false || value === 'false'
}

/** A number, from a number or a numeric string; undefined otherwise (a reference, unknown). */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value)
  return undefined
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

/** A list of scalars, from a list or a single value. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

export function strings(value: unknown): string[] {
  return list(value)
    .map(str)
    .filter((item): item is string => item !== undefined)
}

/** A literal: a string with no `${…}` in it. */
export function isLiteral(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('${')
}

const INTERPOLATION = /\$\{((?:[^{}]|\{[^{}]*\})*)\}/g
const ADDRESS = /(?<![\w.-])((?:module\.[A-Za-z_][\w-]*\.)*(?:data\.)?[a-z][a-z0-9]*_[A-Za-z0-9_]*\.[A-Za-z_][\w-]*)/g

const stringReferences = new Map<string, string[]>()

/** The addresses in one string, memoized: the same attribute values are read by many rules. */
function referencesInString(text: string): string[] {
  let found = stringReferences.get(text)
  if (found) return found
  found = []
  for (const match of text.matchAll(INTERPOLATION))
    for (const address of match[1]!.matchAll(ADDRESS)) if (!found.includes(address[1]!)) found.push(address[1]!)
  if (stringReferences.size > 200_000) stringReferences.clear()
  stringReferences.set(text, found)
  return found
}

/** Every resource address referenced inside `${…}` anywhere in a value (deep), in order, deduplicated. */
export function references(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('${') ? [...referencesInString(value)] : []
  const found = new Set<string>()
  const visit = (item: unknown): void => {
    if (typeof item === 'string') {
      if (item.includes('${')) for (const address of referencesInString(item)) found.add(address)
    } else if (Array.isArray(item)) item.forEach(visit)
    else if (isObject(item)) Object.values(item).forEach(visit)
  }
  visit(value)
  return [...found]
}

/** The resources of the stack a value references (optionally only of the given types). */
export function resolveAll(stack: Stack, value: unknown, types?: readonly string[]): Resource[] {
  const resources: Resource[] = []
  for (const address of references(value)) {
    const resource = stack.byAddress.get(address)
    if (resource && (!types || types.includes(resource.type))) resources.push(resource)
  }
  return resources
}

export function resolve(stack: Stack, value: unknown, types?: readonly string[]): Resource | undefined {
  return resolveAll(stack, value, types)[0]
}

/** Resources of the given types whose attribute references `target` (e.g. the versioning of a bucket). */
export function referencing(stack: Stack, types: readonly string[], attribute: string, target: Resource): Resource[] {
  return types.flatMap((type) =>
    (stack.byType.get(type) ?? []).filter((candidate) =>
      references(candidate.values[attribute]).some((address) => address === target.address),
    ),
  )
}

export function resourcesOf(stack: Stack, ...types: string[]): Resource[] {
  return types.flatMap((type) => stack.byType.get(type) ?? [])
}

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

const KNOWN_SECTIONS = new Set(['resource', 'data', 'provider', '//'])

/** Builds the Stack of one configuration (one or several files of a folder, or one converted plan). */
export function buildStack(
  documents: readonly (TerraformDocument | PlannedDocument)[],
  meta: {id: string; kind?: StackKind; file?: string; platform?: string; client?: ClientContext},
): Stack {
  const resources: Resource[] = []
  const providers: ProviderConfig[] = []
  const other: Record<string, unknown> = {}
  for (const document of documents) {
    if ('planned' in document) {
      resources.push(...document.planned.resources)
      providers.push(...document.planned.providers)
      continue
    }
    const {file, json} = document
    eachEntry(json.resource, (type, name, values) =>
      resources.push({address: `${type}.${name}`, file, mode: 'managed', name, type, values}),
    )
    eachEntry(json.data, (type, name, values) =>
      resources.push({address: `data.${type}.${name}`, file, mode: 'data', name, type, values}),
    )
    for (const group of blocks(json.provider))
      for (const [name, configs] of Object.entries(group))
        for (const values of blocks(configs)) {
          const alias = str(values.alias)
          providers.push({alias, file, key: alias ? `${name}.${alias}` : name, name, values})
        }
    for (const [key, value] of Object.entries(json)) if (!KNOWN_SECTIONS.has(key)) other[key] = value
  }
  const stack: Stack = {
    blocks: other,
    byAddress: new Map(),
    byType: new Map(),
    client: meta.client,
    file: meta.file ?? documents[0]?.file ?? meta.id,
    fromPlan: documents.some((document) => 'planned' in document),
    id: meta.id,
    kind: meta.kind ?? 'other',
    platform: meta.platform,
    providers,
    resources,
  }
  for (const resource of resources) {
    if (!stack.byAddress.has(resource.address)) stack.byAddress.set(resource.address, resource)
    // `aws_subnet.a[0]` is also reachable as `aws_subnet.a`, the form references use.
    const unindexed = resource.address.replace(/\[[^\]]*\]$/, '')
    if (!stack.byAddress.has(unindexed)) stack.byAddress.set(unindexed, resource)
    const ofType = stack.byType.get(resource.type) ?? []
    ofType.push(resource)
    stack.byType.set(resource.type, ofType)
  }
  return stack
}

/** The default-tag map of the AWS provider without alias (cdktf writes default_tags as a list). */
export function defaultTags(stack: Stack): Record<string, string> {
  const provider = defaultProvider(stack)
  const tags = at(provider?.values, 'default_tags', 'tags')
  return isObject(tags) ? (Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])) as never) : {}
}

export function defaultProvider(stack: Stack): ProviderConfig | undefined {
  return stack.providers.find((provider) => provider.name === 'aws' && !provider.alias)
}

/** The provider configuration a resource uses (its `provider` attribute, else the default AWS one). */
export function providerOf(stack: Stack, resource: Resource): ProviderConfig | undefined {
  const key = str(resource.values.provider)?.replace(/^\$\{(.*)\}$/, '$1')
  if (key) return stack.providers.find((provider) => provider.key === key)
  return defaultProvider(stack)
}

/** The account id of an `arn:aws:…:<account>:…` string, when literal. */
export function arnAccount(arn: string): string | undefined {
  return /^arn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12}):/.exec(arn)?.[1]
}

/** The account a provider works in: from its assume_role role ARN. */
export function providerAccount(provider: ProviderConfig | undefined): string | undefined {
  const roleArn = str(at(provider?.values, 'assume_role', 'role_arn'))
  return roleArn ? arnAccount(roleArn) : undefined
}

/**
 * The value of `${jsonencode(<literal>)}`, as HCL converted to JSON leaves it (IAM policies and
 * container definitions are usually written so). Object, list, string, number and bool literals
 * are read; a bare reference becomes a `${…}` string; anything else (function calls) → undefined.
 */
export function jsonencodeValue(value: unknown): unknown {
  if (typeof value !== 'string') return undefined
  const match = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/.exec(value)
  if (!match) return undefined
  try {
    const parser = new HclLiteralParser(match[1]!)
    const result = parser.value()
    parser.end()
    return result
  } catch {
    return undefined
  }
}

class HclLiteralParser {
  private position = 0
  private readonly text: string

  constructor(text: string) {
    this.text = text
  }

  end(): void {
    this.skip()
    if (this.position !== this.text.length) throw new Error('trailing text')
  }

  value(): unknown {
    this.skip()
    const char = this.text[this.position]
    if (char === '{') return this.object()
    if (char === '[') return this.list()
    if (char === '"') return this.string()
    const word = /^[\w.\-[\]*]+/.exec(this.text.slice(this.position))?.[0]
    if (!word) throw new Error(`unexpected ${char}`)
    this.position += word.length
    if (this.text[this.position] === '(') throw new Error('function call')
    if (word === 'true' || word === 'false') return word === 'true'
    if (word === 'null') return null
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word)
    return `\${${word}}`
  }

  private skip(): void {
    for (;;) {
      const rest = this.text.slice(this.position)
      const space = /^(\s+|#[^\n]*|\/\/[^\n]*)/.exec(rest)
      if (!space) return
      this.position += space[0].length
    }
  }

  private object(): Record<string, unknown> {
    const object: Record<string, unknown> = {}
    this.position++
    for (;;) {
      this.skip()
      if (this.text[this.position] === ',') {
        this.position++
        continue
      }
      if (this.text[this.position] === '}') {
        this.position++
        return object
      }
      const key = this.text[this.position] === '"' ? this.string() : /^[\w-]+/.exec(this.text.slice(this.position))?.[0]
      if (key === undefined || key === '') throw new Error('bad key')
      if (this.text[this.position - 1] !== '"') this.position += key.length
      this.skip()
      const separator = this.text[this.position]
      if (separator !== '=' && separator !== ':') throw new Error('expected =')
      this.position++
      object[key] = this.value()
    }
  }

  private list(): unknown[] {
    const items: unknown[] = []
    this.position++
    for (;;) {
      this.skip()
      if (this.text[this.position] === ',') {
        this.position++
        continue
      }
      if (this.text[this.position] === ']') {
        this.position++
        return items
      }
      items.push(this.value())
    }
  }

  private string(): string {
    let result = ''
    this.position++
    while (this.position < this.text.length) {
      const char = this.text[this.position]!
      if (char === '"') {
        this.position++
        return result
      }
      if (char === '\\') {
        const next = this.text[this.position + 1]
        result += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '')
        this.position += 2
        continue
      }
      result += char
      this.position++
    }
    throw new Error('unterminated string')
  }
}
