import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import {basename, delimiter, isAbsolute, join, resolve} from 'node:path'

import {ExitCode, SeiketsuError, usageError} from '../errors.ts'
import {MINIMUM_TERRAFORM_VERSION} from '../stacks/backend.ts'
import type {TerraformProcesses} from './processes.ts'

export const TERRAFORM_BIN_ENV = 'SEIKETSU_TERRAFORM_BIN'

export type BinarySource = 'flag' | 'env' | 'config'

export interface BinaryChoice {
  /** As given: a name looked up on PATH (`terraform`, `tofu`) or a path. */
  requested: string
  source: BinarySource
}

export interface TerraformBinary extends BinaryChoice {
  /** Absolute path of the executable. */
  path: string
  version: string
  platform?: string
  flavor: 'terraform' | 'opentofu'
}

const SOURCE_LABEL: Record<BinarySource, string> = {
  config: 'seiketsu.yaml terraform.binary',
  env: TERRAFORM_BIN_ENV,
  flag: '--terraform-bin',
}

/** Which binary to run: --terraform-bin, then SEIKETSU_TERRAFORM_BIN, then seiketsu.yaml. */
export function chooseTerraformBinary(options: {flag?: string; env?: NodeJS.ProcessEnv; config: string}): BinaryChoice {
  if (options.flag) return {requested: options.flag, source: 'flag'}
  const fromEnv = (options.env ?? process.env)[TERRAFORM_BIN_ENV]
  if (fromEnv) return {requested: fromEnv, source: 'env'}
  return {requested: options.config, source: 'config'}
}

/**
 * The absolute path of an executable: a path (relative to `cwd`) as is, a bare name looked up on
 * PATH. Resolved once here because terraform runs with each stack folder as its working directory.
 */
export async function locateExecutable(
  requested: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (requested.includes('/') || isAbsolute(requested)) {
    const path = resolve(cwd, requested)
    return (await isExecutableFile(path)) ? path : undefined
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = resolve(cwd, join(dir, requested))
    if (await isExecutableFile(path)) return path
  }
  return undefined
}

/** Reads `terraform version -json` (OpenTofu prints the same keys). */
export function parseVersionJson(text: string): {version: string; platform?: string} | undefined {
  try {
    const parsed = JSON.parse(text) as {terraform_version?: unknown; platform?: unknown}
    if (typeof parsed.terraform_version !== 'string' || !/^\d+\.\d+\.\d+/.test(parsed.terraform_version))
      return undefined
    return {
      platform: typeof parsed.platform === 'string' ? parsed.platform : undefined,
      version: parsed.terraform_version,
    }
  } catch {
    return undefined
  }
}

/** Compares the numeric major.minor.patch of two versions (pre-release suffixes ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => (version.match(/^(\d+)\.(\d+)\.(\d+)/) ?? []).slice(1, 4).map(Number)
  const [left, right] = [parts(a), parts(b)]
  for (let index = 0; index < 3; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/**
 * Finds the chosen binary and checks its version once (`version -json`). Not found or too old is
 * exit 2 (fix the flag, variable or seiketsu.yaml); a binary that cannot report its version is exit 4.
 */
export async function checkTerraformBinary(
  choice: BinaryChoice,
  processes: TerraformProcesses,
  options: {cwd: string; env: NodeJS.ProcessEnv},
): Promise<TerraformBinary> {
  const label = `${SOURCE_LABEL[choice.source]} = ${choice.requested}`
  const path = await locateExecutable(choice.requested, options.cwd, options.env)
  if (!path)
    throw usageError(`terraform binary not found: ${label}`, {
      code: 'TERRAFORM_NOT_FOUND',
      suggestions: [
        `Install terraform or OpenTofu ≥ ${MINIMUM_TERRAFORM_VERSION}, or point --terraform-bin / ${TERRAFORM_BIN_ENV} at it`,
      ],
    })
  const outcome = await processes.run(path, ['version', '-json'], {cwd: options.cwd, env: options.env})
  const parsed = outcome.exitCode === 0 ? parseVersionJson(outcome.stdout) : undefined
  if (!parsed)
    throw new SeiketsuError(`${path} version -json failed (${label})`, ExitCode.External, {
      code: 'TERRAFORM_UNUSABLE',
      details: {exitCode: outcome.exitCode, stderr: outcome.stderr.slice(0, 2000)},
      suggestions: [`Check that ${path} is terraform or OpenTofu ≥ ${MINIMUM_TERRAFORM_VERSION}`],
    })
  if (compareVersions(parsed.version, MINIMUM_TERRAFORM_VERSION) < 0)
    throw usageError(
      `${path} is version ${parsed.version}; seiketsu needs ≥ ${MINIMUM_TERRAFORM_VERSION} (S3 state locking with use_lockfile)`,
      {
        code: 'TERRAFORM_TOO_OLD',
        details: {minimum: MINIMUM_TERRAFORM_VERSION, path, version: parsed.version},
        suggestions: [`Upgrade, or pass --terraform-bin / set ${TERRAFORM_BIN_ENV} to a newer binary (${label} now)`],
      },
    )
  return {
    ...choice,
    flavor: /tofu/i.test(basename(path)) ? 'opentofu' : 'terraform',
    path,
    platform: parsed.platform,
    version: parsed.version,
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
