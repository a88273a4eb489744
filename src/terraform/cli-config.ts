import {createHash} from 'node:crypto'
import {mkdir, stat} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

import {usageError} from '../errors.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'

export const CLI_CONFIG_ENV = 'TF_CLI_CONFIG_FILE'

export type ProviderMirror = {kind: 'filesystem'; path: string} | {kind: 'network'; url: string}

/** `terraform.providerMirror` as terraform needs it: an https URL is a network mirror, anything else a folder. */
export function parseProviderMirror(value: string, workspaceRoot: string): ProviderMirror {
  if (/^https:\/\//i.test(value)) return {kind: 'network', url: value}
  return {kind: 'filesystem', path: resolve(workspaceRoot, value)}
}

/**
 * The terraform CLI configuration for a mirror: providers are installed from it only (no direct
 * registry access), which is what an air-gapped or regulated network needs.
 */
export function renderCliConfig(mirror: ProviderMirror): string {
  const block =
    mirror.kind === 'filesystem'
      ? `  filesystem_mirror {\n    path = ${JSON.stringify(mirror.path)}\n  }`
      : `  network_mirror {\n    url = ${JSON.stringify(mirror.url)}\n  }`
  return [
    '# Written by seiketsu from seiketsu.yaml terraform.providerMirror; every terraform seiketsu runs uses it.',
    'provider_installation {',
    block,
    '}',
    '',
  ].join('\n')
}

export interface CliConfigChoice {
  /** The environment change: TF_CLI_CONFIG_FILE pointing at seiketsu's file (nothing when no mirror is set). */
  env: NodeJS.ProcessEnv
  warnings: string[]
  /** The file seiketsu wrote, when it wrote one. */
  file?: string
}

/**
 * With `terraform.providerMirror` set, writes the CLI configuration under .seiketsu/cache/ and
 * points TF_CLI_CONFIG_FILE at it. A filesystem mirror that is not a folder is exit 2 naming the
 * setting. The workspace setting wins over an operator's own TF_CLI_CONFIG_FILE (it is reviewed in
 * git and the same for the whole team), with a warning saying so.
 */
export async function chooseCliConfig(workspace: Workspace, base: NodeJS.ProcessEnv): Promise<CliConfigChoice> {
  const setting = workspace.config.terraform.providerMirror
  if (!setting) return {env: {}, warnings: []}
  const mirror = parseProviderMirror(setting, workspace.root)
  if (mirror.kind === 'filesystem') {
    const isFolder = await stat(mirror.path).then(
      (stats) => stats.isDirectory(),
      () => false,
    )
    if (!isFolder)
      throw usageError(`seiketsu.yaml: terraform.providerMirror: ${mirror.path} is not a folder`, {
        code: 'INVALID_PROVIDER_MIRROR',
        details: {field: 'terraform.providerMirror', path: mirror.path},
        suggestions: [
          'Point terraform.providerMirror at the folder that holds registry.terraform.io/… (terraform providers mirror DIR makes one), or at an https network mirror URL ending with /',
        ],
      })
  }
  const text = renderCliConfig(mirror)
  const dir = join(workspacePaths(workspace.root).cache, 'terraform-cli-config')
  await mkdir(dir, {recursive: true})
  // One file per content: concurrent runs with different settings never see each other's file half-written.
  const file = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.tfrc`)
  await writeFileAtomic(file, text, {fsync: false})
  const warnings =
    base[CLI_CONFIG_ENV] && base[CLI_CONFIG_ENV] !== file
      ? [
          `${CLI_CONFIG_ENV}=${base[CLI_CONFIG_ENV]} is replaced for terraform by seiketsu's configuration for terraform.providerMirror (the workspace setting wins); move anything else you need from it into the mirror or unset ${CLI_CONFIG_ENV}`,
        ]
      : []
  return {env: {[CLI_CONFIG_ENV]: file}, file, warnings}
}
