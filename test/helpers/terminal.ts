import {spawn} from 'node:child_process'

import {binPath, repoRoot, type CliResult} from './cli.ts'

/** A step of a terminal conversation: when the output (so far) matches `when`, type `send`. */
export interface TerminalAnswer {
  when: RegExp
  send: string
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`

/**
 * Runs the real `seiketsu` binary on a pseudo-terminal (util-linux `script`), as an operator at a
 * terminal would: CI unset, stdin and stdout TTYs. Answers are typed only once their prompt has
 * appeared, so the output shows exactly what the operator would see. stdout and stderr arrive merged.
 */
export function runCliInTerminal(
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; answers?: TerminalAnswer[]; timeoutMs?: number} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // A pty made by `script` without a controlling terminal has 0 columns: give it a real size.
    const command = `stty cols 160 rows 50; exec ${[process.execPath, binPath, ...args].map(quote).join(' ')}`
    const env: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm-256color', ...options.env}
    delete env.CI
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const answers = [...(options.answers ?? [])]
    let output = ''
    let stderr = ''
    let answeredUpTo = 0
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`seiketsu ${args.join(' ')} did not finish on the terminal:\n${output}`))
    }, options.timeoutMs ?? 60_000)
    child.stdout.on('data', (chunk) => {
      output += chunk
      const next = answers[0]
      if (next && next.when.test(output.slice(answeredUpTo))) {
        answers.shift()
        answeredUpTo = output.length
        child.stdin.write(next.send)
      }
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({exitCode: code ?? -1, signal, stderr, stdout: output})
    })
  })
}
