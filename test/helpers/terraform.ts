import {spawn, type ChildProcess} from 'node:child_process'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import type {TerraformStack} from '../../src/terraform/session.ts'
import {binPath, fixturesDir, repoRoot, unwrapOclifError, type CliResult} from './cli.ts'

/** The terraform stand-in (an executable honouring terraform's CLI contract for the verbs seiketsu uses). */
export const standinPath = join(fixturesDir, 'terraform-standin', 'terraform')

/**
 * A stack like the ones synth writes: provider, backend (local state under .seiketsu/state/<id>),
 * and stateful and stateless resources with references between them.
 */
export function clientStackJson(workspace: Workspace, id: string, cidr = '10.0.0.0/16'): Record<string, unknown> {
  return {
    '//': {metadata: {backend: 'local', stackName: id, version: '0.21.0'}, outputs: {}},
    output: {vpc_id: {value: '${aws_vpc.network.id}'}},
    provider: {aws: [{default_tags: [{tags: {'seiketsu:client': id}}], region: 'us-east-1'}]},
    resource: {
      aws_cloudwatch_log_group: {
        app: {kms_key_id: '${aws_kms_key.client.arn}', name: `/seiketsu/${id}/app`, retention_in_days: 30},
      },
      aws_db_instance: {
        database: {
          deletion_protection: true,
          engine: 'postgres',
          identifier: `seiketsu-${id}`,
          instance_class: 'db.t4g.medium',
          kms_key_id: '${aws_kms_key.client.arn}',
          manage_master_user_password: true,
          storage_encrypted: true,
        },
      },
      aws_kms_alias: {client: {name: `alias/seiketsu/${id}`, target_key_id: '${aws_kms_key.client.key_id}'}},
      aws_kms_key: {client: {deletion_window_in_days: 30, description: `${id} data key`, enable_key_rotation: true}},
      aws_s3_bucket: {data: {bucket: `seiketsu-${id}-data`, force_destroy: false}},
      aws_security_group: {
        app: {description: 'app tasks', name: `seiketsu-${id}-app`, vpc_id: '${aws_vpc.network.id}'},
      },
      aws_vpc: {network: {cidr_block: cidr, enable_dns_hostnames: true}},
    },
    terraform: {
      backend: {local: {path: join(workspacePaths(workspace.root).state, id, 'terraform.tfstate')}},
      required_providers: {aws: {source: 'aws', version: '5.100.0'}},
    },
  }
}

/** The number of resources in clientStackJson. */
export const CLIENT_STACK_RESOURCES = 7

/** Writes cdktf.out/stacks/<id>/cdk.tf.json for each id, as synth would. */
export async function writeClientStacks(workspace: Workspace, ids: readonly string[]): Promise<TerraformStack[]> {
  return Promise.all(
    ids.map(async (id) => {
      const dir = join(workspacePaths(workspace.root).out, 'stacks', id)
      await mkdir(dir, {recursive: true})
      const file = join(dir, 'cdk.tf.json')
      await writeFile(file, `${JSON.stringify(clientStackJson(workspace, id), null, 2)}\n`)
      return {dir, file, id, kind: 'client' as const}
    }),
  )
}

/** The platform stack (management account): client accounts, a role, the state bucket. */
export async function writePlatformStack(workspace: Workspace, clientIds: readonly string[]): Promise<TerraformStack> {
  const dir = join(workspacePaths(workspace.root).out, 'stacks', 'platform')
  await mkdir(dir, {recursive: true})
  const file = join(dir, 'cdk.tf.json')
  const stack = {
    provider: {aws: [{region: 'us-east-1'}]},
    resource: {
      aws_iam_role: {provisioner: {assume_role_policy: '{}', name: 'SeiketsuClientProvisioner'}},
      aws_organizations_account: Object.fromEntries(
        clientIds.map((id) => [id, {email: `aws+${id}@example.com`, name: `seiketsu-${id}`}]),
      ),
      aws_s3_bucket: {state: {bucket: 'seiketsu-terraform-state'}},
    },
    terraform: {
      backend: {local: {path: join(workspacePaths(workspace.root).state, 'platform', 'terraform.tfstate')}},
      required_providers: {aws: {source: 'aws', version: '5.100.0'}},
    },
  }
  await writeFile(file, `${JSON.stringify(stack, null, 2)}\n`)
  return {dir, file, id: 'platform', kind: 'platform'}
}

export interface StandinEvent {
  event: 'start' | 'end' | 'signal' | 'plugin'
  pid: number
  stack: string
  argv?: string[]
  cwd?: string
  env?: Record<string, string>
  start?: number
  end?: number
  exitCode?: number
  signal?: string
  plugin?: number
  time?: number
}

export interface Invocation {
  pid: number
  stack: string
  argv: string[]
  verb: string
  cwd: string
  env: Record<string, string>
  start: number
  end?: number
  exitCode?: number
  signals: string[]
  plugins: number[]
}

/** The stand-in's invocation log, one entry per process. */
export async function readInvocations(logFile: string): Promise<Invocation[]> {
  let text = ''
  try {
    text = await readFile(logFile, 'utf8')
  } catch {
    return []
  }
  const byPid = new Map<number, Invocation>()
  const events = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StandinEvent)
  for (const event of events) {
    if (event.event === 'start')
      byPid.set(event.pid, {
        argv: event.argv!,
        cwd: event.cwd!,
        env: event.env ?? {},
        pid: event.pid,
        plugins: [],
        signals: [],
        stack: event.stack,
        start: event.start!,
        verb: event.argv![0] ?? '',
      })
  }
  for (const event of events) {
    const invocation = byPid.get(event.pid)
    if (!invocation) continue
    if (event.event === 'end') Object.assign(invocation, {end: event.end, exitCode: event.exitCode})
    if (event.event === 'signal') invocation.signals.push(event.signal!)
    if (event.event === 'plugin') invocation.plugins.push(event.plugin!)
  }
  return [...byPid.values()].sort((a, b) => a.start - b.start)
}

/** The most invocations that were running at the same moment (from their start/end times). */
export function maxOverlap(invocations: readonly Invocation[]): number {
  const edges = invocations.flatMap((invocation) => [
    {delta: 1, time: invocation.start},
    {delta: -1, time: invocation.end ?? Number.POSITIVE_INFINITY},
  ])
  // At equal times count ends first: a process that ended as another started did not overlap it.
  edges.sort((a, b) => a.time - b.time || a.delta - b.delta)
  let running = 0
  let peak = 0
  for (const edge of edges) {
    running += edge.delta
    peak = Math.max(peak, running)
  }
  return peak
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

export interface StartedCli {
  child: ChildProcess
  done: Promise<CliResult>
}

/**
 * Starts seiketsu like runCli, but returns at once so that a test can signal it. With `ownGroup`
 * it leads its own process group, so that `process.kill(-pid, 'SIGINT')` reaches it the way a
 * terminal's Ctrl-C reaches the foreground job.
 */
export function startCli(
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; ownGroup?: boolean} = {},
): StartedCli {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    detached: options.ownGroup ?? false,
    env: {...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...options.env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) =>
      resolve({errorText: unwrapOclifError(stderr), exitCode: code ?? -1, signal, stderr, stdout}),
    )
  })
  return {child, done}
}

/** Polls until `check` returns a value (or fails the test after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
