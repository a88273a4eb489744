import {createHash} from 'node:crypto'
import {copyFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import lockfile from 'proper-lockfile'

import {ExitCode, SeiketsuError} from '../errors.ts'
import {LOCK_FILE_NAME, lockMismatches, readLockFile, type ProviderUpgrade} from './lock-files.ts'
import type {TerraformOutcome} from './processes.ts'
import type {TerraformSession, TerraformStack} from './session.ts'

export {LOCK_FILE_NAME} from './lock-files.ts'

/** leader: fills the cache, writes the lock file; upgrade: the same with -upgrade (a pin changed); follower: -lockfile=readonly. */
export type InitRole = 'leader' | 'upgrade' | 'follower'

/** The inter-process lock inside a plugin cache folder (a folder itself: proper-lockfile uses mkdir). */
export const CACHE_LOCK_NAME = '.seiketsu-init.lock'

/**
 * What decides which provider packages a stack installs: its provider requirements, its required
 * terraform version and its module sources. Stacks with the same fingerprint can share one
 * dependency lock file. (Backends do not matter for the plugin cache.)
 */
export function providerFingerprint(stackJson: unknown): string {
  const root = (stackJson ?? {}) as {terraform?: Record<string, unknown>; module?: Record<string, {source?: unknown}>}
  const modules = Object.entries(root.module ?? {})
    .map(([name, block]) => [name, block?.source])
    .sort()
  return createHash('sha256')
    .update(
      JSON.stringify([root.terraform?.required_providers ?? null, root.terraform?.required_version ?? null, modules]),
    )
    .digest('hex')
}

export interface InitGateOptions {
  /** The plugin cache the inits write to (TF_PLUGIN_CACHE_DIR): locked across processes while written. */
  cacheDir?: string
  /** How long a writer waits for another process's writer (default 10 minutes). */
  cacheLockWaitMs?: number
}

/**
 * Makes `terraform init` across many stacks safe with one shared plugin cache. Terraform documents
 * concurrent inits on a shared TF_PLUGIN_CACHE_DIR as undefined ("text file busy" in cdktf #2741),
 * and a per-stack cache would download every provider (the AWS one is hundreds of MB) once per
 * client. So, per provider fingerprint: the first init runs alone (a mutex in this process, and an
 * inter-process lock in the cache folder, so that two seiketsu runs on one workspace, or on one
 * shared TF_PLUGIN_CACHE_DIR, never write it at once) and fills the cache and writes a dependency
 * lock file; every later stack with the same fingerprint receives a copy of that lock file and runs
 * `init -lockfile=readonly`, which only links packages the cache already holds with matching
 * checksums, in parallel. If a leader fails, the next stack in line becomes the leader.
 *
 * When the leader's own lock file no longer meets its stack's provider constraint (the pin changed),
 * terraform refuses a plain init in every stack ("must use terraform init -upgrade"): the leader
 * then runs the upgrade deliberately, once for its fingerprint, and its new lock file goes to the
 * followers. Each upgrade is recorded in `upgrades` for the run's summary.
 */
export class InitGate {
  readonly upgrades: ProviderUpgrade[] = []
  readonly #cacheDir?: string
  readonly #cacheLockWaitMs: number
  #queue: Promise<void> = Promise.resolve()
  #lockFiles = new Map<string, string>()

  constructor(options: InitGateOptions = {}) {
    this.#cacheDir = options.cacheDir
    this.#cacheLockWaitMs = options.cacheLockWaitMs ?? 10 * 60_000
  }

  async init<T>(
    stackDir: string,
    fingerprint: string,
    run: (role: InitRole) => Promise<T>,
    succeeded: (outcome: T) => boolean,
    options: {shareLockFile?: boolean; stackJson?: unknown; stackId?: string} = {},
  ): Promise<T> {
    const share = options.shareLockFile ?? true
    const known = this.#lockFiles.get(fingerprint)
    if (known) return this.#follow(share ? known : undefined, stackDir, run)
    const release = await this.#acquire()
    let leaderLockFile: string | undefined
    try {
      leaderLockFile = this.#lockFiles.get(fingerprint)
      if (!leaderLockFile) {
        const before = options.stackJson === undefined ? undefined : await readLockFile(stackDir)
        const mismatches = before ? lockMismatches(options.stackJson, before) : []
        const role: InitRole = mismatches.length > 0 ? 'upgrade' : 'leader'
        const outcome = await this.#writingCache(() => run(role))
        const lockFile = join(stackDir, LOCK_FILE_NAME)
        if (succeeded(outcome)) {
          if (await isFile(lockFile)) this.#lockFiles.set(fingerprint, lockFile)
          if (role === 'upgrade') {
            const after = (await readLockFile(stackDir)) ?? []
            this.upgrades.push({
              providers: mismatches.map((mismatch) => ({
                address: mismatch.address,
                from: mismatch.locked,
                to: after.find((provider) => provider.address === mismatch.address)?.version,
              })),
              stackId: options.stackId ?? stackDir,
            })
          }
        }
        return outcome
      }
    } finally {
      release()
    }
    return this.#follow(share ? leaderLockFile : undefined, stackDir, run)
  }

  /** A follower gets the leader's lock file unless it keeps its own (a saved plan's stack). */
  async #follow<T>(lockFile: string | undefined, stackDir: string, run: (role: InitRole) => Promise<T>): Promise<T> {
    const target = join(stackDir, LOCK_FILE_NAME)
    if (lockFile && target !== lockFile) await copyFile(lockFile, target)
    return run('follower')
  }

  /** Runs a cache-writing init holding the cache folder's inter-process lock (when there is a cache). */
  async #writingCache<T>(work: () => Promise<T>): Promise<T> {
    if (!this.#cacheDir) return work()
    const attempts = Math.max(1, Math.ceil(this.#cacheLockWaitMs / 250))
    let release: () => Promise<void>
    try {
      release = await lockfile.lock(this.#cacheDir, {
        lockfilePath: join(this.#cacheDir, CACHE_LOCK_NAME),
        onCompromised: () => {},
        realpath: false,
        retries: {factor: 1, maxTimeout: 250, minTimeout: 250, retries: attempts},
        stale: 10_000,
        update: 2000,
      })
    } catch (error) {
      // No cache folder: terraform itself reports that (its own message), nothing to protect.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return work()
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      throw new SeiketsuError(
        `The provider cache ${this.#cacheDir} stayed locked by another seiketsu run for ${Math.round(this.#cacheLockWaitMs / 1000)} s`,
        ExitCode.Failure,
        {
          code: 'PLUGIN_CACHE_BUSY',
          suggestions: ['Wait for the other run to finish its terraform init, then try again.'],
        },
      )
    }
    try {
      return await work()
    } finally {
      await release().catch(() => undefined)
    }
  }

  async #acquire(): Promise<() => void> {
    let release!: () => void
    const previous = this.#queue
    this.#queue = new Promise<void>((resolve) => (release = resolve))
    await previous
    return release
  }
}

/**
 * `terraform init` of a stack through the init gate: the leader plain (or with -upgrade when its
 * lock file no longer meets a changed pin), followers with -lockfile=readonly and the leader's lock
 * file; every init with the workspace's -backend-config (custom S3 endpoint settings).
 */
export async function initStack(
  session: TerraformSession,
  stack: TerraformStack,
  stackJson: unknown,
  fingerprint: string,
  log: {file: string; stdout: boolean},
): Promise<TerraformOutcome> {
  const backendArgs = session.backendArgs(stackJson)
  return session.initGate.init(
    stack.dir,
    fingerprint,
    (role) =>
      session.run(
        stack,
        [
          'init',
          '-input=false',
          '-no-color',
          ...(role === 'follower' ? ['-lockfile=readonly'] : role === 'upgrade' ? ['-upgrade'] : []),
          ...backendArgs,
        ],
        log,
      ),
    (outcome) => outcome.exitCode === 0,
    {stackId: stack.id, stackJson},
  )
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
