import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {estimateClients, estimateTier, type ClientCostEstimate} from '../../cost/client-estimate.ts'
import {estimateCsv, estimateTable, OUTPUT_FORMATS} from '../../cost/render.ts'
import {usageError} from '../../errors.ts'
import {loadRegistry} from '../../registry/registry.ts'

export interface CostEstimateResult {
  currency: 'USD'
  clients: ClientCostEstimate[]
}

export default class CostEstimate extends SeiketsuCommand<CostEstimateResult> {
  static override args = {
    ids: Args.string({description: 'Client ids (default: every client that is not offboarded).'}),
  }
  static override description = `Prices each client's synthesized stack (cdktf.out/stacks/<id>/cdk.tf.json) with the price table of its region (templates/prices/<region>.yaml, or prices/<region>.yaml in the workspace) and the usage assumptions of its tier (templates/prices/usage.yaml): NAT gateways and their Elastic IPs, load balancer, Fargate tasks, RDS instances, storage and replicas, cache nodes, KMS keys, secrets, logs and buckets. Compared with the tier's budget and price. Offline: no AWS call. A missing stack, or one older than the client's manifest or seiketsu.yaml, is synthesized first.
With --tier and no client: what a new client of that tier would cost (synthesized in a temporary folder). Amounts in --json and CSV are exact decimal strings; tables round to cents.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> acme-realty --format csv',
    '<%= config.bin %> <%= command.id %> --tier gold --region eu-west-1',
    '<%= config.bin %> <%= command.id %> --tier silver --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'estimated',
    2: 'an unknown client or tier, a missing price table or price, or a stack that cannot be priced',
  })
  static override flags = {
    format: Flags.option({default: 'table', description: 'Output format.', options: OUTPUT_FORMATS})(),
    region: Flags.string({description: 'Region of the hypothetical client of --tier (default: the workspace region).'}),
    tier: Flags.string({description: 'Estimate a new client of this tier instead of existing clients.'}),
  }
  static override strict = false
  static override summary = "Estimate a client's monthly AWS cost before it exists."

  async run(): Promise<CostEstimateResult> {
    const {argv, flags} = await this.parse(CostEstimate)
    const ids = argv as string[]
    const workspace = await this.workspace(flags)
    if (flags.tier && ids.length > 0) throw usageError('Pass client ids or --tier, not both')
    if (flags.region && !flags.tier) throw usageError('--region applies to --tier (a client has its own region)')
    const clients = flags.tier
      ? [await estimateTier(workspace, flags.tier, {region: flags.region})]
      : await estimateClients(workspace, (await loadRegistry(workspace)).select(ids))
    const result: CostEstimateResult = {clients, currency: 'USD'}
    if (!this.jsonEnabled()) {
      if (flags.format === 'json') this.log(JSON.stringify(result, null, 2))
      else if (flags.format === 'csv') this.log(estimateCsv(clients))
      else if (clients.length === 0) this.log('No clients yet: seiketsu onboard adds one, --tier T estimates one.')
      else this.log(clients.map((estimate) => estimateTable(estimate)).join('\n\n'))
    }
    return result
  }
}
