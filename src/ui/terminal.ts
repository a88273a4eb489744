/** The listr2 renderers seiketsu uses (typed: listr2 silently maps an unknown name to 'default'). */
export type RendererName = 'default' | 'simple' | 'silent'

/** What a command's output goes to, decided once per command: every prompt, colour and progress choice reads it. */
export interface Terminal {
  /** Prompts may be shown: stdin and stdout are terminals, CI is not set and stdout is not --json. */
  interactive: boolean
  /** stdin is a terminal: nothing was piped in. */
  stdinIsTerminal: boolean
  /** stdout shows ANSI colours: a terminal, without NO_COLOR or TERM=dumb. */
  color: boolean
  /** Progress: nothing under --json (stdout holds one JSON document), plain lines in CI or without colour, the live list on a terminal. */
  renderer: RendererName
}

/** True when the CI variable is set to anything but an explicit "false" or "0". */
export function runningInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase()
  return value !== undefined && value !== '' && value !== 'false' && value !== '0'
}

export function detectTerminal(options: {
  json: boolean
  env?: NodeJS.ProcessEnv
  stdin?: {isTTY?: boolean}
  stdout?: {isTTY?: boolean}
}): Terminal {
  const env = options.env ?? process.env
  const stdinIsTerminal = Boolean((options.stdin ?? process.stdin).isTTY)
  const stdoutIsTerminal = Boolean((options.stdout ?? process.stdout).isTTY)
  const ci = runningInCi(env)
  const color = stdoutIsTerminal && !env.NO_COLOR && env.TERM !== 'dumb'
  return {
    color,
    interactive: !options.json && !ci && stdinIsTerminal && stdoutIsTerminal,
    renderer: options.json ? 'silent' : ci || !color ? 'simple' : 'default',
    stdinIsTerminal,
  }
}
