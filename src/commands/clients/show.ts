import {Args} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {INTEGRATION_LABELS, INTEGRATIONS, type ClientManifest} from '../../registry/manifest.ts'
import {loadRegistry} from '../../registry/registry.ts'
import {describeTier} from '../../tiers/tiers.ts'

export interface ClientsShowResult {
  client: ClientManifest
}

export default class ClientsShow extends SeiketsuCommand<ClientsShowResult> {
  static override args = {id: Args.string({description: 'Client id.', required: true})}
  static override description =
    'Everything the registry knows about one client: contact, tier, placement, network and integrations (never secret values).'
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-realty',
    '<%= config.bin %> <%= command.id %> acme-realty --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'the client was shown',
    2: 'an unknown client, or an invalid registry',
  })
  static override summary = 'Show one client.'

  async run(): Promise<ClientsShowResult> {
    const {args, flags} = await this.parse(ClientsShow)
    const workspace = await this.workspace(flags)
    const client = (await loadRegistry(workspace)).get(args.id)
    if (!this.jsonEnabled()) {
      const tier = workspace.tiers[client.tier]
      const rows: [string, string][] = [
        ['id', client.id],
        ['name', client.name],
        ['email', client.email],
        ['status', client.status],
        ['tier', tier ? describeTier(tier) : client.tier],
        ['residency', client.residency],
        ['region', `${client.region} (DR ${client.drRegion})`],
        ['account', client.accountId ?? 'none yet: the platform stack creates it'],
        ['network', client.cidr],
        ...INTEGRATIONS.map((name): [string, string] => {
          const integration = client.integrations[name]
          const settings = Object.entries(integration?.settings ?? {})
            .map(([key, value]) => `${key}=${value}`)
            .join(' ')
          return [INTEGRATION_LABELS[name], integration?.enabled ? `on ${settings}`.trim() : 'off']
        }),
        ['created', client.createdAt],
        ['updated', client.updatedAt],
      ]
      const width = Math.max(...rows.map(([label]) => label.length))
      for (const [label, value] of rows) this.log(`${label.padEnd(width)}  ${value}`)
    }
    return {client}
  }
}
