export type StopReason = 'fail-fast' | 'interrupted'

export type Scheduled<T> = {started: true; value: T} | {started: false; reason: StopReason}

interface Waiter {
  resolve: (gotSlot: boolean) => void
}

/**
 * Runs stack work with a hard bound on how many run at once. A freed slot is handed straight to
 * the next waiter (first come, first served), so a newcomer can never slip in between and push
 * the count over the bound. `stop()` lets running work finish and turns everything that has not
 * started into a "not started" outcome: continue-past-failures is the default, fail-fast and
 * interrupts call stop.
 */
export class StackScheduler {
  readonly concurrency: number
  readonly failFast: boolean
  #active = 0
  #peak = 0
  #waiters: Waiter[] = []
  #stopReason: StopReason | undefined

  constructor(options: {concurrency: number; failFast?: boolean}) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`)
    this.concurrency = options.concurrency
    this.failFast = options.failFast ?? false
  }

  /** How many are running now, and the most that ever ran at once. */
  get active(): number {
    return this.#active
  }

  get peak(): number {
    return this.#peak
  }

  get stopReason(): StopReason | undefined {
    return this.#stopReason
  }

  /**
   * Runs `work` when a slot is free. `failed(value)` tells whether the outcome counts as a failure
   * for --fail-fast. Work that throws also counts as failed, and the error is rethrown.
   */
  async run<T>(work: () => Promise<T>, failed: (value: T) => boolean = () => false): Promise<Scheduled<T>> {
    if (this.#stopReason) return {reason: this.#stopReason, started: false}
    if (this.#active < this.concurrency) this.#active++
    else if (!(await new Promise<boolean>((resolve) => this.#waiters.push({resolve}))))
      return {reason: this.#stopReason ?? 'interrupted', started: false}
    this.#peak = Math.max(this.#peak, this.#active)
    try {
      const value = await work()
      if (this.failFast && failed(value)) this.stop('fail-fast')
      return {started: true, value}
    } catch (error) {
      if (this.failFast) this.stop('fail-fast')
      throw error
    } finally {
      this.#release()
    }
  }

  /** No new work starts; waiting work resolves as not started. The first reason given sticks. */
  stop(reason: StopReason): void {
    this.#stopReason ??= reason
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(false)
  }

  #release(): void {
    const next = this.#waiters.shift()
    // Hand the slot over without freeing it: the count stays the same.
    if (next) next.resolve(true)
    else this.#active--
  }
}

/** `items.map(fn)` with at most `limit` calls running at once; results in the order of `items`. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(limit, items.length)}, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await fn(items[index]!, index)
      }
    }),
  )
  return results
}
