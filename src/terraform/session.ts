import {appendFile, mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {checkTerraformBinary, chooseTerraformBinary, type TerraformBinary} from './binary.ts'
import {InitGate} from './init-gate.ts'
import {TerraformProcesses, type TerraformOutcome} from './processes.ts'

/** One synthesized stack: what terraform runs in. */
export interface TerraformStack {
  id: string
  kind: 'client' | 'bootstrap' | 'platform'
  /** Absolute folder holding cdk.tf.json (terraform's working directory). */
  dir: string
  /** Absolute path of cdk.tf.json. */
  file: string
}

export interface SessionOptions {
  /** --terraform-bin */
  terraformBin?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
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

/**
 * A checked terraform binary and everything needed to run it over many stacks: environment,
 * lock timeout, the processes it started (for interrupts), the init gate (for the plugin cache).
 */
export class TerraformSession {
  readonly binary: TerraformBinary
  readonly env: NodeJS.ProcessEnv
  readonly lockTimeout: string
  readonly processes: TerraformProcesses
  readonly initGate = new InitGate()

  constructor(binary: TerraformBinary, env: NodeJS.ProcessEnv, lockTimeout: string, processes: TerraformProcesses) {
    this.binary = binary
    this.env = env
    this.lockTimeout = lockTimeout
    this.processes = processes
  }

  /** Runs terraform in a stack folder and appends the invocation and its output to `log`. */
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
      await appendFile(log.file, `${text}\n`)
    }
    return outcome
  }
}

/** Resolves and checks the terraform binary once, and prepares the shared plugin cache. */
export async function openTerraform(workspace: Workspace, options: SessionOptions = {}): Promise<TerraformSession> {
  const env = options.env ?? process.env
  const processes = new TerraformProcesses()
  const choice = chooseTerraformBinary({config: workspace.config.terraform.binary, env, flag: options.terraformBin})
  const binary = await checkTerraformBinary(choice, processes, {
    cwd: options.cwd ?? process.cwd(),
    env: terraformEnv(env),
  })
  // One cache per binary flavor: terraform and OpenTofu install from different registries with different hashes.
  const pluginCacheDir = join(workspacePaths(workspace.root).cache, 'terraform-plugins', binary.flavor)
  await mkdir(pluginCacheDir, {recursive: true})
  return new TerraformSession(
    binary,
    terraformEnv(env, pluginCacheDir),
    workspace.config.terraform.lockTimeout,
    processes,
  )
}
