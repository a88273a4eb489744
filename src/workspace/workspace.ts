import {stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import {usageError} from '../errors.ts'
import {loadTiers, type TierCatalog} from '../tiers/tiers.ts'
import {WorkspaceConfigSchema, type WorkspaceConfig} from './config.ts'
import {problemsError, zodProblems} from '../input/problems.ts'
import {readYamlFile} from '../input/yaml-file.ts'

export const WORKSPACE_FILE = 'seiketsu.yaml'

export interface Workspace {
  root: string
  config: WorkspaceConfig
  tiers: TierCatalog
}

/** Every place seiketsu reads or writes inside a workspace. */
export function workspacePaths(root: string) {
  const internal = join(root, '.seiketsu')
  return {
    auditTrail: join(internal, 'audit-trail.jsonl'),
    cache: join(internal, 'cache'),
    clients: join(root, 'clients'),
    config: join(root, WORKSPACE_FILE),
    exceptions: join(root, 'audit-exceptions.yaml'),
    internal,
    keys: join(internal, 'keys'),
    out: join(root, 'cdktf.out'),
    registryLock: join(internal, 'registry'),
    state: join(internal, 'state'),
  }
}

/** The nearest folder from `start` upwards that holds seiketsu.yaml. */
export async function locateWorkspace(start: string): Promise<string | undefined> {
  let current = resolve(start)
  for (;;) {
    if (await isFile(join(current, WORKSPACE_FILE))) return current
    const parent = dirname(current)
    if (parent === current) return undefined
    current = parent
  }
}

/** Finds and validates the workspace: `--workspace DIR` when given, else the nearest one upwards. */
export async function loadWorkspace(explicitDir?: string, cwd = process.cwd()): Promise<Workspace> {
  let root: string | undefined
  if (explicitDir) {
    root = resolve(cwd, explicitDir)
    if (!(await isFile(join(root, WORKSPACE_FILE))))
      throw usageError(`workspace ${explicitDir}: no ${WORKSPACE_FILE} there`, {
        code: 'NO_WORKSPACE',
        input: 'workspace',
        suggestions: [`seiketsu init ${explicitDir}`],
      })
  } else {
    root = await locateWorkspace(cwd)
    if (!root)
      throw usageError(`No seiketsu workspace in ${cwd} or any folder above it`, {
        code: 'NO_WORKSPACE',
        suggestions: ['seiketsu init [DIR] to create one', '--workspace DIR to use one elsewhere'],
      })
  }
  const parsed = await readYamlFile(join(root, WORKSPACE_FILE), WORKSPACE_FILE)
  const result = WorkspaceConfigSchema.safeParse(parsed.data)
  if (!result.success)
    throw problemsError(
      `${WORKSPACE_FILE} is invalid:`,
      zodProblems(result.error, WORKSPACE_FILE, parsed.data, parsed.lineOf),
    )
  const tiers = await loadTiers(result.data.tiers, WORKSPACE_FILE, parsed.lineOf)
  return {config: result.data, root, tiers}
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
