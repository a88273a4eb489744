import {userInfo} from 'node:os'

/** Who is acting: the OS user and, when git knows one, the git identity. Never fails. */
export async function actorIdentity(cwd: string): Promise<{osUser: string; git?: string}> {
  const osUser = safeUser()
  const [name, email] = await Promise.all([gitConfig(cwd, 'user.name'), gitConfig(cwd, 'user.email')])
  const git = name || email ? [name, email ? `<${email}>` : undefined].filter(Boolean).join(' ') : undefined
  return git ? {git, osUser} : {osUser}
}

/** Makes `root` a git repository unless it already is inside one. Returns what happened. */
export async function ensureGitRepository(root: string): Promise<'initialized' | 'existing' | 'unavailable'> {
  const {execa} = await import('execa')
  const inside = await execa('git', ['rev-parse', '--is-inside-work-tree'], {
    cwd: root,
    reject: false,
    stdin: 'ignore',
  }).catch(() => undefined)
  if (!inside || (inside.exitCode !== 0 && /ENOENT/.test(String(inside.originalMessage ?? '')))) return 'unavailable'
  if (inside.exitCode === 0 && inside.stdout.trim() === 'true') return 'existing'
  const created = await execa('git', ['init', '--quiet'], {cwd: root, reject: false, stdin: 'ignore'}).catch(
    () => undefined,
  )
  return created?.exitCode === 0 ? 'initialized' : 'unavailable'
}

/** The top folder of the git repository holding `dir`, if any. */
export async function gitTopLevel(dir: string): Promise<string | undefined> {
  try {
    const {execa} = await import('execa')
    const result = await execa('git', ['rev-parse', '--show-toplevel'], {cwd: dir, reject: false, stdin: 'ignore'})
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined
  } catch {
    return undefined
  }
}

async function gitConfig(cwd: string, key: string): Promise<string | undefined> {
  try {
    const {execa} = await import('execa')
    const result = await execa('git', ['config', '--get', key], {cwd, reject: false, stdin: 'ignore', timeout: 5000})
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined
  } catch {
    return undefined
  }
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'unknown'
  }
}
