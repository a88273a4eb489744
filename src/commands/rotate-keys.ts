import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../base-command.ts'
import {trailHead} from '../registry/audit-trail.ts'
import {workspacePaths} from '../workspace/workspace.ts'
import {ExitCode, SeiketsuError} from '../errors.ts'
import {awsFlags, awsOptionsFrom} from '../keys/aws-flags.ts'
import {secretIntegrationsOf} from '../keys/integration-secrets.ts'
import {
  ROTATION_KINDS,
  rotateKeys,
  rotationFailure,
  rotationKinds,
  secretValueKey,
  type RotateKeysResult,
  type RotationKind,
} from '../keys/rotate-keys.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {loadRegistry} from '../registry/registry.ts'
import {promptConfirm, promptPassword} from '../ui/prompt.ts'
import {renderTable} from '../ui/table.ts'

export type RotateKeysCommandResult = RotateKeysResult

export default class RotateKeys extends SeiketsuCommand<RotateKeysCommandResult> {
  static override args = {ids: Args.string({description: 'Client ids (default: every client not offboarded).'})}
  static override description = `jwt: next key → current, current → retiring (kept for the longest token lifetime plus skew), expired keys removed, a fresh next key.
kms: automatic rotation on with keys.kmsRotationDays, an on-demand rotation with --now, the next rotation date.
secrets: new integration secret values, asked for on a terminal (in CI use seiketsu secrets set).
db: the RDS-managed master password rotated now.
AWS calls go to each client's account through the provisioner role. Every change is recorded in the audit trail. Asks for confirmation on a terminal; elsewhere pass --yes (or --dry-run).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --kind all --dry-run',
    '<%= config.bin %> <%= command.id %> acme-realty --kind jwt --kind kms --yes',
    '<%= config.bin %> <%= command.id %> --kind kms --now --yes --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'every rotation done (--dry-run: shown)',
    1: 'not confirmed: nothing was rotated',
    2: 'invalid input, or --yes is missing outside a terminal; nothing was rotated',
    4: 'AWS failed for a rotation (the others were still done); another failure ends with its own code',
  })
  static override flags = {
    ...awsFlags,
    'dry-run': Flags.boolean({default: false, description: 'Show what would change; change nothing.'}),
    kind: Flags.option({
      delimiter: ',',
      description: 'What to rotate (repeatable, or comma-separated).',
      multiple: true,
      options: [...ROTATION_KINDS, 'all'] as const,
      required: true,
    })(),
    now: Flags.boolean({
      default: false,
      description: 'Rotate KMS key material on demand, and promote a next JWT key without waiting for JWKS caches.',
    }),
    yes: Flags.boolean({char: 'y', default: false, description: 'Do not ask for confirmation (needed in CI).'}),
  }
  static override strict = false
  static override summary = 'Rotate JWT signing keys, KMS keys, integration secrets and DB credentials.'

  async run(): Promise<WithExitCode<RotateKeysCommandResult>> {
    const {argv, flags} = await this.parse(RotateKeys)
    const workspace = await this.workspace(flags)
    // Every change here is recorded: a broken trail stops it before anything changes.
    await trailHead(workspacePaths(workspace.root).auditTrail)
    const clients = (await loadRegistry(workspace)).select(argv as string[])
    const kinds = rotationKinds(flags.kind)
    if (!flags['dry-run']) await this.confirm(clients, kinds, flags.yes)
    const askValues = kinds.includes('secrets') && !flags['dry-run'] && this.isInteractive(flags.yes)
    const result = await rotateKeys(workspace, {
      aws: awsOptionsFrom(flags),
      clients,
      dryRun: flags['dry-run'],
      json: this.jsonEnabled(),
      kinds,
      now: flags.now,
      secretValues: askValues ? await this.askSecretValues(clients) : undefined,
    })
    if (!this.jsonEnabled()) {
      if (result.results.length === 0) this.log('No clients to rotate.')
      else
        this.log(
          renderTable(
            ['CLIENT', 'KIND', 'STATUS', 'DETAIL'],
            result.results.map((r) => [r.client, r.kind, r.status, r.summary]),
          ),
        )
      const counts = Object.entries(result.counts).filter(([, count]) => count > 0)
      if (counts.length > 0) this.log(`\n${counts.map(([status, count]) => `${count} ${status}`).join(', ')}`)
    }
    // Like plan and provision: the result document stays the output; the exit code says what failed.
    const failure = rotationFailure(result)
    if (failure) this.logToStderr(failure.message)
    return new WithExitCode(result, failure?.exitCode ?? ExitCode.Ok)
  }

  private async confirm(clients: readonly ClientManifest[], kinds: RotationKind[], yes: boolean): Promise<void> {
    if (yes || clients.length === 0) return
    if (!this.isInteractive())
      throw this.missingInput(['yes'], 'rotate-keys changes keys; --dry-run shows what it would do')
    const names = clients.length > 3 ? `${clients.length} clients` : clients.map((client) => client.id).join(', ')
    if (!(await promptConfirm(`Rotate ${kinds.join(', ')} of ${names}?`)))
      throw new SeiketsuError('Nothing was rotated: not confirmed.', ExitCode.Failure, {code: 'NOT_CONFIRMED'})
  }

  /** New values of the integration secrets, asked for one by one, hidden; an empty answer keeps a secret. */
  private async askSecretValues(clients: readonly ClientManifest[]): Promise<Map<string, string>> {
    const values = new Map<string, string>()
    for (const client of clients.filter((candidate) => candidate.accountId))
      for (const integration of secretIntegrationsOf(client)) {
        const value = await promptPassword(`New ${integration} secret of ${client.id} (empty: keep the current one)`, {
          mask: false,
        })
        if (value !== '') values.set(secretValueKey(client.id, integration), value)
      }
    return values
  }
}
