import {createHash} from 'node:crypto'
import {copyFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

export const LOCK_FILE_NAME = '.terraform.lock.hcl'

export type InitRole = 'leader' | 'follower'

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

/**
 * Makes `terraform init` across many stacks safe with one shared plugin cache. Terraform documents
 * concurrent inits on a shared TF_PLUGIN_CACHE_DIR as undefined ("text file busy" in cdktf #2741),
 * and a per-stack cache would download every provider (the AWS one is hundreds of MB) once per
 * client. So, per provider fingerprint: the first init runs alone (a mutex) and fills the cache
 * and writes a dependency lock file; every later stack with the same fingerprint receives a copy
 * of that lock file and runs `init -lockfile=readonly`, which only links packages the cache
 * already holds with matching checksums: it never writes to the cache, so those inits run in
 * parallel. If a leader fails, the next stack in line becomes the leader.
 */
export class InitGate {
  #queue: Promise<void> = Promise.resolve()
  #lockFiles = new Map<string, string>()

  async init<T>(
    stackDir: string,
    fingerprint: string,
    run: (role: InitRole) => Promise<T>,
    succeeded: (outcome: T) => boolean,
    options: {shareLockFile?: boolean} = {},
  ): Promise<T> {
    const share = options.shareLockFile ?? true
    const known = this.#lockFiles.get(fingerprint)
    if (known) return this.#follow(share ? known : undefined, stackDir, run)
    const release = await this.#acquire()
    let leaderLockFile: string | undefined
    try {
      leaderLockFile = this.#lockFiles.get(fingerprint)
      if (!leaderLockFile) {
        const outcome = await run('leader')
        const lockFile = join(stackDir, LOCK_FILE_NAME)
        if (succeeded(outcome) && (await isFile(lockFile))) this.#lockFiles.set(fingerprint, lockFile)
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

  async #acquire(): Promise<() => void> {
    let release!: () => void
    const previous = this.#queue
    this.#queue = new Promise<void>((resolve) => (release = resolve))
    await previous
    return release
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
