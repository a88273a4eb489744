import {chmod, mkdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

import {ExitCode, SeiketsuError, usageError} from '../errors.ts'
import {withLock} from '../registry/lock.ts'
import {problemsError, zodProblems} from '../input/problems.ts'
import {workspacePaths} from '../workspace/workspace.ts'
import {jwkThumbprint} from './jwk.ts'
import {KeySetSchema, type KeySet} from './key-set.ts'

/**
 * Where a client's signing keys live. Both stores hold the same document (the whole key set, private
 * keys included), so the lifecycle code does not care which one it talks to.
 */
export interface KeyStore {
  readonly kind: 'local' | 'aws'
  /** Where the keys are, for messages: a path or a secret name. Never the keys. */
  readonly location: string
  load(): Promise<KeySet | undefined>
  /**
   * Reads the key set, lets `change` derive the next one and writes it when `change` returns a set;
   * serialised against other writers (a lock, or a compare-and-swap).
   */
  update<T>(change: (current: KeySet | undefined) => Promise<{set?: KeySet; result: T}>): Promise<T>
}

export const KEY_SET_FILE = 'signing-keys.json'

/** Validates a stored key set: schema, the right client, and every kid the RFC 7638 thumbprint of its key. */
export async function parseKeySet(text: string, client: string, location: string): Promise<KeySet> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw usageError(`${location}: not a JSON key set`, {code: 'INVALID_KEYSTORE'})
  }
  const parsed = KeySetSchema.safeParse(data)
  // zod messages name fields and found values; for a private key document, show the fields only.
  if (!parsed.success)
    throw problemsError(
      `${location} is not a valid key set:`,
      zodProblems(parsed.error, location, undefined).map((problem) => ({
        ...problem,
        message: problem.message.replace(/ \((found .*|missing)\)$/, ''),
      })),
    )
  if (parsed.data.client !== client)
    throw usageError(`${location} holds the keys of '${parsed.data.client}', not '${client}'`, {
      code: 'INVALID_KEYSTORE',
    })
  for (const key of parsed.data.keys)
    if ((await jwkThumbprint(key.jwk)) !== key.kid)
      throw usageError(`${location}: kid ${key.kid} is not the thumbprint of its key`, {code: 'INVALID_KEYSTORE'})
  return parsed.data
}

/**
 * `.seiketsu/keys/<client>/signing-keys.json`: the directory 0700 and the file 0600, written
 * atomically under a lock. A key file or folder that others can read is refused, as ssh does.
 */
export class LocalKeyStore implements KeyStore {
  readonly kind = 'local'
  readonly client: string
  readonly dir: string
  readonly file: string
  readonly location: string

  constructor(root: string, client: string) {
    this.client = client
    this.dir = join(workspacePaths(root).keys, client)
    this.file = join(this.dir, KEY_SET_FILE)
    this.location = `.seiketsu/keys/${client}/${KEY_SET_FILE}`
  }

  async load(): Promise<KeySet | undefined> {
    let text: string
    try {
      await this.checkModes()
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    return parseKeySet(text, this.client, this.location)
  }

  async update<T>(change: (current: KeySet | undefined) => Promise<{set?: KeySet; result: T}>): Promise<T> {
    await this.prepareDir()
    return withLock(join(this.dir, 'signing-keys'), async () => {
      const {result, set} = await change(await this.load())
      if (set) await writeFileAtomic(this.file, `${JSON.stringify(set, null, 2)}\n`, {fsync: true, mode: 0o600})
      return result
    })
  }

  /** Creates the folders 0700. An existing client folder keeps its mode: load() refuses an open one rather than hide it. */
  private async prepareDir(): Promise<void> {
    await mkdir(this.dir, {mode: 0o700, recursive: true})
    await chmod(join(this.dir, '..'), 0o700)
  }

  private async checkModes(): Promise<void> {
    for (const [path, label] of [
      [this.dir, 'folder'],
      [this.file, 'file'],
    ] as const) {
      const mode = (await stat(path)).mode & 0o777
      if ((mode & 0o077) !== 0)
        throw new SeiketsuError(
          `The key ${label} ${path} is readable by others (mode ${mode.toString(8)}): refusing to use private keys that may have leaked`,
          ExitCode.Policy,
          {
            code: 'KEYSTORE_PERMISSIONS',
            suggestions: [
              `chmod ${label === 'file' ? '600' : '700'} ${path}, then consider rotating: seiketsu rotate-keys ${this.client} --kind jwt --now`,
            ],
          },
        )
    }
  }
}
