import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {ExitCode, isSeiketsuError, usageError, type ExitCodeValue} from './errors.ts'
import {loadWorkspace, type Workspace} from './workspace/workspace.ts'

export type BaseFlags = Interfaces.InferredFlags<(typeof SeiketsuCommand)['baseFlags']>

/** The JSON error object printed on stdout under --json. */
export interface ErrorJson {
  error: {code: string; details?: unknown; exitCode: number; message: string; suggestions?: string[]}
}

/** True when the CI variable is set to anything but an explicit "false" or "0". */
export function runningInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase()
  return value !== undefined && value !== '' && value !== 'false' && value !== '0'
}

/**
 * The base of every seiketsu command. It owns --json (one JSON document on stdout, errors as a
 * JSON error object), --workspace, the exit codes of DESIGN.md and interactivity detection.
 */
export abstract class SeiketsuCommand<T> extends Command {
  static override baseFlags = {
    workspace: Flags.string({
      char: 'w',
      description: 'Workspace folder (default: the nearest folder upwards holding seiketsu.yaml).',
      env: 'SEIKETSU_WORKSPACE',
      helpGroup: 'GLOBAL',
    }),
  }
  static override enableJsonFlag = true

  abstract override run(): Promise<T>

  /**
   * Whether prompts may be shown: only on a terminal (stdin and stdout), without --yes, --json or CI.
   * Everywhere else a missing value is an error that names the flag to pass.
   */
  protected isInteractive(yes = false): boolean {
    return (
      !yes && !this.jsonEnabled() && !runningInCi() && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY)
    )
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

  override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    // `this.exit()` inside a command: not an error, keep its code.
    if (error instanceof Errors.ExitError) throw error
    const normalized = normalizeError(error)
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

interface NormalizedError {
  normalized: true
  code: string
  details?: unknown
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
      code: typeof error.code === 'string' ? error.code : exit === ExitCode.Usage ? 'INVALID_USAGE' : 'FAILURE',
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
