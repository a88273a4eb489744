import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import lockfile from 'proper-lockfile'

import {SeiketsuError, ExitCode} from '../errors.ts'

/**
 * Runs `work` holding the registry's inter-process lock, so that two operators (or CI jobs)
 * onboarding at once never allocate the same CIDR. A lock left by a killed process goes stale
 * after a few seconds and is taken over.
 */
export async function withLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockPath), {recursive: true})
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(lockPath, {
      realpath: false,
      stale: 5000,
      update: 1000,
      retries: {retries: 300, factor: 1.2, minTimeout: 10, maxTimeout: 200, randomize: true},
    })
  } catch (error) {
    throw new SeiketsuError(
      `Could not take the registry lock ${lockPath}.lock: ${(error as Error).message}`,
      ExitCode.Failure,
      {
        code: 'LOCKED',
        suggestions: ['Another seiketsu process is changing the registry; try again when it has finished.'],
      },
    )
  }
  try {
    return await work()
  } finally {
    await release().catch(() => undefined)
  }
}
