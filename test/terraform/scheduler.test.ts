import {setTimeout as sleep} from 'node:timers/promises'

import {expect} from 'chai'

import {StackScheduler} from '../../src/terraform/scheduler.ts'

describe('StackScheduler', () => {
  it('never runs more than `concurrency` at once, even as slots are freed and new work arrives', async () => {
    const scheduler = new StackScheduler({concurrency: 3})
    let running = 0
    let peak = 0
    const work = (ms: number) => async () => {
      running++
      peak = Math.max(peak, running)
      await sleep(ms)
      running--
      return ms
    }
    const first = Array.from({length: 10}, (_, index) => scheduler.run(work((index % 4) * 3)))
    // More work arrives while the first batch is still queued: it waits behind it.
    await sleep(4)
    const late = Array.from({length: 10}, () => scheduler.run(work(1)))
    const outcomes = await Promise.all([...first, ...late])
    expect(outcomes.every((outcome) => outcome.started)).to.equal(true)
    expect(peak).to.equal(3)
    expect(scheduler.peak).to.equal(3)
    expect(scheduler.active).to.equal(0)
  })

  it('starts work in the order it was submitted', async () => {
    const scheduler = new StackScheduler({concurrency: 1})
    const order: number[] = []
    await Promise.all(
      [0, 1, 2, 3].map((index) =>
        scheduler.run(async () => {
          order.push(index)
          await sleep(1)
        }),
      ),
    )
    expect(order).to.deep.equal([0, 1, 2, 3])
  })

  it('continues past failures by default', async () => {
    const scheduler = new StackScheduler({concurrency: 1})
    const outcomes = await Promise.all(
      ['ok', 'failed', 'ok'].map((value) =>
        scheduler.run(
          async () => value,
          (result) => result === 'failed',
        ),
      ),
    )
    expect(outcomes.map((outcome) => outcome.started)).to.deep.equal([true, true, true])
  })

  it('with failFast starts nothing new after a failure, letting running work finish', async () => {
    const scheduler = new StackScheduler({concurrency: 2, failFast: true})
    let finishedSlow = false
    const outcomes = await Promise.all([
      scheduler.run(async () => {
        await sleep(30)
        finishedSlow = true
        return 'ok'
      }),
      scheduler.run(
        async () => 'failed',
        (result) => result === 'failed',
      ),
      scheduler.run(async () => 'ok'),
      scheduler.run(async () => 'ok'),
    ])
    expect(finishedSlow).to.equal(true)
    expect(outcomes.map((outcome) => (outcome.started ? outcome.value : outcome.reason))).to.deep.equal([
      'ok',
      'failed',
      'fail-fast',
      'fail-fast',
    ])
  })

  it('stop() turns waiting work into "not started" and refuses new work', async () => {
    const scheduler = new StackScheduler({concurrency: 1})
    const running = scheduler.run(() => sleep(20).then(() => 'done'))
    const waiting = scheduler.run(async () => 'never')
    scheduler.stop('interrupted')
    expect(await running).to.deep.equal({started: true, value: 'done'})
    expect(await waiting).to.deep.equal({reason: 'interrupted', started: false})
    expect(await scheduler.run(async () => 'later')).to.deep.equal({reason: 'interrupted', started: false})
  })

  it('rejects a concurrency that is not a positive integer', () => {
    expect(() => new StackScheduler({concurrency: 0})).to.throw(RangeError)
    expect(() => new StackScheduler({concurrency: 1.5})).to.throw(RangeError)
  })
})
