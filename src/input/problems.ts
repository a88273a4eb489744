import type {ZodError} from 'zod'

import {usageError, type SeiketsuError} from '../errors.ts'

/** One thing wrong with an input file: where it is, which field, what was found and what is allowed. */
export interface Problem {
  file: string
  field?: string
  line?: number
  message: string
}

export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`
}

/** A usage error (exit 2) listing every problem at once, each on its own line. */
export function problemsError(summary: string, problems: Problem[], suggestions?: string[]): SeiketsuError {
  const lines = problems.map((problem) => `  - ${formatProblem(problem)}`)
  return usageError([summary, ...lines].join('\n'), {code: 'INVALID_INPUT', details: {problems}, suggestions})
}

export function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join('')
}

/** Turns zod issues into problems, with the found value and the YAML line when known. */
export function zodProblems(
  error: ZodError,
  file: string,
  data: unknown,
  lineOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined,
  prefix: readonly PropertyKey[] = [],
): Problem[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys
      const keyPath = [...path, keys[0]]
      return {
        file,
        field: fieldName(path) || undefined,
        line: lineOf(keyPath) ?? lineOf(path),
        message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}; remove ${keys.length > 1 ? 'them' : 'it'} (check the spelling against the template)`,
      }
    }
    const found = valueAt(data, issue.path)
    // Integration settings are screened for credentials: never repeat what was found there in an
    // error message (it would land in CI logs and --json output).
    const foundText = path.includes('settings')
      ? 'value not shown'
      : found === undefined
        ? 'missing'
        : `found ${JSON.stringify(found)}`
    return {file, field: fieldName(path) || undefined, line: lineOf(path), message: `${issue.message} (${foundText})`}
  })
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = data
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}
