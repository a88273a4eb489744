import {usageError} from '../errors.ts'

/** The terraform commands seiketsu runs (what `TF_CLI_ARGS_<command>` can reach). */
export type TerraformVerb = 'version' | 'init' | 'plan' | 'show' | 'apply' | 'state'

const VERBS: readonly TerraformVerb[] = ['version', 'init', 'plan', 'show', 'apply', 'state']

export interface EnvironmentOptions {
  /** `plan --drift`: a plan that does not refresh cannot see drift. */
  drift?: boolean
}

export interface CheckedEnvironment {
  /** The environment terraform runs with (what would make a result wrong removed). */
  env: NodeJS.ProcessEnv
  /** What passes through or was removed, for the operator (never the values: they can hold secrets). */
  warnings: string[]
}

interface FlagRule {
  flags: readonly string[]
  verbs: readonly TerraformVerb[]
  /** Given the flag's value (undefined for a bare flag), whether it would make a result wrong. */
  wrong: (value: string | undefined, options: EnvironmentOptions) => boolean
  why: string
}

const always = () => true
const isFalse = (value: string | undefined) => value !== undefined && /^(false|0)$/i.test(value)

/**
 * Flags that make what seiketsu reports or applies wrong when the environment slips them into
 * terraform's command line (TF_CLI_ARGS, TF_CLI_ARGS_<command>): a partial or destroying plan saved
 * and applied as the stack's plan, locking off, state elsewhere, an upgrade nobody reviewed.
 */
const RULES: readonly FlagRule[] = [
  {
    flags: ['target', 'replace'],
    verbs: ['plan', 'apply'],
    why: 'it makes the plan partial (or forces replacements), and seiketsu saves and applies each plan as the whole stack',
    wrong: always,
  },
  {
    flags: ['destroy', 'refresh-only'],
    verbs: ['plan', 'apply'],
    why: 'it turns every stack’s plan into a destroy or refresh-only plan',
    wrong: always,
  },
  {
    flags: ['refresh'],
    verbs: ['plan'],
    why: 'a plan that does not refresh cannot see what changed outside terraform, which is what --drift reports',
    wrong: (value, options) => isFalse(value) && options.drift === true,
  },
  {
    flags: ['lock'],
    verbs: ['plan', 'apply', 'init', 'state'],
    why: 'it turns state locking off while many stacks run at once',
    wrong: isFalse,
  },
  {
    flags: ['state', 'state-out', 'backup', 'out', 'generate-config-out'],
    verbs: ['plan', 'apply'],
    why: 'seiketsu decides where state and saved plans are written',
    wrong: always,
  },
  {
    flags: ['json'],
    verbs: ['plan', 'apply', 'init'],
    why: 'terraform then writes its errors as JSON lines on stdout, and seiketsu could not report them',
    wrong: always,
  },
  {
    flags: ['input'],
    verbs: ['plan', 'apply', 'init'],
    why: 'terraform would wait for answers nobody can give',
    wrong: (value) => value === undefined || !isFalse(value),
  },
  {
    flags: ['upgrade'],
    verbs: ['init'],
    why: 'seiketsu upgrades providers itself, once for the fleet, when a pin changes, and shares that lock file',
    wrong: always,
  },
  {
    flags: ['reconfigure', 'migrate-state', 'force-copy', 'backend', 'lockfile', 'from-module'],
    verbs: ['init'],
    why: 'it changes where state comes from or which providers are locked; use seiketsu state migrate for a backend change',
    wrong: always,
  },
]

/** A shell-like split (terraform reads TF_CLI_ARGS with shell quoting rules). */
export function splitArgs(text: string): string[] {
  const words: string[] = []
  let current = ''
  let quote: '"' | "'" | undefined
  let inWord = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!
    if (quote) {
      if (char === quote) quote = undefined
      else if (char === '\\' && quote === '"' && index + 1 < text.length) current += text[++index]
      else current += char
    } else if (char === '"' || char === "'") {
      quote = char
      inWord = true
    } else if (char === '\\' && index + 1 < text.length) {
      current += text[++index]
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current)
      current = ''
      inWord = false
    } else {
      current += char
      inWord = true
    }
  }
  if (inWord) words.push(current)
  return words
}

/** The flag names (never their values) of an argument list: `-target=x -var 'a=b'` → target, var. */
function flagsOf(words: readonly string[]): {name: string; value: string | undefined}[] {
  return words
    .filter((word) => word.startsWith('-'))
    .map((word) => {
      const [name, ...rest] = word.replace(/^--?/, '').split('=')
      return {name: name!, value: rest.length > 0 ? rest.join('=') : undefined}
    })
}

function verbsOf(variable: string): readonly TerraformVerb[] {
  if (variable === 'TF_CLI_ARGS') return VERBS
  const verb = variable.slice('TF_CLI_ARGS_'.length).split('_')[0] as TerraformVerb
  return VERBS.includes(verb) ? [verb] : []
}

/**
 * The environment terraform runs with, checked. The operator's environment passes through
 * (credentials, proxies, AWS_PROFILE), except what would make a result wrong:
 * - TF_CLI_ARGS / TF_CLI_ARGS_<command> with a flag from RULES: refused (exit 2, naming the
 *   variable and the flag, never its value); other flags pass through with a warning.
 * - TF_WORKSPACE other than `default`: refused (each stack's state is its default workspace).
 * - TF_DATA_DIR: removed (an absolute one would be one .terraform for every stack at once; each
 *   stack keeps its own in its folder), with a warning.
 * - TF_LOG without TF_LOG_PATH: removed, with a warning. terraform would write its debug log (HTTP
 *   bodies, credentials from STS answers) to stderr, which goes into terraform.log, which CI keeps.
 *   With TF_LOG_PATH the log goes to that file, with a warning that it can hold credentials.
 */
export function checkTerraformEnvironment(
  base: NodeJS.ProcessEnv,
  options: EnvironmentOptions = {},
): CheckedEnvironment {
  const env: NodeJS.ProcessEnv = {...base}
  const warnings: string[] = []
  for (const variable of Object.keys(base)
    .filter((name) => name === 'TF_CLI_ARGS' || name.startsWith('TF_CLI_ARGS_'))
    .sort()) {
    const value = base[variable] ?? ''
    if (value.trim() === '') continue
    const verbs = verbsOf(variable)
    const flags = flagsOf(splitArgs(value))
    for (const flag of flags) {
      const rule = RULES.find(
        (candidate) => candidate.flags.includes(flag.name) && candidate.verbs.some((verb) => verbs.includes(verb)),
      )
      if (rule?.wrong(flag.value, options))
        throw usageError(`${variable} passes -${flag.name} to terraform: ${rule.why}`, {
          code: 'TERRAFORM_ENV_CONFLICT',
          details: {flag: `-${flag.name}`, variable},
          suggestions: [`Unset ${variable} (or remove -${flag.name} from it) and run seiketsu again`],
        })
    }
    const names = [...new Set(flags.map((flag) => `-${flag.name}`))]
    warnings.push(
      `${variable} is set: terraform gets ${names.length > 0 ? names.join(' ') : 'its words'} on every ${variable === 'TF_CLI_ARGS' ? 'command' : verbs.join(', ') || variable.slice('TF_CLI_ARGS_'.length)} seiketsu runs`,
    )
  }
  const workspace = base.TF_WORKSPACE
  if (workspace && workspace !== 'default')
    throw usageError(
      `TF_WORKSPACE=${workspace} would plan and apply every stack against another state than its own (seiketsu keeps each stack's state in its default workspace)`,
      {code: 'TERRAFORM_ENV_CONFLICT', details: {variable: 'TF_WORKSPACE'}, suggestions: ['Unset TF_WORKSPACE']},
    )
  if (base.TF_DATA_DIR) {
    delete env.TF_DATA_DIR
    warnings.push(
      'TF_DATA_DIR is set and not passed to terraform: each stack keeps its working data in its own .terraform folder (a shared one would mix the stacks that run at once)',
    )
  }
  const logVariables = Object.keys(base).filter((name) => /^TF_LOG(_|$)/.test(name) && name !== 'TF_LOG_PATH')
  if (logVariables.some((name) => base[name])) {
    if (base.TF_LOG_PATH)
      warnings.push(
        `TF_LOG is set: terraform writes its debug log to TF_LOG_PATH (${base.TF_LOG_PATH}); it can hold credentials, never upload or share it`,
      )
    else {
      for (const name of logVariables) delete env[name]
      warnings.push(
        'TF_LOG is set and not passed to terraform: its debug log can hold credentials and would land in terraform.log, which CI keeps; set TF_LOG_PATH to a private file to get it',
      )
    }
  }
  return {env, warnings}
}
