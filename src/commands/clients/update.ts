import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {usageError} from '../../errors.ts'
import {describeIntegrations, updateClient, type IntegrationPatch} from '../../registry/changes.ts'
import {CLIENT_STATUSES, INTEGRATIONS, type ClientManifest, type IntegrationName} from '../../registry/manifest.ts'
import {parseAccountId, parseIntegrations, parseSetting} from '../../onboard/input.ts'

export interface ClientsUpdateResult {
  client: ClientManifest
  changed: {field: string; from: unknown; to: unknown}[]
  dryRun: boolean
}

export default class ClientsUpdate extends SeiketsuCommand<ClientsUpdateResult> {
  static override args = {id: Args.string({description: 'Client id (immutable).', required: true})}
  static override description = `Changes a client's name, contact email, tier, integrations, AWS account or status. The manifest is rewritten atomically under the registry lock and the change is appended to the audit trail.
Status moves one way: active ⇄ suspended → offboarding → offboarded.
--integrations replaces the set of enabled integrations (settings of integrations that stay on are kept unless --setting changes them).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-realty --tier gold',
    '<%= config.bin %> <%= command.id %> acme-realty --integrations elevenlabs,twilio,mls --setting mls.provider=bright',
    '<%= config.bin %> <%= command.id %> acme-realty --status suspended --json',
    '<%= config.bin %> <%= command.id %> acme-realty --account-id 123456789012',
  ]
  static exitCodes = exitCodeTable({
    0: 'changed (--dry-run: shown)',
    1: 'a runtime error, or another seiketsu process held the registry lock',
    2: 'an unknown client, an invalid value or status change; nothing was written',
  })
  static override flags = {
    'account-id': Flags.string({description: "The client's AWS account id, once it has one (12 digits)."}),
    'dry-run': Flags.boolean({default: false, description: 'Show the change without writing it.'}),
    email: Flags.string({description: 'New contact email.'}),
    integrations: Flags.string({
      description: `Enabled integrations, comma-separated (${INTEGRATIONS.join(', ')}), or "none".`,
    }),
    name: Flags.string({description: 'New display name.'}),
    setting: Flags.string({description: 'A non-secret integration setting, integration.key=value.', multiple: true}),
    status: Flags.option({description: 'New status.', options: CLIENT_STATUSES})(),
    tier: Flags.string({description: 'New tier.'}),
  }
  static override summary = 'Change a client in the registry.'

  async run(): Promise<ClientsUpdateResult> {
    const {args, flags} = await this.parse(ClientsUpdate)
    const workspace = await this.workspace(flags)
    const integrations =
      flags.integrations === undefined && !flags.setting
        ? undefined
        : this.integrationChanges(flags.integrations, flags.setting ?? [])
    const accountId = parseAccountId(flags['account-id'])
    if (accountId === null)
      throw usageError("--account-id: 'new' only means something at onboarding; give the account's 12-digit id", {
        code: 'INVALID_FLAG',
      })
    const changes = {
      accountId: accountId ?? undefined,
      email: flags.email,
      integrations,
      name: flags.name,
      status: flags.status,
      tier: flags.tier,
    }
    if (Object.values(changes).every((value) => value === undefined))
      throw this.missingInput(
        ['name', 'email', 'tier', 'integrations', 'setting', 'account-id', 'status'],
        'at least one change',
      )
    const {changed, client} = await updateClient(
      workspace,
      args.id,
      changes,
      {command: `clients update ${args.id}`},
      {dryRun: flags['dry-run']},
    )
    if (!this.jsonEnabled()) {
      if (changed.length === 0) this.log(`${args.id}: nothing to change.`)
      for (const {field, from, to} of changed) {
        const show = (value: unknown) =>
          field === 'integrations'
            ? describeIntegrations(value as ClientManifest['integrations'])
            : JSON.stringify(value)
        this.log(`${flags['dry-run'] ? 'would change' : 'changed'} ${field}: ${show(from)} → ${show(to)}`)
      }
    }
    return {changed, client, dryRun: flags['dry-run']}
  }

  /** --integrations names the full set that is on afterwards; --setting patches settings of integrations that are on. */
  private integrationChanges(
    list: string | undefined,
    settings: string[],
  ): Partial<Record<IntegrationName, IntegrationPatch>> {
    const patches: Partial<Record<IntegrationName, IntegrationPatch>> = {}
    if (list !== undefined) {
      const enabled = parseIntegrations(list.trim() === 'none' ? '' : list)
      for (const name of INTEGRATIONS) patches[name] = {enabled: Boolean(enabled[name])}
    }
    for (const pair of settings) {
      const {integration, key, value} = parseSetting(pair)
      patches[integration] = {...patches[integration], settings: {...patches[integration]?.settings, [key]: value}}
    }
    return patches
  }
}
