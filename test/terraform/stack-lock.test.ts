import {existsSync} from 'node:fs'
import {mkdir, utimes} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {lockStacks, tryLockStack, type HeldStackLock, type StackLockAttempt} from '../../src/terraform/stack-lock.ts'
import {makeTempDir} from '../helpers/cli.ts'

async function stackDirs(...ids: string[]) {
  const root = await makeTempDir()
  return Promise.all(
    ids.map(async (id) => {
      const dir = join(root, id)
      await mkdir(dir)
      return {dir, id}
    }),
  )
}

function held(attempt: StackLockAttempt): HeldStackLock {
  if (!('held' in attempt)) throw new Error(`expected the lock, found it busy: ${JSON.stringify(attempt.busy)}`)
  return attempt.held
}

describe('stack locks', () => {
  it('lets one run at a stack at a time and tells the next who holds it', async () => {
    const [stack] = await stackDirs('acme')
    const first = await tryLockStack(stack!.dir, 'provision')
    const second = await tryLockStack(stack!.dir, 'plan')
    expect('busy' in second && second.busy).to.include({operation: 'provision', pid: process.pid})
    await held(first).release()
    await held(await tryLockStack(stack!.dir, 'plan')).release()
    expect(existsSync(join(stack!.dir, '.seiketsu.lock'))).to.equal(false)
    expect(existsSync(join(stack!.dir, '.seiketsu-lock.json'))).to.equal(false)
  })

  it('takes over a lock its holder stopped refreshing (a killed process)', async () => {
    const [stack] = await stackDirs('acme')
    const lockDir = join(stack!.dir, '.seiketsu.lock')
    await mkdir(lockDir)
    const minuteAgo = new Date(Date.now() - 60_000)
    await utimes(lockDir, minuteAgo, minuteAgo)
    await held(await tryLockStack(stack!.dir, 'plan')).release()
  })

  it('locks all of a provision’s stacks or none (exit 1 naming each busy one)', async () => {
    const stacks = await stackDirs('acme', 'bravo', 'carol')
    const bravo = await tryLockStack(stacks[1]!.dir, 'plan')
    let error: unknown
    await lockStacks(stacks, 'provision').catch((caught: unknown) => (error = caught))
    expect(isSeiketsuError(error) && {code: error.code, exitCode: error.exitCode}).to.deep.equal({
      code: 'STACK_BUSY',
      exitCode: 1,
    })
    expect((error as Error).message).to.match(/^Nothing was applied: bravo is in use by seiketsu plan \(pid \d+ on /)
    // acme and carol were released again: another run can take them.
    const others = await lockStacks([stacks[0]!, stacks[2]!], 'provision')
    await others.release()
    await held(bravo).release()
  })
})
