import {join} from 'node:path'

import type {Workspace} from '../../src/workspace/workspace.ts'
import {runCli, type CliResult} from './cli.ts'
import {readInvocations, standinPath, writeClientStacks, type Invocation} from './terraform.ts'
import {draftClient, makeWorkspace} from './workspace.ts'

/** A workspace with these clients onboarded and their stacks synthesized (hand-written like synth's). */
export interface Fleet {
  workspace: Workspace
  root: string
  ids: string[]
  logFile: string
  /** Runs seiketsu in the workspace with the stand-in as terraform; `env` adds stand-in switches. */
  run: (args: string[], env?: NodeJS.ProcessEnv) => Promise<CliResult>
  env: (extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv
  invocations: () => Promise<Invocation[]>
}

const STANDIN_SWITCHES = [
  'TF_STANDIN_VERSION',
  'TF_STANDIN_FAIL_INIT',
  'TF_STANDIN_FAIL_PLAN',
  'TF_STANDIN_FAIL_APPLY',
  'TF_STANDIN_PLAN_MS',
  'TF_STANDIN_APPLY_MS',
  'TF_STANDIN_APPLY_GATE',
  'TF_STANDIN_REPLACE',
  'TF_STANDIN_DRIFT',
  'TF_STANDIN_STALE',
  'TF_STANDIN_SIGINT_MS',
  'TF_STANDIN_PLUGIN',
  'TF_STANDIN_DEFER',
]

/**
 * Every client has an AWS account id unless `withAccounts: false` (plan and provision skip clients
 * whose account the platform stack has not created yet). `domain` sets seiketsu.yaml's `domain`
 * (without it, synthesized stacks have certificates that provision refuses).
 */
export async function makeFleet(
  ids: string[],
  options: {withAccounts?: boolean; domain?: string} = {},
): Promise<Fleet> {
  const workspace = await makeWorkspace({
    clients: ids.map((id, index) =>
      draftClient(id, options.withAccounts === false ? {} : {accountId: String(222_222_222_200 + index)}),
    ),
    // No domain unless given: these tests plan the stand-in's stacks, some about the missing domain.
    settings: {domain: options.domain},
  })
  await writeClientStacks(workspace, ids)
  const logFile = join(workspace.root, 'standin.jsonl')
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...Object.fromEntries(STANDIN_SWITCHES.map((name) => [name, undefined])),
    SEIKETSU_TERRAFORM_BIN: standinPath,
    TF_PLUGIN_CACHE_DIR: undefined,
    TF_STANDIN_LOG: logFile,
    ...extra,
  })
  return {
    env,
    ids,
    invocations: () => readInvocations(logFile),
    logFile,
    root: workspace.root,
    run: (args, extra) => runCli(args, {cwd: workspace.root, env: env(extra)}),
    workspace,
  }
}

/** The invocations of one verb (init, plan, show, apply), optionally for one stack. */
export function invocationsOf(invocations: readonly Invocation[], verb: string, stack?: string): Invocation[] {
  return invocations.filter((invocation) => invocation.verb === verb && (!stack || invocation.stack === stack))
}
