import type {ErrorCode, ErrorCodeFor} from './error-codes.ts'

/**
 * Exit codes of the command-line contract (DESIGN.md). Every command ends with one of these.
 */
export const ExitCode = {
  Ok: 0,
  /** A runtime error inside seiketsu. */
  Failure: 1,
  /** Invalid usage or input: a bad flag, file, field or value. Nothing was changed. */
  Usage: 2,
  /** A policy violation: audit findings at or above --fail-on, a blocked destructive change. */
  Policy: 3,
  /** An external tool (terraform) or AWS failed. */
  External: 4,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface SeiketsuErrorOptions<E extends ExitCodeValue = ExitCodeValue> {
  /** A stable machine-readable code of the catalogue (error-codes.ts) whose exit code is this error's. */
  code?: ErrorCodeFor<E>
  /** Structured context for --json consumers (problems, offending paths…). */
  details?: unknown
  /**
   * The field of the request the error is about, when the message starts with its name (`ttl: …`,
   * `month 2026-13: …`): a command with a flag of that name says `--ttl: …` instead.
   */
  input?: string
  /** What to do about it: the exact flag or command that fixes the problem. */
  suggestions?: string[]
  cause?: unknown
}

/**
 * The one error type of seiketsu. Domain modules throw it; the base command turns it into the
 * exit code and either a message on stderr or a JSON error object on stdout.
 */
export class SeiketsuError<E extends ExitCodeValue = ExitCodeValue> extends Error {
  readonly exitCode: E
  readonly code: ErrorCode
  readonly details?: unknown
  readonly input?: string
  readonly suggestions: string[]

  constructor(message: string, exitCode: E, options: SeiketsuErrorOptions<E> = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'SeiketsuError'
    this.exitCode = exitCode
    this.code = options.code ?? defaultCode(exitCode)
    this.details = options.details
    this.input = options.input
    this.suggestions = options.suggestions ?? []
  }
}

function defaultCode(exitCode: ExitCodeValue): ErrorCode {
  switch (exitCode) {
    case ExitCode.Usage: {
      return 'INVALID_INPUT'
    }
    case ExitCode.Policy: {
      return 'POLICY_VIOLATION'
    }
    case ExitCode.External: {
      return 'EXTERNAL_FAILURE'
    }
    case ExitCode.Interrupted: {
      return 'INTERRUPTED'
    }
    default: {
      return 'FAILURE'
    }
  }
}

/** Bad input: exit 2. */
export function usageError(message: string, options?: SeiketsuErrorOptions<typeof ExitCode.Usage>): SeiketsuError {
  return new SeiketsuError(message, ExitCode.Usage, options)
}

export function isSeiketsuError(error: unknown): error is SeiketsuError {
  return error instanceof Error && error.name === 'SeiketsuError' && 'exitCode' in error
}
