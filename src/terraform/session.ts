import {appendFile, mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {SECRET_VALUE_PATTERNS} from '../secret-patterns.ts'
import type {StoredStack} from '../stacks/store.ts'
import type {StateBackend} from '../workspace/config.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {backendConfigArgs, configuredBackend} from './backends.ts'
import {checkTerraformBinary, chooseTerraformBinary, type TerraformBinary} from './binary.ts'
import {chooseCliConfig} from './cli-config.ts'
import {firstTerraformError, lockInfoFrom, type LockInfo} from './diagnostics.ts'
import {checkTerraformEnvironment} from './environment.ts'
import {InitGate} from './init-gate.ts'
import {TerraformProcesses, type TerraformOutcome} from './processes.ts'

/** An address no stack has: `state rm -dry-run` of it takes the state lock and removes nothing. */
const LOCK_PROBE_ADDRESS = 'terraform_data.seiketsu_lock_probe'

/** One synthesized stack: terraform runs in its folder. */
export type TerraformStack = StoredStack

export interface SessionOptions {
  /** --terraform-bin */
  terraformBin?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** A drift check (`plan --drift`): the environment must not stop terraform from refreshing. */
  drift?: boolean
}

/**
 * The environment terraform runs with: the operator's (AWS_PROFILE, AWS_REGION, credentials,
 * proxies pass through), plus automation mode, no prompts ever, no version checkpoint calls, and
 * the shared provider cache unless the operator chose one.
 */
export function terraformEnv(base: NodeJS.ProcessEnv, pluginCacheDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    CHECKPOINT_DISABLE: base.CHECKPOINT_DISABLE ?? '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
  }
  if (!base.TF_PLUGIN_CACHE_DIR && pluginCacheDir) env.TF_PLUGIN_CACHE_DIR = pluginCacheDir
  return env
}

/** Replaces what looks like a credential (an AWS access key id, a private key, a token) with a marker. */
export function redactCredentials(text: string): string {
  let redacted = text
  for (const {pattern, label} of SECRET_VALUE_PATTERNS)
    redacted = redacted.replaceAll(
      new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`),
      `[redacted: ${label}]`,
    )
  return redacted
}

export interface SessionSettings {
  binary: TerraformBinary
  env: NodeJS.ProcessEnv
  lockTimeout: string
  processes: TerraformProcesses
  /** The workspace's `state` setting (S3 endpoint settings become -backend-config at init). */
  state?: StateBackend
  /** What the environment check and the CLI configuration found (shown once per run). */
  warnings?: string[]
}

/**
 * A checked terraform binary and everything needed to run it over many stacks: environment,
 * lock timeout, the processes it started (for interrupts), the init gate (for the plugin cache).
 */
export class TerraformSession {
  readonly binary: TerraformBinary
  readonly env: NodeJS.ProcessEnv
  readonly lockTimeout: string
  readonly processes: TerraformProcesses
  readonly initGate: InitGate
  readonly state: StateBackend
  readonly warnings: string[]

  constructor(settings: SessionSettings) {
    this.binary = settings.binary
    this.env = settings.env
    this.lockTimeout = settings.lockTimeout
    this.processes = settings.processes
    this.state = settings.state ?? {backend: 'local'}
    this.warnings = settings.warnings ?? []
    this.initGate = new InitGate({cacheDir: settings.env.TF_PLUGIN_CACHE_DIR || undefined})
  }

  /** The -backend-config arguments every `init` of this stack gets (the workspace's S3 endpoint settings). */
  backendArgs(stackJson: unknown): string[] {
    return backendConfigArgs(this.state, configuredBackend(stackJson))
  }

  /**
   * Whether terraform finds the stack's state locked, and by whom: `state rm -dry-run` of an address
   * no stack has takes the state lock like any writing command (with -lock-timeout=0s, so it never
   * waits) and changes nothing. Free: `{}`; locked: the lock as terraform reports it; `unknown` when
   * terraform could not tell (no working folder, no backend access).
   */
  async probeStateLock(stack: TerraformStack): Promise<{lock?: LockInfo; unknown?: string}> {
    const outcome = await this.processes.run(
      this.binary.path,
      ['state', 'rm', '-dry-run', '-lock-timeout=0s', '-no-color', LOCK_PROBE_ADDRESS],
      {afterInterrupt: true, cwd: stack.dir, env: this.env, stackId: stack.id},
    )
    // Free either way: it took the lock, then removed nothing, or found no state at all to remove from.
    if (outcome.exitCode === 0 || /No state file was found/.test(outcome.stderr)) return {}
    const lock = lockInfoFrom(outcome.stderr)
    return lock
      ? {lock}
      : {unknown: firstTerraformError(outcome.stderr) ?? `exit ${outcome.exitCode ?? outcome.signal}`}
  }

  /**
   * Runs terraform in a stack folder and appends the invocation and its output to `log`, with
   * anything shaped like a credential redacted (terraform.log is what CI keeps).
   */
  async run(stack: TerraformStack, args: string[], log?: {file: string; stdout: boolean}): Promise<TerraformOutcome> {
    const outcome = await this.processes.run(this.binary.path, args, {cwd: stack.dir, env: this.env, stackId: stack.id})
    if (log && !outcome.notStarted) {
      const status = outcome.exitCode === undefined ? `signal ${outcome.signal ?? '?'}` : `exit ${outcome.exitCode}`
      const text = [
        `$ ${this.binary.requested} ${args.join(' ')}   (${status}, ${Math.round(outcome.durationMs)} ms)`,
        log.stdout ? outcome.stdout.trimEnd() : '',
        outcome.stderr.trimEnd(),
        '',
      ]
        .filter((part, index, parts) => part !== '' || index === parts.length - 1)
        .join('\n')
      await appendFile(log.file, `${redactCredentials(text)}\n`)
    }
    return outcome
  }
}

/**
 * Resolves and checks the terraform binary once, checks the environment it will run with (exit 2
 * for what would make a result wrong), writes the CLI configuration for `terraform.providerMirror`,
 * and prepares the shared plugin cache.
 */
export async function openTerraform(workspace: Workspace, options: SessionOptions = {}): Promise<TerraformSession> {
  const base = options.env ?? process.env
  const checked = checkTerraformEnvironment(base, {drift: options.drift})
  const cliConfig = await chooseCliConfig(workspace, base)
  const env = {...checked.env, ...cliConfig.env}
  const processes = new TerraformProcesses()
  const choice = chooseTerraformBinary({
    config: workspace.config.terraform.binary,
    env: base,
    flag: options.terraformBin,
  })
  const binary = await checkTerraformBinary(choice, processes, {
    cwd: options.cwd ?? process.cwd(),
    env: terraformEnv(env),
  })
  // One cache per binary flavor: terraform and OpenTofu install from different registries with different hashes.
  const pluginCacheDir = join(workspacePaths(workspace.root).cache, 'terraform-plugins', binary.flavor)
  await mkdir(pluginCacheDir, {recursive: true})
  return new TerraformSession({
    binary,
    env: terraformEnv(env, pluginCacheDir),
    lockTimeout: workspace.config.terraform.lockTimeout,
    processes,
    state: workspace.config.state,
    warnings: [...checked.warnings, ...cliConfig.warnings],
  })
}
