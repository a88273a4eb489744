import {Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {usageError} from '../../errors.ts'
import {CLIENT_STATUSES, enabledIntegrations, type ClientManifest} from '../../registry/manifest.ts'
import {loadRegistry} from '../../registry/registry.ts'
import {renderTable} from '../../ui/table.ts'

export interface ClientsListResult {
  clients: ClientManifest[]
}

export default class ClientsList extends SeiketsuCommand<ClientsListResult> {
  static override description =
    'Every client of the registry with its tier, status, region, account and network; filter by tier or status.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --tier gold --status active',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'the clients were listed',
    2: 'an unknown tier, or an invalid registry',
  })
  static override flags = {
    status: Flags.option({description: 'Only clients with this status.', options: CLIENT_STATUSES})(),
    tier: Flags.string({description: 'Only clients of this tier.'}),
  }
  static override summary = 'List the clients in the registry.'

  async run(): Promise<ClientsListResult> {
    const {flags} = await this.parse(ClientsList)
    const workspace = await this.workspace(flags)
    const registry = await loadRegistry(workspace)
    if (flags.tier && !workspace.tiers[flags.tier])
      throw usageError(`--tier: unknown tier '${flags.tier}' (allowed: ${Object.keys(workspace.tiers).join(', ')})`)
    const clients = registry.clients.filter(
      (client) => (!flags.tier || client.tier === flags.tier) && (!flags.status || client.status === flags.status),
    )
    if (!this.jsonEnabled()) {
      if (clients.length === 0)
        this.log(registry.clients.length === 0 ? 'No clients yet: seiketsu onboard adds one.' : 'No client matches.')
      else
        this.log(
          renderTable(
            ['ID', 'NAME', 'TIER', 'STATUS', 'REGION', 'ACCOUNT', 'CIDR', 'INTEGRATIONS'],
            clients.map((client) => [
              client.id,
              client.name,
              client.tier,
              client.status,
              client.region,
              client.accountId ?? '(new)',
              client.cidr,
              enabledIntegrations(client).join(',') || '-',
            ]),
          ),
        )
    }
    return {clients: [...clients]}
  }
}
