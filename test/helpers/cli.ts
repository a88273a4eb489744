import {execFile, spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const binPath = join(repoRoot, 'bin', 'run.js')
export const fixturesDir = join(repoRoot, 'test', 'fixtures')

export interface CliResult {
  exitCode: number
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stderr with oclif's error decoration (` ›   ` prefixes, wrapping at 80 columns) undone. */
  errorText: string
}

export function unwrapOclifError(stderr: string): string {
  return stderr
    .replaceAll(/\n › {3}/g, ' ')
    .replaceAll(/^ › {3}/gm, '')
    .replaceAll(/ {2,}/g, ' ')
}

/**
 * Runs the real `seiketsu` binary as a CI pipeline would: no TTY, stdin closed, CI set unless the
 * caller overrides it. Resolves on exit; never throws for a non-zero exit.
 */
export function runCli(
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: {...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...options.env},
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    child.stderr!.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`seiketsu ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\n${stderr}`))
    }, options.timeoutMs ?? 60_000)
    if (options.input !== undefined) child.stdin!.end(options.input)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({errorText: unwrapOclifError(stderr), exitCode: code ?? -1, signal, stderr, stdout})
    })
  })
}

/** Parses stdout as the single JSON document --json promises; fails the test otherwise. */
export function parseJson<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not one JSON document:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

export async function makeTempDir(prefix = 'seiketsu-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, {force: true, recursive: true})
}

export function execFileText(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, {cwd}, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  )
}

export const DEFAULT_INIT_FLAGS = [
  '--yes',
  '--management-account-id',
  '111111111111',
  '--region',
  'us-east-1',
  '--dr-region',
  'us-west-2',
]
