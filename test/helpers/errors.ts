import {isSeiketsuError, type SeiketsuError} from '../../src/errors.ts'

/** The SeiketsuError a promise rejects with; anything else (or no rejection) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<SeiketsuError> {
  try {
    await promise
  } catch (error) {
    if (isSeiketsuError(error)) return error
    throw error
  }
  throw new Error('expected a rejection with a SeiketsuError')
}
