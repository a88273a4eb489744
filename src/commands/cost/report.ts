import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../../base-command.ts'
import {COST_METRICS, GROUP_BYS, previousMonth} from '../../cost/cost-explorer.ts'
import {monthlyCostReport} from '../../cost/monthly-report.ts'
import {OUTPUT_FORMATS, reportCsv, reportTable} from '../../cost/render.ts'
import type {CostReport} from '../../cost/report.ts'
import {ExitCode} from '../../errors.ts'

export type CostReportResult = CostReport

export default class CostReportCommand extends SeiketsuCommand<CostReportResult> {
  static override args = {
    ids: Args.string({description: 'Client ids (default: every client that is not offboarded).'}),
  }
  static override description = `Asks Cost Explorer (GetCostAndUsage, monthly, grouped by linked account or by the seiketsu:client tag, every page) from the management account, maps the costs to clients through the registry, lists accounts or tags no client owns as unallocated, and compares each client with its tier's budget. Amounts are summed exactly; --json and CSV carry them as exact decimal strings.
Each Cost Explorer request costs $0.01: the report says how many it made, --max-attempts bounds the retries of each page, and a final month is cached under .seiketsu/cache/ so asking again costs nothing (--refresh asks again). Credentials come from the standard AWS chain (--profile, AWS_PROFILE, environment, SSO…); --endpoint-url or AWS_ENDPOINT_URL_COST_EXPLORER points it elsewhere.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --month 2026-08',
    '<%= config.bin %> <%= command.id %> --month 2026-08 --group-by tag --format csv',
    '<%= config.bin %> <%= command.id %> acme-realty --month 2026-08 --metric AmortizedCost --json',
    '<%= config.bin %> <%= command.id %> --fail-over-budget --profile payer',
  ]
  static exitCodes = exitCodeTable({
    0: 'reported',
    3: '--fail-over-budget: a client is over its budget (the report is still printed)',
    4: 'Cost Explorer failed',
  })
  static override flags = {
    'endpoint-url': Flags.string({
      description: 'Cost Explorer endpoint (default: AWS_ENDPOINT_URL_COST_EXPLORER or AWS).',
    }),
    'fail-over-budget': Flags.boolean({default: false, description: 'Exit 3 when a client is over its budget.'}),
    format: Flags.option({default: 'table', description: 'Output format.', options: OUTPUT_FORMATS})(),
    'group-by': Flags.option({
      default: 'account',
      description: 'Map costs to clients by linked account or by the seiketsu:client cost-allocation tag.',
      options: GROUP_BYS,
    })(),
    'max-attempts': Flags.integer({
      default: 2,
      description: 'Attempts per page, retries included (each attempt is a billed request).',
      max: 5,
      min: 1,
    }),
    metric: Flags.option({default: 'UnblendedCost', description: 'Cost metric.', options: COST_METRICS})(),
    month: Flags.string({description: 'The month, YYYY-MM (default: last month).'}),
    profile: Flags.string({description: 'AWS profile of the management (payer) account.'}),
    refresh: Flags.boolean({default: false, description: 'Ask Cost Explorer even when the month is cached.'}),
  }
  static override strict = false
  static override summary = 'Report what each client cost in a month (Cost Explorer).'

  async run(): Promise<WithExitCode<CostReportResult>> {
    const {argv, flags} = await this.parse(CostReportCommand)
    const workspace = await this.workspace(flags)
    const now = new Date()
    const report = await monthlyCostReport(workspace, {
      endpointUrl: flags['endpoint-url'],
      groupBy: flags['group-by'],
      ids: argv as string[],
      maxAttempts: flags['max-attempts'],
      metric: flags.metric,
      month: flags.month ?? previousMonth(now),
      now,
      profile: flags.profile,
      refresh: flags.refresh,
    })
    if (!this.jsonEnabled()) {
      if (flags.format === 'json') this.log(JSON.stringify(report, null, 2))
      else if (flags.format === 'csv') this.log(reportCsv(report))
      else this.log(reportTable(report))
    }
    const over = flags['fail-over-budget'] ? report.clients.filter((client) => client.overBudget) : []
    if (over.length > 0)
      this.logToStderr(
        `Over budget: ${over.map((client) => `${client.id} (${client.amount} > ${client.budget})`).join(', ')}`,
      )
    return new WithExitCode(report, over.length > 0 ? ExitCode.Policy : ExitCode.Ok)
  }
}
