import {relative, resolve} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../base-command.ts'
import {loadRegistry} from '../registry/registry.ts'
import {workspaceReadiness} from '../stacks/readiness.ts'
import type {SynthesizedStack} from '../stacks/synth.ts'
import {runTasks} from '../ui/tasks.ts'

const STACK_LABELS = {bootstrap: 'Bootstrap stack', client: 'Client', platform: 'Platform stack'} as const

export interface SynthResult {
  stacks: Pick<SynthesizedStack, 'client' | 'file' | 'id' | 'kind' | 'resources'>[]
  /** What the operator should know (clients without an AWS account yet). */
  warnings: string[]
}

export default class Synth extends SeiketsuCommand<SynthResult> {
  static override args = {
    ids: Args.string({description: 'Client ids (default: every client that is not offboarded).'}),
  }
  static override description = `Writes cdktf.out/stacks/<id>/cdk.tf.json for each selected client and cdktf.out/stacks/platform/cdk.tf.json (the management account: client accounts, platform roles, CloudTrail, state bucket, cost tags). Only the selected stacks are built; the output is byte-identical for the same workspace, and a stack whose content did not change is not rewritten.
A client without an AWS account yet (accountId: null) gets a stack that terraform refuses to plan until its account id is in the manifest; the platform stack creates that account.
Unknown ids or an invalid registry: exit 2, nothing written.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> acme-realty globex-homes',
    '<%= config.bin %> <%= command.id %> --out build/stacks --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'the selected stacks were synthesized',
    2: 'unknown ids, an invalid registry or an unwritable --out; nothing was written',
  })
  static override flags = {
    out: Flags.string({description: 'Folder to write the stacks to (default: cdktf.out in the workspace).'}),
  }
  static override strict = false
  static override summary = 'Synthesize the CDK-for-Terraform stacks of clients and of the platform.'

  async run(): Promise<SynthResult> {
    const {argv, flags} = await this.parse(Synth)
    const workspace = await this.workspace(flags)
    const registry = await loadRegistry(workspace)
    const clients = registry.select(argv as string[])
    // cdktf and the provider bindings are heavy: loaded only once there is something to build.
    const {prepareStacks} = await import('../stacks/synth.ts')
    const {close, concurrency, jobs, stacksDir} = await prepareStacks(workspace, clients, {
      allClients: registry.clients,
      outDir: flags.out === undefined ? undefined : resolve(flags.out),
    })
    const stacks: SynthesizedStack[] = []
    await runTasks(
      jobs.map((job, index) => ({
        task: async (_ctx: object, task: {title: string}) => {
          const stack = await job.run()
          stacks[index] = stack
          task.title = `${job.id}: ${stack.resources} resources`
        },
        title: `${STACK_LABELS[job.kind]} ${job.id}`,
      })),
      {concurrent: concurrency, json: this.jsonEnabled()},
    ).finally(close)
    if (jobs[0]) {
      const shown = relative(process.cwd(), stacksDir)
      this.log(
        `Synthesized ${stacks.length} stack${stacks.length === 1 ? '' : 's'} into ${shown.startsWith('..') ? stacksDir : shown || '.'}`,
      )
    }
    const pending = clients.filter((client) => client.accountId === null).map((client) => client.id)
    const warnings = [
      ...(pending.length === 0
        ? []
        : [
            `${pending.length === 1 ? 'Client' : `${pending.length} clients`} without an AWS account yet (${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', …' : ''}): terraform refuses their stacks until the platform stack has created the accounts and their ids are recorded (seiketsu clients update ID --account-id …).${workspace.config.accounts.rootEmailTemplate ? '' : ' The platform stack refuses to plan until seiketsu.yaml has accounts.rootEmailTemplate (a platform-owned root email for each account, e.g. aws+{client}@ops.example.com).'}`,
          ]),
      ...workspaceReadiness(workspace.config),
    ]
    return {
      stacks: stacks.map(({client, file, id, kind, resources}) => ({
        ...(client ? {client} : {}),
        file,
        id,
        kind,
        resources,
      })),
      warnings,
    }
  }
}
