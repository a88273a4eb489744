import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {stackBackend, type StackBackend} from '../../src/stacks/backend.ts'
import {loadWorkspace, workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, runCli, type CliResult} from './cli.ts'
import {startAwsStub, type AwsStub} from './aws/provider-stub.ts'
import type {S3Loopback} from './aws/s3.ts'
import {realTerraformPath} from './real-terraform.ts'
import {startCli, type StartedCli} from './terraform.ts'
import {draftClient, makeWorkspace} from './workspace.ts'

/**
 * Workspaces whose stacks are built-in `terraform_data` resources (no provider to download), driven
 * by seiketsu with the REAL terraform: exit codes, saved plans, locks, interrupts, backends and
 * state moves all as terraform really does them. S3 state goes to a loopback S3 (test/helpers/
 * aws/s3.ts), set the way an operator would: seiketsu.yaml `state.endpoint` and `usePathStyle`.
 */

export type Resources = Record<string, Record<string, unknown>>

/** `count` plain terraform_data resources named r0, r1, … */
export function dataResources(count: number, prefix = 'r'): Resources {
  return Object.fromEntries(
    Array.from({length: count}, (_, index) => [`${prefix}${index}`, {input: `${prefix}${index}`}]),
  )
}

/** A resource whose apply takes `seconds` (a local-exec provisioner), for interrupts and held locks. */
export function slowResource(seconds: number): Record<string, unknown> {
  return {input: 'slow', provisioner: [{'local-exec': {command: `sleep ${seconds}`}}]}
}

/** A terraform CLI configuration with nothing in it (this machine's TF_CLI_CONFIG_FILE names a missing file). */
export async function emptyCliConfig(dir: string): Promise<string> {
  const file = join(dir, 'empty.tfrc')
  await writeFile(file, '# no settings\n')
  return file
}

export interface RealFleetOptions {
  /** S3 state in this loopback bucket (default: local state). */
  s3?: {loopback: S3Loopback; bucket: string; createBucket?: boolean}
  /** Settings of seiketsu.yaml's terraform section, e.g. {lockTimeout: '2s'} (replacing the template's). */
  terraformSettings?: Record<string, string>
  /** The resources of each client stack (default: two plain terraform_data). */
  resources?: (id: string) => Resources
}

export interface RealFleet {
  workspace: Workspace
  root: string
  ids: string[]
  stub: AwsStub
  cliConfig: string
  env: (extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv
  run: (args: string[], extra?: NodeJS.ProcessEnv, timeoutMs?: number) => Promise<CliResult>
  start: (args: string[], extra?: NodeJS.ProcessEnv, ownGroup?: boolean) => StartedCli
  stackDir: (id: string) => string
  localState: (id: string) => string
  /** Writes cdk.tf.json of a stack as synth would (its backend from seiketsu.yaml `state`), with these resources. */
  writeStack: (id: string, resources: Resources, extra?: Record<string, unknown>) => Promise<void>
  /** The backend block synth writes for a stack. */
  backendOf: (id: string) => StackBackend
  /** Rewrites seiketsu.yaml's `state` section (e.g. local → s3) and reads the workspace again. */
  setState: (stateYaml: string) => Promise<void>
  close: () => Promise<void>
}

/** The `state` section of seiketsu.yaml for a loopback S3 bucket, with its endpoint settings. */
export function s3StateYaml(loopback: S3Loopback, bucket: string, keyPrefix = 'clients/'): string {
  return `state:\n  backend: s3\n  bucket: ${bucket}\n  region: us-east-1\n  keyPrefix: ${keyPrefix}\n  endpoint: ${loopback.url}\n  usePathStyle: true\n\n`
}

/** The backend block of a stack, as SeiketsuStack writes it (src/stacks/constructs/stack.ts). */
function backendBlock(backend: StackBackend): Record<string, unknown> {
  return backend.kind === 'local'
    ? {local: {path: backend.path}}
    : {s3: {bucket: backend.bucket, encrypt: true, key: backend.key, region: backend.region, use_lockfile: true}}
}

export async function makeRealFleet(ids: string[], options: RealFleetOptions = {}): Promise<RealFleet> {
  const terraformBin = realTerraformPath()
  const s3 = options.s3
  const workspace = await makeWorkspace({
    clients: ids.map((id, index) => draftClient(id, {accountId: String(222_222_222_200 + index)})),
    configText: (text) => {
      let result = text.trimEnd()
      if (s3)
        result = result.replace(/^( {2}keyPrefix: .*)$/m, `$1\n  endpoint: ${s3.loopback.url}\n  usePathStyle: true`)
      for (const [key, value] of Object.entries(options.terraformSettings ?? {})) {
        const line = new RegExp(`^ {2}${key}: .*$`, 'm')
        result = line.test(result)
          ? result.replace(line, `  ${key}: ${value}`)
          : result.replace(/^terraform:\n/m, `terraform:\n  ${key}: ${value}\n`)
      }
      // A domain (provision refuses stacks without one); the workspace template may already set one.
      return /^domain: /m.test(result) ? `${result}\n` : `${result}\ndomain: clients.example.com\n`
    },
    settings: s3 ? {state: {backend: 's3', bucket: s3.bucket, keyPrefix: 'clients/', region: 'us-east-1'}} : {},
  })
  if (s3 && s3.createBucket !== false) s3.loopback.createBucket(s3.bucket, {versioning: true})
  const stub = await startAwsStub()
  const scratch = await makeTempDir('seiketsu-real-tf-')
  const cliConfig = await emptyCliConfig(scratch)
  const paths = workspacePaths(workspace.root)
  let current = workspace
  const stackDir = (id: string) => join(paths.out, 'stacks', id)
  const backendOf = (id: string) => stackBackend(current.config, id, {stackDir: stackDir(id), stateDir: paths.state})
  const setState = async (stateYaml: string) => {
    const text = await readFile(paths.config, 'utf8')
    const start = text.search(/^state:$/m)
    const body = text.indexOf('\n', start) + 1
    const end = body + text.slice(body).search(/^\S/m)
    await writeFile(paths.config, `${text.slice(0, start)}${stateYaml}${text.slice(end)}`)
    current = await loadWorkspace(workspace.root)
  }
  const writeStack = async (id: string, resources: Resources, extra: Record<string, unknown> = {}) => {
    await mkdir(stackDir(id), {recursive: true})
    const document = {
      terraform: {backend: backendBlock(backendOf(id))},
      resource: {terraform_data: resources},
      ...extra,
    }
    await writeFile(join(stackDir(id), 'cdk.tf.json'), `${JSON.stringify(document, null, 2)}\n`)
  }
  for (const id of ids) await writeStack(id, options.resources?.(id) ?? dataResources(2))
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    AWS_ACCESS_KEY_ID: 'AKIASTUBBASEKEY00000',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_STS: stub.url,
    AWS_REGION: 'us-east-1',
    AWS_SECRET_ACCESS_KEY: 'stub-base-secret',
    SEIKETSU_TERRAFORM_BIN: terraformBin,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_PLUGIN_CACHE_DIR: undefined,
    ...extra,
  })
  return {
    backendOf,
    cliConfig,
    close: () => stub.close(),
    env,
    ids,
    localState: (id) => join(paths.state, id, 'terraform.tfstate'),
    root: workspace.root,
    run: (args, extra, timeoutMs = 90_000) => runCli(args, {cwd: workspace.root, env: env(extra), timeoutMs}),
    setState,
    stackDir,
    start: (args, extra, ownGroup = false) => startCli(args, {cwd: workspace.root, env: env(extra), ownGroup}),
    stub,
    workspace,
    writeStack,
  }
}

/** The text of a stack's terraform.log. */
export async function terraformLog(fleet: RealFleet, id: string): Promise<string> {
  return readFile(join(fleet.stackDir(id), 'terraform.log'), 'utf8').catch(() => '')
}

/** Polls `check` until it holds (or fails the test after `timeoutMs`, naming what it waited for). */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
