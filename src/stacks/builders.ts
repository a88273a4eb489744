import {availableParallelism} from 'node:os'
import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {StackBackend} from './backend.ts'
import type {StackModel} from './model.ts'

export type {StackModel} from './model.ts'

export interface BuiltStack {
  json: string
  resources: number
}

/** Builds stacks: in this thread, or spread over worker threads. */
export interface StackBuilder {
  /** How many stacks it builds at once. */
  readonly concurrency: number
  build(model: StackModel, backend: StackBackend, outDir: string): Promise<BuiltStack>
  /** Stops the worker threads (idempotent). */
  close(): Promise<void>
}

export interface BuildRequest {
  id: number
  model: StackModel
  backend: StackBackend
  outDir: string
}

export type BuildResponse = {id: number} & (BuiltStack | {error: {message: string; stack?: string}})

/** Below this many stacks, starting threads (each loads cdktf) costs more than it saves. */
const MIN_STACKS_FOR_THREADS = 8
const MAX_THREADS = 4

/**
 * The builder for `count` stacks: building is CPU-bound and synchronous, so a fleet is spread over
 * one worker thread per core (up to 4); a handful of stacks is built right here.
 * SEIKETSU_SYNTH_THREADS=N sets the number of threads (1: everything in the command's thread).
 */
export async function stackBuilder(count: number, env: NodeJS.ProcessEnv = process.env): Promise<StackBuilder> {
  const requested = Number(env.SEIKETSU_SYNTH_THREADS)
  const threads =
    Number.isInteger(requested) && requested >= 1
      ? Math.min(requested, count)
      : count < MIN_STACKS_FOR_THREADS
        ? 1
        : Math.min(availableParallelism(), MAX_THREADS, Math.ceil(count / MIN_STACKS_FOR_THREADS))
  if (threads < 2) {
    const {buildStackJson} = await import('./build.ts')
    return {
      async build(model, backend, outDir) {
        return buildStackJson(model, backend, outDir)
      },
      async close() {},
      concurrency: 1,
    }
  }
  return new WorkerPool(threads)
}

/** Worker threads that build stacks; each request goes to the least busy thread. */
class WorkerPool implements StackBuilder {
  readonly concurrency: number
  private readonly workers: {worker: Worker; pending: number}[]
  private readonly waiting = new Map<
    number,
    {slot: {worker: Worker; pending: number}; resolve(value: BuiltStack): void; reject(error: Error): void}
  >()
  private nextId = 0

  constructor(size: number) {
    this.concurrency = size
    // build-worker.js next to this file in dist/, build-worker.ts when running the sources.
    const script = new URL(`./build-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
    this.workers = Array.from({length: size}, () => {
      const worker = new Worker(script)
      worker.on('message', (response: BuildResponse) => this.settle(response))
      worker.on('error', (error) => this.failAll(error))
      // An idle worker never keeps the command alive, even if close() is skipped on an error path.
      worker.unref()
      return {pending: 0, worker}
    })
  }

  build(model: StackModel, backend: StackBackend, outDir: string): Promise<BuiltStack> {
    const id = this.nextId++
    const slot = this.workers.reduce((best, candidate) => (candidate.pending < best.pending ? candidate : best))
    if (slot.pending++ === 0) slot.worker.ref()
    return new Promise<BuiltStack>((resolve, reject) => {
      this.waiting.set(id, {reject, resolve, slot})
      slot.worker.postMessage({backend, id, model, outDir} satisfies BuildRequest)
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({worker}) => worker.terminate()))
  }

  private settle(response: BuildResponse): void {
    const waiter = this.waiting.get(response.id)
    if (!waiter) return
    this.waiting.delete(response.id)
    if (--waiter.slot.pending === 0) waiter.slot.worker.unref()
    if ('error' in response) {
      const error = new Error(response.error.message)
      error.stack = response.error.stack
      waiter.reject(error)
    } else waiter.resolve({json: response.json, resources: response.resources})
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error)
    this.waiting.clear()
  }
}
