import {Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {TERRAFORM_BIN_ENV} from '../../terraform/binary.ts'
import {bootstrapPlatformState} from '../../terraform/clients.ts'
import type {PlanSummary} from '../../terraform/plan-summary.ts'
import {renderBootstrapReport} from '../../terraform/report.ts'
import type {BootstrapResult} from '../../terraform/state-bootstrap.ts'
import {promptConfirm} from '../../ui/prompt.ts'

export type StateBootstrapResult = BootstrapResult

export default class StateBootstrap extends SeiketsuCommand<StateBootstrapResult> {
  static override description = `With state.backend: s3, every stack keeps its state in the state bucket, which the platform stack creates: until it exists, terraform cannot init any stack ("S3 bucket … does not exist"), and plan names this command. Bootstrap plans the platform stack on local state (.seiketsu/state/platform/), shows it and asks (--yes in CI), applies exactly that plan, then moves the platform state into the bucket it created with terraform init -migrate-state -force-copy and reads it back (lineage, serial and resource count must match). Idempotent: when the bucket already holds the platform state it does nothing; after a failure it resumes where it stopped.`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --yes --json']
  static exitCodes = exitCodeTable({
    0: 'bootstrapped (or already)',
    1: 'not confirmed, or the stack was in use',
    2: 'state.backend is not s3, or --yes is missing outside a terminal',
    3: "the platform's first plan is destructive",
    4: 'terraform failed or the moved state did not verify',
    130: 'interrupted (Ctrl-C, SIGTERM)',
  })
  static override flags = {
    'allow-destroy': Flags.string({
      description: 'Allow this destructive change of the platform stack (a resource address). Repeatable.',
      multiple: true,
    }),
    synth: Flags.boolean({
      allowNo: true,
      default: true,
      description: 'Synthesize the platform stack first (--no-synth: the one in cdktf.out as it is).',
    }),
    'terraform-bin': Flags.string({
      description: `terraform or OpenTofu binary (default: $${TERRAFORM_BIN_ENV}, then seiketsu.yaml terraform.binary).`,
    }),
    yes: Flags.boolean({
      char: 'y',
      default: false,
      description: 'Apply without asking (required when not on a terminal).',
    }),
  }
  static override summary =
    'Create the S3 state bucket with the platform stack on local state, then move that state into it.'

  async run(): Promise<StateBootstrapResult> {
    const {flags} = await this.parse(StateBootstrap)
    const workspace = await this.workspace(flags)
    const result = await bootstrapPlatformState(workspace, {
      allowDestroy: flags['allow-destroy'] ?? [],
      confirm: (summary) => this.confirm(summary, flags.yes),
      notify: (message) => this.logToStderr(message),
      synth: flags.synth,
      terraformBin: flags['terraform-bin'],
    })
    if (!this.jsonEnabled()) this.log(renderBootstrapReport(result))
    return result
  }

  private async confirm(summary: PlanSummary, yes: boolean): Promise<boolean> {
    if (yes) return true
    if (!this.isInteractive())
      throw this.missingInput(['yes'], 'bootstrap applies the platform stack only when confirmed')
    this.log(
      `The platform stack's first apply, on local state: +${summary.add} ~${summary.change} -/+${summary.replace} -${summary.destroy}`,
    )
    return promptConfirm('Apply it, then move its state into the new bucket?', false)
  }
}
