import {mkdir, readFile} from 'node:fs/promises'
import {resolve} from 'node:path'

import writeFileAtomic from 'write-file-atomic'

import {usageError} from '../errors.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {clientRuleProblems, fleetProblems, loadRegistry} from '../registry/registry.ts'
import {problemsError} from '../input/problems.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'
import {stackBackend} from './backend.ts'
import {stackBuilder} from './builders.ts'
import {
  buildBootstrapStackModel,
  buildClientStackModel,
  buildPlatformStackModel,
  type StackKind,
  type StackModel,
} from './model.ts'
import {stacksFolder, storedStack} from './store.ts'

export interface SynthesizedStack {
  id: string
  kind: StackKind
  /** The client a client or bootstrap stack belongs to. */
  client?: string
  dir: string
  file: string
  resources: number
}

export interface SynthesisOptions {
  /** Output folder (default: the workspace's cdktf.out). */
  outDir?: string
  /** Also build the platform stack (default true). */
  includePlatform?: boolean
  /** Also build the bootstrap stack of each selected client that has an account (default true). */
  includeBootstrap?: boolean
  /** The whole registry, for the platform stack (default: loaded from the workspace). */
  allClients?: readonly ClientManifest[]
}

/** One stack to build: validated and modelled, not built yet. `run()` builds it and writes its file. */
export interface StackJob {
  id: string
  kind: StackKind
  file: string
  run(): Promise<SynthesizedStack>
}

/**
 * Builds only the selected client stacks (+ the platform stack unless includePlatform is false),
 * writes <outDir>/stacks/<id>/cdk.tf.json deterministically, returns what was written. outDir
 * defaults to workspacePaths(ws.root).out (cdktf.out).
 */
export async function synthesizeStacks(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: SynthesisOptions = {},
): Promise<SynthesizedStack[]> {
  const {jobs, concurrency, close} = await prepareStacks(workspace, clients, options)
  const written: SynthesizedStack[] = []
  let next = 0
  try {
    await Promise.all(
      Array.from({length: concurrency}, async () => {
        while (next < jobs.length) {
          const index = next++
          written[index] = await jobs[index]!.run()
        }
      }),
    )
  } finally {
    await close()
  }
  return written
}

/** The stacks to build, how many may run at once, and what to call when done with them. */
export interface SynthesisPlan {
  jobs: StackJob[]
  /** The folder holding every stack folder (<outDir>/stacks). */
  stacksDir: string
  concurrency: number
  close(): Promise<void>
}

/**
 * Validates the selection and models every stack, and starts the builder (cdktf loads here, in this
 * thread or in worker threads); writes nothing. Bad input (an unknown tier, a region outside its
 * residency, duplicate ids or overlapping CIDRs) is exit 2. Call close() once the jobs are done.
 */
export async function prepareStacks(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: SynthesisOptions = {},
): Promise<SynthesisPlan> {
  const includePlatform = options.includePlatform ?? true
  const allClients = includePlatform ? (options.allClients ?? (await loadRegistry(workspace)).clients) : clients
  const problems = [...clients.flatMap((client) => clientRuleProblems(workspace, client)), ...fleetProblems(clients)]
  if (problems.length > 0)
    throw problemsError('Cannot synthesize these clients:', problems, ['Fix the manifests named above.'])
  const missing = includePlatform ? clients.filter((client) => !allClients.some((other) => other.id === client.id)) : []
  if (missing.length > 0)
    throw usageError(`allClients lacks the selected clients ${missing.map((client) => client.id).join(', ')}`)

  const paths = workspacePaths(workspace.root)
  const outDir = resolve(options.outDir ?? paths.out)
  // cdktf's App creates its outdir without parents, and each App checks for and creates outdir/stacks
  // (exists, then mkdir: two worker threads starting at once race on it): make the whole path first,
  // and say which folder failed.
  await mkdir(stacksFolder(outDir), {recursive: true}).catch((error: NodeJS.ErrnoException) => {
    throw usageError(`out ${options.outDir ?? outDir}: cannot create the folder (${error.code})`, {
      code: 'UNWRITABLE_OUTPUT',
      input: 'out',
    })
  })
  const {config, tiers} = workspace
  const models: StackModel[] = clients.flatMap((client): StackModel[] => [
    ...(options.includeBootstrap !== false && client.accountId ? [buildBootstrapStackModel(config, client)] : []),
    buildClientStackModel({client, config, tier: tiers[client.tier]!}),
  ])
  if (includePlatform) models.push(buildPlatformStackModel(config, allClients, tiers))

  const builder = await stackBuilder(models.length)
  const jobs = models.map((model): StackJob => {
    const {dir, file} = storedStack(outDir, model.id)
    const backend = stackBackend(workspace.config, model.id, {stackDir: dir, stateDir: paths.state})
    const client = model.kind === 'client' ? model.id : model.kind === 'bootstrap' ? model.clientId : undefined
    return {
      file,
      id: model.id,
      kind: model.kind,
      async run() {
        const {json, resources} = await builder.build(model, backend, outDir)
        await mkdir(dir, {recursive: true})
        await writeIfChanged(file, json)
        return {dir, file, id: model.id, kind: model.kind, resources, ...(client ? {client} : {})}
      },
    }
  })
  return {close: () => builder.close(), concurrency: builder.concurrency, jobs, stacksDir: stacksFolder(outDir)}
}

/**
 * Leaves an identical file untouched: its modification time tells `provision` whether a saved plan
 * is older than the stack it was made from.
 */
async function writeIfChanged(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current !== text) await writeFileAtomic(file, text, {fsync: false})
}
