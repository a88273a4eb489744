import {parentPort} from 'node:worker_threads'

import type {BuildRequest, BuildResponse} from './builders.ts'
import {buildStackJson} from './build.ts'

// A worker thread of the stack-building pool: builds one stack per message, in order.
parentPort!.on('message', ({id, model, backend, outDir}: BuildRequest) => {
  let response: BuildResponse
  try {
    response = {id, ...buildStackJson(model, backend, outDir)}
  } catch (error) {
    response = {error: {message: (error as Error).message, stack: (error as Error).stack}, id}
  }
  parentPort!.postMessage(response)
})
