import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../../base-command.ts'
import {loadRegistry} from '../../registry/registry.ts'
import {migrateClients} from '../../terraform/clients.ts'
import {fleetFlags} from '../../terraform/flags.ts'
import {renderMigrationReport} from '../../terraform/report.ts'
import {parseShard, selectShard, selectStacks, type Shard} from '../../terraform/shard.ts'
import type {MigrationRun} from '../../terraform/state-migration.ts'

export type StateMigrateResult = MigrationRun & {shard?: Shard}

export default class StateMigrate extends SeiketsuCommand<StateMigrateResult> {
  static override args = {
    ids: Args.string({
      description:
        'Client ids, and `platform` for the management-account stack (default: every client not offboarded).',
    }),
  }
  static override description = `After seiketsu.yaml \`state\` changed (local → s3, another bucket, key prefix, region or endpoint), terraform refuses to init each stack ("Backend configuration changed") and plan names this command. For each selected stack it reads the state where it was, checks the new place is empty (or already holds this very state), runs terraform init -migrate-state -force-copy, and reads the state back through the new backend: lineage, serial and resource count must be the same. Another state already at the new place is refused (exit 2) and nothing is overwritten; an old local state file is renamed *.migrated once verified.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> acme-realty --json',
    '<%= config.bin %> <%= command.id %> --platform --no-synth',
  ]
  static exitCodes = exitCodeTable({
    0: 'every stack migrated (or had nothing to move)',
    1: 'a stack was in use by another plan or provision',
    2: 'a stack was refused (another state at the destination; the state bucket does not exist yet: seiketsu state bootstrap)',
    4: 'terraform failed or a copy did not verify',
    130: 'interrupted (Ctrl-C, SIGTERM)',
  })
  static override flags = {
    ...fleetFlags,
    synth: Flags.boolean({
      allowNo: true,
      default: true,
      description:
        'Synthesize the selected stacks first, so their backend blocks are the new ones (--no-synth: as they are).',
    }),
  }
  static override strict = false
  static override summary = "Move each stack's terraform state to the backend seiketsu.yaml now names, and verify it."

  async run(): Promise<WithExitCode<StateMigrateResult>> {
    const {argv, flags} = await this.parse(StateMigrate)
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard)
    const workspace = await this.workspace(flags)
    const selected = selectStacks(await loadRegistry(workspace), argv as string[])
    const run = await migrateClients(workspace, shard ? selectShard(selected.clients, shard) : selected.clients, {
      concurrency: flags.concurrency,
      failFast: flags['fail-fast'],
      notify: (message) => this.logToStderr(message),
      platform: (flags.platform || selected.platform) && (!shard || shard.index === 1),
      progress: !this.jsonEnabled(),
      synth: flags.synth,
      terraformBin: flags['terraform-bin'],
    })
    if (!this.jsonEnabled()) this.log(renderMigrationReport(run))
    return new WithExitCode({...run, ...(shard ? {shard} : {})}, run.exitCode)
  }
}
