import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import type {ErrorCode} from './error-codes.ts'
import {ExitCode, isSeiketsuError, usageError, type ExitCodeValue} from './errors.ts'
import {detectTerminal, type Terminal} from './ui/terminal.ts'
import {loadWorkspace, type Workspace} from './workspace/workspace.ts'

export type BaseFlags = Interfaces.InferredFlags<(typeof SeiketsuCommand)['baseFlags']>

/** The JSON error object printed on stdout under --json. */
export interface ErrorJson {
  error: {code: ErrorCode; details?: unknown; exitCode: number; message: string; suggestions?: string[]}
}

/** What a command's exit codes mean: its static `exitCodes`, shown as EXIT CODES in its --help. */
export type ExitCodeTable = Partial<Record<ExitCodeValue, string>>

/** A command's exit code table: 0, 1, 2 and 130 as every command has them, `own` on top (and any other code). */
export function exitCodeTable(own: ExitCodeTable): ExitCodeTable {
  return {
    [ExitCode.Ok]: 'success',
    [ExitCode.Failure]: 'a runtime error inside seiketsu',
    [ExitCode.Usage]: 'invalid usage or input; nothing was changed',
    [ExitCode.Interrupted]: 'interrupted (Ctrl-C)',
    ...own,
  }
}

/**
 * A result that is still the command's output while the command ends with another exit code than 0:
 * audit findings, a failed stack of a fleet run.
 */
export class WithExitCode<T> {
  readonly result: T
  readonly exitCode: number

  constructor(result: T, exitCode: number) {
    this.result = result
    this.exitCode = exitCode
  }
}

/**
 * The base of every seiketsu command. It owns --json (one JSON document on stdout, errors as a
 * JSON error object), --workspace, the exit codes of DESIGN.md, warnings and the terminal.
 * Warnings (this.warn, and a result's own `warnings`) go to stderr, and into the JSON document under
 * `warnings`; a result wrapped in WithExitCode ends the command with that exit code.
 */
export abstract class SeiketsuCommand<T extends object> extends Command {
  static override baseFlags = {
    workspace: Flags.string({
      char: 'w',
      description: 'Workspace folder (default: the nearest folder upwards holding seiketsu.yaml).',
      env: 'SEIKETSU_WORKSPACE',
      helpGroup: 'GLOBAL',
    }),
  }
  static override enableJsonFlag = true

  readonly #warnings: string[] = []
  #terminal?: Terminal

  abstract override run(): Promise<T | WithExitCode<T>>

  /** Where the output goes: built once, passed to whatever prompts, colours or shows progress. */
  protected get terminal(): Terminal {
    this.#terminal ??= detectTerminal({json: this.jsonEnabled()})
    return this.#terminal
  }

  /** A warning: on stderr now (not under --json), and in the JSON document's `warnings`. */
  override warn(input: string | Error): string | Error {
    this.#warnings.push(typeof input === 'string' ? input : input.message)
    return super.warn(input)
  }

  /**
   * Whether prompts may be shown: only on a terminal (stdin and stdout), without --yes, --json or CI.
   * Everywhere else a missing value is an error that names the flag to pass.
   */
  protected isInteractive(yes = false): boolean {
    return !yes && this.terminal.interactive
  }

  /** The error for values that would need a prompt where none may be shown (exit 2). */
  protected missingInput(flags: string[], hint?: string) {
    const list = flags.map((flag) => (flag.startsWith('-') ? flag : `--${flag}`))
    return usageError(`Missing ${list.join(', ')}${hint ? ` (${hint})` : ''}`, {
      code: 'MISSING_INPUT',
      details: {missing: list},
      suggestions: [`Pass ${list.join(' ')}; seiketsu only prompts on a terminal without --yes, --json or CI set.`],
    })
  }

  /** A command whose exit codes carry a meaning of their own (plan --detailed-exitcode) remaps errors here. */
  protected exitCodeFor(code: number): number {
    return code
  }

  protected async workspace(flags: BaseFlags): Promise<Workspace> {
    return loadWorkspace(flags.workspace)
  }

  /** oclif's run, then what the result asks for: its own warnings on stderr, its exit code. */
  protected override async _run<R>(): Promise<R> {
    const outcome = await super._run<T | WithExitCode<T> | undefined>()
    if (outcome === undefined) return outcome as R
    const result = outcome instanceof WithExitCode ? outcome.result : outcome
    if (!this.jsonEnabled()) for (const warning of ownWarnings(result)) super.warn(warning)
    if (outcome instanceof WithExitCode) process.exitCode = outcome.exitCode
    return result as unknown as R
  }

  /** The result document, with every warning of the run under `warnings`. */
  protected override toSuccessJson(outcome: T | WithExitCode<T>): unknown {
    const result = outcome instanceof WithExitCode ? outcome.result : outcome
    const warnings = [...this.#warnings, ...ownWarnings(result)]
    return 'warnings' in result || warnings.length > 0 ? {...result, warnings} : result
  }

  override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    // `this.exit()` inside a command: not an error, keep its code.
    if (error instanceof Errors.ExitError) throw error
    const normalized = normalizeError(error)
    normalized.message = this.inFlagTerms(normalized)
    normalized.exitCode = this.exitCodeFor(normalized.exitCode)
    process.exitCode = normalized.exitCode
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(normalized))
      return
    }
    if (normalized.exitCode === ExitCode.Interrupted) {
      process.stderr.write(`\n${normalized.message}\n`)
      this.exit(ExitCode.Interrupted)
    }
    throw new Errors.CLIError(normalized.message, {
      code: normalized.code,
      exit: normalized.exitCode,
      suggestions: normalized.suggestions.length > 0 ? normalized.suggestions : undefined,
    })
  }

  /** A domain error about one field of the request names this command's flag of that name: `ttl: …` → `--ttl: …`. */
  private inFlagTerms({input, message}: NormalizedError): string {
    const flags = {...this.ctor.baseFlags, ...this.ctor.flags}
    return input !== undefined && input in flags && message.startsWith(input) ? `--${message}` : message
  }

  protected override toErrorJson(error: unknown): ErrorJson {
    const normalized = isNormalized(error) ? error : normalizeError(error as Error)
    return {
      error: {
        code: normalized.code,
        ...(normalized.details === undefined ? {} : {details: normalized.details}),
        exitCode: normalized.exitCode,
        message: normalized.message,
        ...(normalized.suggestions.length > 0 ? {suggestions: normalized.suggestions} : {}),
      },
    }
  }
}

/** The warnings a domain run put into its result (plan, provision, synth…). */
function ownWarnings(result: object): string[] {
  const {warnings} = result as {warnings?: unknown}
  return Array.isArray(warnings) ? (warnings as string[]) : []
}

interface NormalizedError {
  normalized: true
  code: ErrorCode
  details?: unknown
  input?: string
  exitCode: ExitCodeValue | number
  message: string
  suggestions: string[]
}

function isNormalized(error: unknown): error is NormalizedError {
  return typeof error === 'object' && error !== null && (error as NormalizedError).normalized === true
}

/** Maps whatever was thrown to the contract's exit codes. */
export function normalizeError(
  error: Error & {code?: unknown; exitCode?: number; oclif?: {exit?: number}; suggestions?: string[]},
): NormalizedError {
  if (isSeiketsuError(error))
    return {
      code: error.code,
      details: error.details,
      exitCode: error.exitCode,
      input: error.input,
      message: error.message,
      normalized: true,
      suggestions: error.suggestions,
    }
  // Ctrl-C at an inquirer prompt.
  if (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')
    return {
      code: 'INTERRUPTED',
      exitCode: ExitCode.Interrupted,
      message: 'Interrupted: nothing was written.',
      normalized: true,
      suggestions: [],
    }
  // oclif's own parse errors (unknown flag, bad option, missing arg) are usage errors: exit 2.
  if (error instanceof Errors.CLIError) {
    const exit = error.oclif?.exit ?? ExitCode.Failure
    return {
      code: exit === ExitCode.Usage ? 'INVALID_USAGE' : 'FAILURE',
      exitCode: exit,
      message: error.message.replace(/^Error: /, ''),
      normalized: true,
      suggestions: error.suggestions ?? [],
    }
  }
  return {
    code: 'FAILURE',
    exitCode: ExitCode.Failure,
    message: error.message || String(error),
    normalized: true,
    suggestions: [
      'This is a bug in seiketsu if the message does not explain it; rerun with DEBUG=seiketsu* for details.',
    ],
  }
}
