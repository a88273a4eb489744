/**
 * Reading values of a Terraform configuration in any of the shapes Terraform accepts: nested blocks as
 * one object or a list of objects, bools and numbers as strings, `${…}` expressions beside literals.
 */

export type JsonObject = Record<string, unknown>

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

/** The string, when it is a literal; undefined for an expression or anything else. */
export function literal(value: unknown): string | undefined {
  return isLiteral(value) ? value : undefined
}

/** The account id of an `arn:aws:…:<account>:…` string, when literal. */
export function arnAccount(arn: string): string | undefined {
  return /^arn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12}):/.exec(arn)?.[1]
}
