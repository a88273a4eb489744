import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../base-command.ts'
import {loadRegistry} from '../registry/registry.ts'
import {provisionClients} from '../terraform/clients.ts'
import {fleetFlags} from '../terraform/flags.ts'
import type {ProvisionCandidate, ProvisionRun} from '../terraform/provision.ts'
import {renderPendingChanges, renderProvisionReport} from '../terraform/report.ts'
import {parseShard, selectShard, selectStacks, type Shard} from '../terraform/shard.ts'
import {promptConfirm} from '../ui/prompt.ts'

export type ProvisionResult = ProvisionRun & {shard?: Shard}

export default class Provision extends SeiketsuCommand<ProvisionResult> {
  static override args = {
    ids: Args.string({
      description:
        'Client ids, and `platform` for the management-account stack (default: every client not offboarded).',
    }),
  }
  static override description = `Applies exactly the plans \`seiketsu plan\` saved and you reviewed: terraform apply -input=false <planfile> per client, never a fresh plan. It locks each selected stack until its apply ends (a stack that another plan or provision holds is exit 1, nothing applied) and applies its own checked copy of each plan. A missing plan, one older than its stack, one made by another terraform version, or one whose state moved on (another lineage or serial) is exit 2 (plan again) and nothing is applied; so is a stack whose certificate can never be validated (set domain in seiketsu.yaml).
A plan that deletes or replaces a stateful resource (database, bucket, key, cache, secret, log group, queue, topic, account) blocks that client (exit 3, nothing applied for it) unless --allow-destroy names each such address.
On a terminal it lists the changes and asks; elsewhere it needs --yes (exit 2 otherwise, nothing applied).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-realty',
    '<%= config.bin %> <%= command.id %> --yes --json',
    '<%= config.bin %> <%= command.id %> acme-realty --allow-destroy acme-realty:aws_kms_key.client --yes',
  ]
  static exitCodes = exitCodeTable({
    0: 'applied',
    1: 'a client was in use by another plan or provision, or the apply was not confirmed',
    2: 'no applicable saved plan (plan again), or --yes is missing outside a terminal; nothing was applied',
    3: 'a client was blocked by a destructive change not allowed (the others were applied)',
    4: 'terraform failed for a client (the others were still applied)',
    130: 'interrupted (Ctrl-C, SIGTERM)',
  })
  static override flags = {
    ...fleetFlags,
    'allow-destroy': Flags.string({
      description:
        'Allow this destructive change: a resource address (every selected client) or CLIENT:ADDRESS (one client). Repeatable.',
      multiple: true,
    }),
    yes: Flags.boolean({
      char: 'y',
      default: false,
      description: 'Apply without asking (required when not on a terminal).',
    }),
  }
  static override strict = false
  static override summary = 'Apply the saved, reviewed plans of the selected clients.'

  async run(): Promise<WithExitCode<ProvisionResult>> {
    const {argv, flags} = await this.parse(Provision)
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard)
    const workspace = await this.workspace(flags)
    const selected = selectStacks(await loadRegistry(workspace), argv as string[])
    const run = await provisionClients(workspace, shard ? selectShard(selected.clients, shard) : selected.clients, {
      allowDestroy: flags['allow-destroy'] ?? [],
      concurrency: flags.concurrency,
      confirm: (candidates) => this.confirm(candidates, flags.yes),
      failFast: flags['fail-fast'],
      platform: (flags.platform || selected.platform) && (!shard || shard.index === 1),
      notify: (message) => this.logToStderr(message),
      progress: !this.jsonEnabled(),
      terraformBin: flags['terraform-bin'],
    })
    if (!this.jsonEnabled()) this.log(renderProvisionReport(run))
    return new WithExitCode({...run, ...(shard ? {shard} : {})}, run.exitCode)
  }

  /** Nothing to apply needs no answer; --yes is the answer; otherwise ask on a terminal or refuse. */
  private async confirm(candidates: readonly ProvisionCandidate[], yes: boolean): Promise<boolean> {
    const applicable = candidates.filter(
      (candidate) => candidate.record.changes && candidate.guard.blocked.length === 0,
    )
    if (applicable.length === 0 || yes) return true
    if (!this.isInteractive()) throw this.missingInput(['yes'], 'provision applies changes only when confirmed')
    this.log(renderPendingChanges(candidates))
    return promptConfirm(`Apply these plans to ${applicable.length} client(s)?`, false)
  }
}
