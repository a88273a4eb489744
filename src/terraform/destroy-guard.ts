import {usageError} from '../errors.ts'
import type {ResourceChange} from './plan-summary.ts'

/** One `--allow-destroy` value: an address, for every selected stack or (with `client:`) for one. */
export interface DestroyAllowance {
  /** The text as given, for messages. */
  text: string
  stackId?: string
  address: string
}

/**
 * Parses the --allow-destroy values. `acme:aws_db_instance.main` scopes the allowance to stack
 * `acme`; a bare address holds for every stack. An address never has a colon before its first dot,
 * so `aws_s3_bucket.logs["a:b"]` stays a bare address. Unknown stack ids are exit 2.
 */
export function parseAllowDestroy(values: readonly string[], stackIds: readonly string[]): DestroyAllowance[] {
  const known = new Set(stackIds)
  return values.map((text) => {
    const colon = text.indexOf(':')
    const dot = text.indexOf('.')
    if (colon > 0 && (dot === -1 || colon < dot)) {
      const stackId = text.slice(0, colon)
      const address = text.slice(colon + 1)
      if (!known.has(stackId))
        throw usageError(`allow-destroy ${text}: '${stackId}' is not one of the selected stacks`, {
          code: 'UNKNOWN_STACK',
          input: 'allow-destroy',
          suggestions: [`Selected: ${[...known].join(', ') || '(none)'}`],
        })
      if (!address.includes('.'))
        throw usageError(`allow-destroy ${text}: '${address}' is not a resource address such as aws_s3_bucket.data`, {
          input: 'allow-destroy',
        })
      return {address, stackId, text}
    }
    if (!text.includes('.'))
      throw usageError(
        `allow-destroy ${text}: not a resource address such as aws_s3_bucket.data or acme:aws_s3_bucket.data`,
        {input: 'allow-destroy'},
      )
    return {address: text, text}
  })
}

export interface GuardDecision {
  /** Destructive changes nobody allowed: the stack must not be applied. */
  blocked: ResourceChange[]
  /** Destructive changes named by --allow-destroy. */
  allowed: ResourceChange[]
  /** The allowances that matched something in this stack. */
  used: DestroyAllowance[]
}

/** Which destructive changes of one stack are allowed: each needs an allowance naming its address. */
export function guardDestructive(
  stackId: string,
  destructive: readonly ResourceChange[],
  allowances: readonly DestroyAllowance[],
): GuardDecision {
  const applicable = allowances.filter((allowance) => allowance.stackId === undefined || allowance.stackId === stackId)
  const decision: GuardDecision = {allowed: [], blocked: [], used: []}
  for (const change of destructive) {
    const allowance = applicable.find((candidate) => candidate.address === change.address)
    if (allowance) {
      decision.allowed.push(change)
      if (!decision.used.includes(allowance)) decision.used.push(allowance)
    } else decision.blocked.push(change)
  }
  return decision
}
