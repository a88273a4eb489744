import type {Resource} from './model.ts'
import {isObject} from './values.ts'

/** The resource addresses `${…}` expressions name, and the resources of a configuration they resolve to. */

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

/** Resources by the address references use, and by type. */
export interface ResourceIndex {
  byAddress: Map<string, Resource>
  byType: Map<string, Resource[]>
}

/** The index of resources, in their order (the first of a repeated address wins). */
export function indexResources(resources: readonly Resource[]): ResourceIndex {
  const index: ResourceIndex = {byAddress: new Map(), byType: new Map()}
  for (const resource of resources) {
    if (!index.byAddress.has(resource.address)) index.byAddress.set(resource.address, resource)
    // `aws_subnet.a[0]` is also reachable as `aws_subnet.a`, the form references use.
    const unindexed = resource.address.replace(/\[[^\]]*\]$/, '')
    if (!index.byAddress.has(unindexed)) index.byAddress.set(unindexed, resource)
    const ofType = index.byType.get(resource.type) ?? []
    ofType.push(resource)
    index.byType.set(resource.type, ofType)
  }
  return index
}

/** The resources a value references (optionally only of the given types). */
export function resolveAll(index: ResourceIndex, value: unknown, types?: readonly string[]): Resource[] {
  const resources: Resource[] = []
  for (const address of references(value)) {
    const resource = index.byAddress.get(address)
    if (resource && (!types || types.includes(resource.type))) resources.push(resource)
  }
  return resources
}

export function resolve(index: ResourceIndex, value: unknown, types?: readonly string[]): Resource | undefined {
  return resolveAll(index, value, types)[0]
}

/** Resources of the given types whose attribute references `target` (e.g. the versioning of a bucket). */
export function referencing(
  index: ResourceIndex,
  types: readonly string[],
  attribute: string,
  target: Resource,
): Resource[] {
  return types.flatMap((type) =>
    (index.byType.get(type) ?? []).filter((candidate) =>
      references(candidate.values[attribute]).some((address) => address === target.address),
    ),
  )
}

export function resourcesOf(index: ResourceIndex, ...types: string[]): Resource[] {
  return types.flatMap((type) => index.byType.get(type) ?? [])
}
