import {readFile} from 'node:fs/promises'
import {isDeepStrictEqual} from 'node:util'
import {join, resolve} from 'node:path'

import type {StateBackend} from '../workspace/config.ts'

/** A terraform backend: its type and its settings (what a `backend "<type>" {…}` block holds). */
export interface BackendConfig {
  type: string
  config: Record<string, unknown>
}

/** The backend block of a stack's configuration; terraform's default (local, terraform.tfstate) when none. */
export function configuredBackend(stackJson: unknown): BackendConfig {
  const backends = ((stackJson ?? {}) as {terraform?: {backend?: Record<string, unknown>}}).terraform?.backend ?? {}
  const [type, config] = Object.entries(backends)[0] ?? ['local', {}]
  const body = Array.isArray(config) ? config[0] : config
  return {config: withoutNulls((body ?? {}) as Record<string, unknown>), type}
}

/**
 * The -backend-config arguments seiketsu passes to every `init` of an S3 stack for the workspace's
 * custom endpoint settings (`state.endpoint`, `state.usePathStyle`): the same on every init, since
 * terraform records them and calls a different set a backend change.
 */
export function backendConfigArgs(state: StateBackend, backend: BackendConfig): string[] {
  if (state.backend !== 's3' || backend.type !== 's3') return []
  const args: string[] = []
  if (state.endpoint) args.push(`-backend-config=endpoints={s3=${JSON.stringify(state.endpoint)}}`)
  if (state.usePathStyle !== undefined) args.push(`-backend-config=use_path_style=${state.usePathStyle}`)
  return args
}

/** The backend terraform will use for a stack: its block with seiketsu's -backend-config applied. */
export function effectiveBackend(backend: BackendConfig, state: StateBackend): BackendConfig {
  if (state.backend !== 's3' || backend.type !== 's3') return backend
  const config = {...backend.config}
  if (state.endpoint) config.endpoints = {...(config.endpoints as object | undefined), s3: state.endpoint}
  if (state.usePathStyle !== undefined) config.use_path_style = state.usePathStyle
  return {config, type: backend.type}
}

/** The backend `terraform init` last set up in a folder (.terraform/terraform.tfstate), if any. */
export async function initializedBackend(dir: string): Promise<BackendConfig | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, '.terraform', 'terraform.tfstate'), 'utf8')) as {
      backend?: {type?: unknown; config?: unknown}
    }
    if (typeof parsed.backend?.type !== 'string') return undefined
    return {config: withoutNulls((parsed.backend.config ?? {}) as Record<string, unknown>), type: parsed.backend.type}
  } catch {
    return undefined
  }
}

export function sameBackend(a: BackendConfig, b: BackendConfig): boolean {
  return a.type === b.type && isDeepStrictEqual(withoutNulls(a.config), withoutNulls(b.config))
}

/** Where a local backend keeps the default workspace's state, absolute (relative paths are from the stack folder). */
export function localStatePath(backend: BackendConfig, dir: string): string | undefined {
  if (backend.type !== 'local') return undefined
  return resolve(dir, typeof backend.config.path === 'string' ? backend.config.path : 'terraform.tfstate')
}

/** A short name for where a backend keeps the state: a path, s3://bucket/key, or `<type> backend`. */
export function describeBackend(backend: BackendConfig, dir: string): string {
  if (backend.type === 'local') return localStatePath(backend, dir)!
  if (backend.type === 's3') return `s3://${String(backend.config.bucket)}/${String(backend.config.key)}`
  return `${backend.type} backend`
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [key, entry] of Object.entries(value)) {
    if (entry === null || entry === undefined) continue
    if (typeof entry === 'object' && !Array.isArray(entry)) {
      const inner = withoutNulls(entry as Record<string, unknown>)
      if (Object.keys(inner).length > 0) result[key] = inner
    } else result[key] = entry
  }
  return result
}
