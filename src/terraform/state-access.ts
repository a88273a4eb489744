import {randomUUID} from 'node:crypto'
import {mkdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {join, relative, sep} from 'node:path'

import {ExitCode, SeiketsuError} from '../errors.ts'
import {describeBackend, effectiveBackend, localStatePath, type BackendConfig} from './backends.ts'
import {describeInitProblem, firstTerraformError, initProblemOf, stackBackendOf} from './diagnostics.ts'
import type {TerraformSession, TerraformStack} from './session.ts'
import {readStateFile, stateMetaOf, type StateMeta} from './state-meta.ts'

/**
 * Reading a stack's state where it lives, and pointing a stack at another backend for a moment:
 * what state migrate, state bootstrap and provision's checks share.
 */

/** A failure to read a backend's state (exit 4), with the code of the fix when seiketsu knows it. */
function readError(
  message: string,
  code: 'STATE_NOT_BOOTSTRAPPED' | 'STATE_READ_FAILED' = 'STATE_READ_FAILED',
): SeiketsuError {
  return new SeiketsuError(message, code === 'STATE_NOT_BOOTSTRAPPED' ? ExitCode.Usage : ExitCode.External, {code})
}

/**
 * The state a backend holds for a stack, without touching the stack's own folder: a local state is
 * read from its file; any other backend is initialized in a scratch folder holding only that backend
 * block, and read with `terraform state pull` (read-only, no lock). Undefined when there is none.
 */
export async function readBackendState(
  session: TerraformSession,
  stack: TerraformStack,
  backend: BackendConfig,
  probeRoot: string,
): Promise<StateMeta | undefined> {
  const local = localStatePath(backend, stack.dir)
  if (local) return readStateFile(local)
  const dir = join(probeRoot, `${stack.id.replaceAll(/[^\w-]/g, '_')}-${randomUUID().slice(0, 8)}`)
  await mkdir(dir, {recursive: true})
  try {
    await writeFile(
      join(dir, 'main.tf.json'),
      `${JSON.stringify({terraform: {backend: {[backend.type]: backend.config}}}, null, 2)}\n`,
    )
    const probe = {...stack, dir, file: join(dir, 'main.tf.json')}
    const init = await session.run(probe, ['init', '-input=false', '-no-color'])
    if (init.exitCode !== 0) {
      const problem = initProblemOf(init.stderr)
      if (problem?.code === 'STATE_NOT_BOOTSTRAPPED')
        throw readError(describeInitProblem(problem, stack.id), problem.code)
      throw readError(
        `cannot read the state at ${describeBackend(backend, stack.dir)}: ${firstTerraformError(init.stderr) ?? `init exit ${init.exitCode}`}`,
      )
    }
    const pulled = await session.run(probe, ['state', 'pull'])
    if (pulled.exitCode !== 0)
      throw readError(
        `cannot read the state at ${describeBackend(backend, stack.dir)}: ${firstTerraformError(pulled.stderr) ?? `exit ${pulled.exitCode}`}`,
      )
    return stateMetaOf(pulled.stdout)
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

/** The override file that gives a stack another backend for a moment (terraform merges *_override.tf.json last). */
export const BACKEND_OVERRIDE_FILE = 'seiketsu_backend_override.tf.json'

/**
 * Runs `work` with the stack's backend replaced by `backend` (an override file terraform merges
 * over cdk.tf.json: an override's backend block replaces the original's), and removes it again.
 */
export async function withBackendOverride<T>(
  stack: TerraformStack,
  backend: BackendConfig,
  work: () => Promise<T>,
): Promise<T> {
  const file = join(stack.dir, BACKEND_OVERRIDE_FILE)
  await writeFile(file, `${JSON.stringify({terraform: {backend: {[backend.type]: backend.config}}}, null, 2)}\n`)
  try {
    return await work()
  } finally {
    await rm(file, {force: true})
  }
}

/** After a verified copy out of a local backend: the old file is renamed so that nothing reads it by mistake. */
export async function retireLocalState(source: BackendConfig, stack: TerraformStack): Promise<{retired?: string}> {
  const path = localStatePath(source, stack.dir)
  if (!path || !(await isFile(path))) return {}
  const retired = `${path}.migrated`
  await rename(path, retired)
  return {retired}
}

/** A path from `from` to `to` with forward slashes, as backend blocks write them. */
export function relativePath(from: string, to: string): string {
  return relative(from, to).split(sep).join('/')
}

/**
 * The lineage and serial of a stack's state now: read from the file for local state, asked of
 * terraform (`state pull`) for a remote backend once the folder is initialized; `unknown` when it
 * cannot be told here (a fresh checkout: checked after init, before the apply).
 */
export async function currentStateMeta(
  session: TerraformSession,
  stack: TerraformStack,
): Promise<StateMeta | undefined | 'unknown'> {
  const backend = effectiveBackend(await stackBackendOf(stack), session.state)
  const local = localStatePath(backend, stack.dir)
  if (local) return readStateFile(local).catch(() => 'unknown' as const)
  if (!(await isDirectory(join(stack.dir, '.terraform')))) return 'unknown'
  const pulled = await session.run(stack, ['state', 'pull'])
  if (pulled.exitCode !== 0) return 'unknown'
  try {
    return stateMetaOf(pulled.stdout)
  } catch {
    return 'unknown'
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
