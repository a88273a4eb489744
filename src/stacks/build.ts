import {App} from 'cdktf'

import type {StackBackend} from './backend.ts'
import {BootstrapStack} from './constructs/bootstrap-stack.ts'
import {ClientStack} from './constructs/client-stack.ts'
import {PlatformStack} from './constructs/platform-stack.ts'
import type {StackModel} from './model.ts'

/**
 * Builds one stack in an App of its own and returns cdktf's Terraform JSON as text, keys sorted, two
 * spaces: the same bytes for the same model on every run. One App per stack keeps memory flat
 * however many clients there are (each tree is garbage once its text exists).
 */
export function buildStackJson(
  model: StackModel,
  backend: StackBackend,
  outDir: string,
): {json: string; resources: number} {
  const terraform = withoutCreationStacks(() => {
    const app = new App({outdir: outDir, skipValidation: true, stackTraces: false})
    const stack =
      model.kind === 'client'
        ? new ClientStack(app, model, backend)
        : model.kind === 'bootstrap'
          ? new BootstrapStack(app, model, backend)
          : new PlatformStack(app, model, backend)
    // No prepareStack(): it only exists to find cross-stack references, and these stacks have none.
    return stack.toTerraform() as {resource?: Record<string, Record<string, unknown>>}
  })
  const resources = Object.values(terraform.resource ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0)
  return {json: `${stableStringify(terraform)}\n`, resources}
}

/**
 * cdktf records a full stack trace (no depth limit) for every token it creates, only to decorate
 * error messages; that is half the cost of a synth. Inside this synchronous call those traces are
 * empty. Errors thrown meanwhile keep their own stack: V8 captures it without this function.
 */
function withoutCreationStacks<T>(build: () => T): T {
  const capture = Error.captureStackTrace
  Error.captureStackTrace = (target: object) => {
    ;(target as {stack?: string}).stack = ''
  }
  try {
    return build()
  } finally {
    Error.captureStackTrace = capture
  }
}

/** JSON.stringify with object keys sorted at every level (arrays keep their order). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value), undefined, 2)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item))
  if (value === null || typeof value !== 'object') return value
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
  return sorted
}
