import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../base-command.ts'
import {ExitCode} from '../errors.ts'
import {loadRegistry} from '../registry/registry.ts'
import {planClients} from '../terraform/clients.ts'
import {fleetFlags} from '../terraform/flags.ts'
import type {PlanRun} from '../terraform/plan.ts'
import {renderPlanReport} from '../terraform/report.ts'
import {parseShard, selectShard, selectStacks, type Shard} from '../terraform/shard.ts'

export type PlanResult = PlanRun & {shard?: Shard; drifted?: string[]}

export default class Plan extends SeiketsuCommand<PlanResult> {
  static override args = {
    ids: Args.string({
      description:
        'Client ids, and `platform` for the management-account stack (default: every client not offboarded; with --drift every active one).',
    }),
  }
  static override description = `Synthesizes the selected clients' stacks, then for each: terraform init, plan -out=cdktf.out/stacks/<id>/plan.tfplan, show -json, then a summary of what would change. Destructive changes (a delete or replace of a database, bucket, key, cache, secret, log group, queue, topic or account) are marked in red with terraform's reason. The saved plans are what \`seiketsu provision\` applies.
A stack that another seiketsu plan or provision is working on fails at once (its saved plan is left alone). A stack whose certificate can never be validated (no domain in seiketsu.yaml) is planned with a warning: provision refuses it.
The first Ctrl-C (or SIGTERM) stops starting new stacks and lets running terraform stop gracefully (one SIGINT each); only a second Ctrl-C kills them, and then seiketsu asks terraform which states are still locked and says what to do (a local state: nothing; an S3 lock object: force-unlock -force ID).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> acme-realty harbor-homes --concurrency 2',
    '<%= config.bin %> <%= command.id %> --shard 2/4 --json',
    '<%= config.bin %> <%= command.id %> --drift --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'every stack planned (--detailed-exitcode: no changes)',
    1: 'a stack was in use by another plan or provision (--detailed-exitcode, --drift: any error)',
    2: 'every failed stack needs seiketsu state bootstrap or state migrate first, or a TF_* variable would make the result wrong (--detailed-exitcode: changes present; --drift: a stack drifted)',
    4: 'terraform failed for a stack (the others were still planned)',
    130: 'interrupted (Ctrl-C, SIGTERM)',
  })
  static override flags = {
    ...fleetFlags,
    'detailed-exitcode': Flags.boolean({
      default: false,
      description: "Exit like terraform's -detailed-exitcode: 0 no changes, 2 changes present, 1 any error.",
    }),
    synth: Flags.boolean({
      allowNo: true,
      default: true,
      description:
        'Synthesize the selected stacks first (as seiketsu synth does). --no-synth plans the stacks already in cdktf.out as they are, e.g. after reviewing their diff.',
    }),
    drift: Flags.boolean({
      default: false,
      description:
        'Drift check for scheduled jobs: plan every active client; exit 2 when any differs from its configuration.',
    }),
  }
  static override strict = false
  static override summary = 'Plan the selected clients with terraform and summarize the changes.'

  /**
   * With --detailed-exitcode (and --drift) exit 2 means "changes" (or "drift"): an error must not
   * look like one. Errors exit 1 there, as terraform's own -detailed-exitcode does.
   */
  protected override exitCodeFor(code: number): number {
    const detailed = this.argv.includes('--detailed-exitcode') || this.argv.includes('--drift')
    return detailed && code === ExitCode.Usage ? ExitCode.Failure : code
  }

  async run(): Promise<WithExitCode<PlanResult>> {
    const {argv, flags} = await this.parse(Plan)
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard)
    const workspace = await this.workspace(flags)
    const registry = await loadRegistry(workspace)
    const selected = selectStacks(registry, argv as string[], flags.drift ? ['active'] : undefined)
    const clients = shard ? selectShard(selected.clients, shard) : selected.clients
    const run = await planClients(workspace, clients, {
      concurrency: flags.concurrency,
      detailedExitcode: flags['detailed-exitcode'],
      drift: flags.drift,
      failFast: flags['fail-fast'],
      platform: (flags.platform || selected.platform) && (!shard || shard.index === 1),
      notify: (message) => this.logToStderr(message),
      progress: !this.jsonEnabled(),
      synth: flags.synth,
      terraformBin: flags['terraform-bin'],
    })
    if (!this.jsonEnabled()) this.log(renderPlanReport(run, {drift: flags.drift}))
    const drifted = run.clients.filter((client) => client.hasChanges).map((client) => client.id)
    return new WithExitCode({...run, ...(shard ? {shard} : {}), ...(flags.drift ? {drifted} : {})}, run.exitCode)
  }
}
