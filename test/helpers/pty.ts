import {spawn} from 'node:child_process'

import {binPath, repoRoot} from './cli.ts'

/**
 * Runs seiketsu on a real pseudo-terminal (util-linux `script`), as an operator would: prompts
 * render, keys are typed, Ctrl-C is a real SIGINT from the terminal driver.
 */
export interface TerminalSession {
  /** Everything the terminal showed so far (ANSI codes included). */
  readonly output: string
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  type(keys: string): void
  /** Resolves with the exit code once the program has ended. */
  exit(): Promise<number>
}

export const KEYS = {backspace: '\u007F', ctrlC: '\u0003', down: '\u001B[B', enter: '\r', space: ' ', up: '\u001B[A'}

export function runInTerminal(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): TerminalSession {
  const command = [process.execPath, binPath, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ')
  // -e: return the child's exit code; -f: flush output at once; -q: no banner.
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd ?? repoRoot,
    env: {...process.env, CI: '', COLUMNS: '120', TERM: 'xterm-256color', ...options.env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
  return {
    exit: () => exited,
    get output() {
      return output
    },
    type(keys) {
      child.stdin.write(keys)
    },
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now()
        const timer = setInterval(() => {
          if (pattern.test(output)) {
            clearInterval(timer)
            resolve()
          } else if (Date.now() - started > timeoutMs) {
            clearInterval(timer)
            child.kill('SIGKILL')
            reject(new Error(`the terminal never showed ${pattern}; it showed:\n${output}`))
          }
        }, 20)
      })
    },
  }
}
