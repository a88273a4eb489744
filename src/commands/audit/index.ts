import {Args, Flags} from '@oclif/core'

import {auditWorkspace} from '../../audit/audit.ts'
import {FORMATS, jsonReport, parseOutputs, renderReport, writeOutputs} from '../../audit/outputs.ts'
import {SEVERITIES, type AuditReport} from '../../audit/types.ts'
import {exitCodeTable, SeiketsuCommand, WithExitCode, type BaseFlags} from '../../base-command.ts'
import {ExitCode, isSeiketsuError} from '../../errors.ts'
import type {Workspace} from '../../workspace/workspace.ts'

export type AuditResult = Omit<AuditReport, 'checks'> & {outputs: {format: string; file: string}[]}

export default class Audit extends SeiketsuCommand<AuditResult> {
  static override args = {
    ids: Args.string({
      description: 'Client ids whose synthesized stacks to audit (default: every client and the platform stack).',
    }),
  }
  static override description = `Checks the synthesized stacks (cdktf.out/stacks/<id>/cdk.tf.json), any Terraform (--path: *.tf.json and *.tf) and plans (--plan-json: terraform show -json) against seiketsu's security policy: every item of the per-client baseline, the common checks of Checkov and Trivy for these resources, and isolation across the fleet (overlapping CIDRs, shared accounts, one client naming another).

Findings at or above --fail-on (default low) exit 3 unless audit-exceptions.yaml accepts them (rule, client, resource, reason, expires); suppressed findings stay in the report. Unreadable or malformed input exits 2 naming the file and line. \`seiketsu audit rules\` lists the rules.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> acme-realty --fail-on high',
    '<%= config.bin %> <%= command.id %> --output sarif=audit.sarif --output junit=audit.xml',
    '<%= config.bin %> <%= command.id %> --path infra/ --plan-json plan.json --format json',
  ]
  static exitCodes = exitCodeTable({
    0: 'no unsuppressed finding at or above --fail-on',
    2: 'unreadable or malformed input (the file and line are named)',
    3: 'an unsuppressed finding at or above --fail-on',
  })
  static override flags = {
    'fail-on': Flags.option({
      default: 'low',
      description: 'Exit 3 when an unsuppressed finding is at or above this severity.',
      options: SEVERITIES,
    })(),
    format: Flags.option({
      default: 'table',
      description: 'What to print (or write to a bare --output FILE).',
      options: FORMATS,
    })(),
    'out-dir': Flags.string({description: 'Where synth wrote the stacks (default: <workspace>/cdktf.out).'}),
    output: Flags.string({
      description:
        'Also write a report: FORMAT=FILE (sarif=audit.sarif, junit=audit.xml, json=…, table=…), or FILE in --format. Repeatable.',
      multiple: true,
    }),
    path: Flags.string({
      description: 'A Terraform file or folder (*.tf.json, *.tf) to audit. Repeatable.',
      multiple: true,
    }),
    'plan-json': Flags.string({
      description: 'The output of `terraform show -json PLAN` to audit. Repeatable.',
      multiple: true,
    }),
  }
  static override strict = false
  static override summary = 'Audit stacks and Terraform against the security policy.'

  async run(): Promise<WithExitCode<AuditResult>> {
    const {argv, flags} = await this.parse(Audit)
    const ids = argv as string[]
    const external = Boolean(flags.path?.length || flags['plan-json']?.length)
    const workspace = await this.optionalWorkspace(flags, external && ids.length === 0)
    const cwd = process.cwd()
    const report = await auditWorkspace(workspace, {
      cwd,
      failOn: flags['fail-on'],
      ids,
      outDir: flags['out-dir'],
      paths: flags.path,
      planJson: flags['plan-json'],
    })
    const bareFile = flags.output?.some((value) => !/^[a-z]+=/.test(value)) ?? false
    const targets = parseOutputs(flags.output ?? [], flags.format)
    const version = this.config.version
    // SARIF locations are relative to the workspace root (the repository), wherever the command ran.
    const root = workspace?.root ?? cwd
    await writeOutputs(report, targets, {cwd, root, version})
    for (const entry of report.suppressions.expired)
      this.warn(
        `audit-exceptions.yaml${entry.line ? `:${entry.line}` : ''}: the exception for ${entry.rule} on ${entry.client} ${entry.resource} expired ${entry.expires}; its findings count again`,
      )
    if (!this.jsonEnabled()) {
      const screen = bareFile ? 'table' : flags.format
      const color = screen === 'table' && this.terminal.color
      this.log(renderReport(report, screen, {color, paths: {cwd, root}, version}).replace(/\n$/, ''))
      for (const target of targets) this.logToStderr(`Wrote ${target.format} report to ${target.file}`)
    }
    return new WithExitCode({...jsonReport(report), outputs: targets}, report.passed ? ExitCode.Ok : ExitCode.Policy)
  }

  /** The workspace, or none when only --path / --plan-json are audited outside one. */
  private async optionalWorkspace(flags: BaseFlags, optional: boolean): Promise<Workspace | undefined> {
    try {
      return await this.workspace(flags)
    } catch (error) {
      if (optional && !flags.workspace && isSeiketsuError(error) && error.code === 'NO_WORKSPACE') return undefined
      throw error
    }
  }
}
