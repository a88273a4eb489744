import {readFile, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import type {StackKind} from './model.ts'

/**
 * The synthesized stacks on disk: where synth writes each one, whether it is there, and reading it
 * back. Every command that plans, applies, audits or prices a stack finds it here.
 */

export const STACK_FILE = 'cdk.tf.json'

/** A stack's place on disk: terraform's working folder and the configuration file in it. */
export interface StoredStack {
  /** A client id, `platform`, or `<client>/bootstrap`. */
  id: string
  kind: StackKind
  /** Absolute folder holding cdk.tf.json. */
  dir: string
  /** Absolute path of cdk.tf.json. */
  file: string
}

/** The folder holding every stack folder: <outDir>/stacks. */
export function stacksFolder(outDir: string): string {
  return join(outDir, 'stacks')
}

/** What kind of stack an id names (bootstrap ids are `<client>/bootstrap`, see bootstrapStackId). */
export function stackKindOf(id: string): StackKind {
  if (id === PLATFORM_STACK_ID) return 'platform'
  return id.endsWith('/bootstrap') ? 'bootstrap' : 'client'
}

/** Where synth writes stack `id` under outDir: <outDir>/stacks/<id>/cdk.tf.json. */
export function storedStack(outDir: string, id: string): StoredStack {
  const dir = join(stacksFolder(outDir), ...id.split('/'))
  return {dir, file: join(dir, STACK_FILE), id, kind: stackKindOf(id)}
}

/** Stack `id` in the workspace's own output folder (cdktf.out). */
export function workspaceStack(workspace: Workspace, id: string): StoredStack {
  return storedStack(workspacePaths(workspace.root).out, id)
}

export async function isSynthesized(stack: StoredStack): Promise<boolean> {
  try {
    return (await stat(stack.file)).isFile()
  } catch {
    return false
  }
}

/** The stacks that are not on disk, in the order given. */
export async function missingStacks(stacks: readonly StoredStack[]): Promise<StoredStack[]> {
  const present = await Promise.all(stacks.map((stack) => isSynthesized(stack)))
  return stacks.filter((_, index) => !present[index])
}

/** Exit 2 naming each stack that is not on disk (relative to cwd) and the synth run that writes them. */
export async function requireSynthesized(stacks: readonly StoredStack[], cwd = process.cwd()): Promise<void> {
  const missing = await missingStacks(stacks)
  if (missing.length > 0) throw notSynthesized(missing, cwd)
}

export function notSynthesized(missing: readonly StoredStack[], cwd = process.cwd()) {
  const ids = missing.map((stack) => stack.id)
  const files = missing.map((stack) => relative(cwd, stack.file))
  return usageError(`No synthesized stack for ${ids.join(', ')}: ${files.join(', ')} not found`, {
    code: 'NOT_SYNTHESIZED',
    details: {files, missing: ids},
    suggestions: [synthCommandFor(missing)],
  })
}

/** The synth run that writes these stacks: synth takes client ids, and writes the platform stack always. */
function synthCommandFor(stacks: readonly StoredStack[]): string {
  const clients = stacks.filter((stack) => stack.kind !== 'platform').map((stack) => stack.id.split('/')[0]!)
  return ['seiketsu synth', ...new Set(clients)].join(' ')
}

/**
 * The stack's Terraform JSON as synth wrote it. Missing is exit 2 (synth first); a file that is not
 * JSON (edited by hand, cut short) is exit 2 naming it and the synth run that rewrites it.
 */
export async function readStackDocument(stack: StoredStack, cwd = process.cwd()): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(stack.file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notSynthesized([stack], cwd)
    throw error
  }
  const label = relative(cwd, stack.file)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    json = error
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || json instanceof Error)
    throw usageError(
      `${label} is not valid JSON${json instanceof Error ? `: ${json.message}` : ' (expected an object)'}`,
      {
        code: 'MALFORMED_FILE',
        details: {file: label},
        suggestions: [synthCommandFor([stack])],
      },
    )
  return json as Record<string, unknown>
}
