import {performance} from 'node:perf_hooks'

/** What one terraform invocation did. */
export interface TerraformOutcome {
  args: string[]
  cwd: string
  /** Exit code; undefined when the process was killed by a signal or never started. */
  exitCode: number | undefined
  signal?: string
  stdout: string
  stderr: string
  durationMs: number
  /** It was not started because an interrupt had already arrived. */
  notStarted: boolean
  /** It received our one SIGINT (it was running when the operator interrupted). */
  interrupted: boolean
  /** It was killed (second interrupt). */
  forced: boolean
  /** Why it could not be started (e.g. ENOENT), when it could not. */
  spawnError?: string
}

/** A terraform process that is running now. */
export interface LiveProcess {
  pid: number
  stackId?: string
  cwd: string
  verb: string
}

interface Tracked extends LiveProcess {
  signalled: boolean
  forced: boolean
}

const IS_WINDOWS = process.platform === 'win32'

/**
 * Starts terraform processes and owns their signals. Each child runs in its own process group
 * (`detached`), so a Ctrl-C typed at the terminal, which the kernel delivers to the whole
 * foreground group, reaches seiketsu only; seiketsu then sends exactly one SIGINT to each child
 * (terraform stops gracefully, saves state and releases its lock). A second interrupt kills each
 * child's whole group (terraform and its provider plugins). execa's own escalation is off:
 * `forceKillAfterDelay: false` (no SIGKILL 5 s after a signal) and `cleanup: false` (no SIGTERM
 * on exit, which would be a second interrupt for terraform).
 */
export class TerraformProcesses {
  #live = new Map<number, Tracked>()
  #interrupted = false
  #onExit = () => {
    // Last resort when seiketsu exits while children still run (a crash): ask them to stop gracefully.
    for (const child of this.#live.values()) signal(child.pid, 'SIGINT')
  }

  get interrupted(): boolean {
    return this.#interrupted
  }

  get live(): LiveProcess[] {
    return [...this.#live.values()].map(({cwd, pid, stackId, verb}) => ({cwd, pid, stackId, verb}))
  }

  async run(
    command: string,
    args: string[],
    options: {cwd: string; env: NodeJS.ProcessEnv; stackId?: string; afterInterrupt?: boolean},
  ): Promise<TerraformOutcome> {
    const base = {args, cwd: options.cwd, forced: false, interrupted: false, notStarted: false, signal: undefined}
    // `afterInterrupt`: a short read-only look after the run was interrupted (which states are still locked).
    const refused = () => this.#interrupted && !options.afterInterrupt
    if (refused()) return {...base, durationMs: 0, exitCode: undefined, notStarted: true, stderr: '', stdout: ''}
    const {execa} = await import('execa')
    // The import yields: an interrupt may have arrived meanwhile. From here to registration is synchronous.
    if (refused()) return {...base, durationMs: 0, exitCode: undefined, notStarted: true, stderr: '', stdout: ''}
    const started = performance.now()
    const subprocess = execa(command, args, {
      cleanup: false,
      cwd: options.cwd,
      detached: !IS_WINDOWS,
      env: options.env,
      extendEnv: false,
      forceKillAfterDelay: false,
      maxBuffer: 1024 * 1024 * 1024,
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: false,
    })
    const pid = subprocess.pid
    let tracked: Tracked | undefined
    if (pid !== undefined) {
      tracked = {cwd: options.cwd, forced: false, pid, signalled: false, stackId: options.stackId, verb: args[0] ?? ''}
      if (this.#live.size === 0) process.once('exit', this.#onExit)
      this.#live.set(pid, tracked)
    }
    const result = await subprocess
    if (pid !== undefined) {
      this.#live.delete(pid)
      if (this.#live.size === 0) process.removeListener('exit', this.#onExit)
      // Nothing terraform started may outlive it: clear its process group (plugins it failed to stop).
      if (!IS_WINDOWS) signal(-pid, 'SIGKILL')
    }
    return {
      ...base,
      durationMs: performance.now() - started,
      exitCode: typeof result.exitCode === 'number' ? result.exitCode : undefined,
      forced: tracked?.forced ?? false,
      interrupted: tracked?.signalled ?? false,
      signal: result.signal ?? undefined,
      spawnError: pid === undefined ? (result.code ?? result.shortMessage) : undefined,
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
    }
  }

  /** First interrupt: nothing new starts; every running child gets one SIGINT (never a second). */
  interrupt(): LiveProcess[] {
    this.#interrupted = true
    const signalled: LiveProcess[] = []
    for (const child of this.#live.values()) {
      if (child.signalled) continue
      child.signalled = true
      signal(child.pid, 'SIGINT')
      signalled.push(child)
    }
    return signalled
  }

  /** Second interrupt: kill every running child's process group. Returns what was killed. */
  forceKill(): LiveProcess[] {
    this.#interrupted = true
    const killed: LiveProcess[] = []
    for (const child of this.#live.values()) {
      child.forced = true
      if (!IS_WINDOWS) signal(-child.pid, 'SIGKILL')
      signal(child.pid, 'SIGKILL')
      killed.push(child)
    }
    return killed
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone (ESRCH): nothing to do.
  }
}
