import {mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {isMap, parseDocument} from 'yaml'

import {usageError} from '../errors.ts'
import {templatePath} from '../paths.ts'
import {WorkspaceConfigSchema} from './config.ts'
import {problemsError, zodProblems} from '../input/problems.ts'
import {WORKSPACE_FILE, workspacePaths} from './workspace.ts'
import {parseYamlText} from '../input/yaml-file.ts'

export interface WorkspaceSettings {
  platform: string
  managementAccountId: string
  region: string
  drRegion: string
  state: {backend: 'local'} | {backend: 's3'; bucket: string; region: string; keyPrefix: string}
  /** Each client API's parent domain (`domain`). */
  domain?: string
  /** Root email of the accounts the platform creates (`accounts.rootEmailTemplate`, with {client}). */
  accountEmailTemplate?: string
  /** The on-call address alarms and budget alerts go to (`alerts.email`). */
  alertsEmail?: string
  /** The voice-agent image digest every client runs (`image.digest`). */
  imageDigest?: string
}

/**
 * The optional settings: their path in seiketsu.yaml, and the commented-out lines of the template
 * that show them (a value given at init replaces those lines, so the file keeps its layout). Values
 * are written as JSON strings (valid YAML): no value can add a line of its own.
 */
const OPTIONAL_SETTINGS = [
  ['domain', ['domain'], /^# domain: .*$/m, (value: string) => `domain: ${JSON.stringify(value)}`],
  [
    'accountEmailTemplate',
    ['accounts', 'rootEmailTemplate'],
    /^ {2}# rootEmailTemplate: .*$/m,
    (value: string) => `  rootEmailTemplate: ${JSON.stringify(value)}`,
  ],
  [
    'alertsEmail',
    ['alerts', 'email'],
    /^# alerts:\n# {3}email: .*$/m,
    (value: string) => `alerts:\n  email: ${JSON.stringify(value)}`,
  ],
  [
    'imageDigest',
    ['image', 'digest'],
    /^# image:\n# {3}digest: .*$/m,
    (value: string) => `image:\n  digest: ${JSON.stringify(value)}`,
  ],
] as const satisfies readonly (readonly [
  keyof WorkspaceSettings,
  readonly string[],
  RegExp,
  (value: string) => string,
])[]

export interface InitResult {
  root: string
  created: string[]
  overwritten: string[]
}

/** The text of a new seiketsu.yaml: the shipped template with the operator's values filled in. */
export function renderWorkspaceConfig(template: string, settings: WorkspaceSettings): string {
  const state =
    settings.state.backend === 'local'
      ? '  backend: local'
      : [
          '  backend: s3',
          `  bucket: ${settings.state.bucket}`,
          `  region: ${settings.state.region}`,
          `  keyPrefix: ${settings.state.keyPrefix}`,
        ].join('\n')
  const values: Record<string, string> = {
    drRegion: settings.drRegion,
    managementAccountId: settings.managementAccountId,
    platform: settings.platform,
    region: settings.region,
    state,
  }
  let text = template.replaceAll(/{{(\w+)}}/g, (_, key: string) => values[key] ?? '')
  for (const [key, , commented, line] of OPTIONAL_SETTINGS) {
    const value = settings[key]
    if (typeof value === 'string') text = text.replace(commented, line(value))
  }
  return text
}

/**
 * Creates a workspace in `dir`: seiketsu.yaml, clients/, a .gitignore for generated output and
 * local secrets, and an example client manifest. Validates everything before writing anything; an
 * existing workspace is kept unless `force` (which rewrites seiketsu.yaml but never a client).
 */
export async function createWorkspace(
  dir: string,
  settings: WorkspaceSettings,
  force = false,
  explicit: {platform: boolean; state: boolean} = {platform: true, state: true},
): Promise<InitResult> {
  const root = resolve(dir)
  const paths = workspacePaths(root)
  const configExists = await exists(paths.config)
  if (configExists && !force)
    throw usageError(`${join(dir, WORKSPACE_FILE)} already exists: a workspace is never overwritten`, {
      code: 'WORKSPACE_EXISTS',
      suggestions: ['Pass --force to rewrite seiketsu.yaml (client manifests are kept)', 'or choose another DIR'],
    })
  if ((await exists(root)) && !(await isDirectory(root)))
    throw usageError(`${dir} is a file, not a folder`, {code: 'NOT_A_DIRECTORY'})

  const rendered = renderWorkspaceConfig(await readFile(templatePath('workspace', 'seiketsu.yaml'), 'utf8'), settings)
  // --force on a readable seiketsu.yaml changes what the flags say and keeps everything else
  // (domain, tier overrides, key store, residencies…); only an unreadable one is replaced.
  const configText = (configExists && (await updatedConfigText(paths.config, settings, explicit))) || rendered
  const parsed = parseYamlText(configText, WORKSPACE_FILE)
  const validation = WorkspaceConfigSchema.safeParse(parsed.data)
  if (!validation.success)
    throw problemsError(
      'These settings would make an invalid workspace:',
      zodProblems(validation.error, WORKSPACE_FILE, parsed.data, parsed.lineOf),
    )

  const created: string[] = []
  const overwritten: string[] = []
  await mkdir(paths.clients, {recursive: true})
  await writeFile(paths.config, configText)
  ;(configExists ? overwritten : created).push(WORKSPACE_FILE)
  if (await writeIfMissing(join(paths.clients, '.gitkeep'), '')) created.push('clients/')
  if (await mergeGitignore(join(root, '.gitignore'))) created.push('.gitignore')
  if (
    await writeIfMissing(
      join(root, 'client.example.yaml'),
      await readFile(templatePath('workspace', 'client.example.yaml'), 'utf8'),
    )
  )
    created.push('client.example.yaml')
  return {created, overwritten, root}
}

/** The existing seiketsu.yaml with the given settings changed (comments kept), or undefined when it is not readable YAML. */
async function updatedConfigText(
  file: string,
  settings: WorkspaceSettings,
  explicit: {platform: boolean; state: boolean},
): Promise<string | undefined> {
  const document = parseDocument(await readFile(file, 'utf8'))
  if (document.errors.length > 0 || !isMap(document.contents)) return undefined
  document.set('managementAccountId', settings.managementAccountId)
  document.set('region', settings.region)
  document.set('drRegion', settings.drRegion)
  if (explicit.platform) document.set('platform', settings.platform)
  if (explicit.state) document.set('state', document.createNode(settings.state))
  for (const [key, path] of OPTIONAL_SETTINGS) if (settings[key] !== undefined) document.setIn(path, settings[key])
  return document.toString()
}

/** Adds the lines of our .gitignore template that the folder's .gitignore lacks. Returns whether it changed. */
async function mergeGitignore(file: string): Promise<boolean> {
  const template = await readFile(templatePath('workspace', 'gitignore'), 'utf8')
  const current = (await exists(file)) ? await readFile(file, 'utf8') : ''
  const have = new Set(current.split('\n').map((line) => line.trim()))
  const missing = template
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && !have.has(line.trim()))
  if (current !== '' && missing.length === 0) return false
  const next = current === '' ? template : `${current.replace(/\n*$/, '\n')}\n# seiketsu\n${missing.join('\n')}\n`
  await writeFile(file, next)
  return true
}

async function writeIfMissing(file: string, content: string): Promise<boolean> {
  if (await exists(file)) return false
  await writeFile(file, content)
  return true
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory()
}
