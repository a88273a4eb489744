import {Args} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {usageError} from '../../errors.ts'
import {trailHead} from '../../registry/audit-trail.ts'
import {workspacePaths} from '../../workspace/workspace.ts'
import {awsFlags, awsOptionsFrom} from '../../keys/aws-flags.ts'
import {
  checkSecretTarget,
  setIntegrationSecret,
  type ServiceSecretReadiness,
  type SetSecretResult,
} from '../../keys/integration-secrets.ts'
import {loadRegistry} from '../../registry/registry.ts'
import {promptPassword} from '../../ui/prompt.ts'
import {readStdinValue} from '../../ui/stdin.ts'

export type SecretsSetResult = SetSecretResult

export default class SecretsSet extends SeiketsuCommand<SecretsSetResult> {
  static override args = {
    client: Args.string({description: 'Client id.', required: true}),
    integration: Args.string({
      description: 'An enabled integration that holds credentials: elevenlabs, twilio or mls.',
      required: true,
    }),
  }
  static override description = `Puts a new value into the integration's Secrets Manager secret in the client's account (<platform>/<client>/<integration>): it becomes AWSCURRENT, the old value AWSPREVIOUS.
On a terminal the value is asked for with a hidden prompt; elsewhere it is read from stdin (all of it, one trailing newline removed). The value is never echoed, logged, recorded or printed, with or without --json.
The client's service starts only once every integration secret holds a value: the command says when this one was the last (and that seiketsu plan CLIENT && seiketsu provision CLIENT now starts it), or which secrets are still missing.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-realty elevenlabs',
    'printf %s "$TWILIO_AUTH" | <%= config.bin %> <%= command.id %> acme-realty twilio --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'the new value was put',
    2: 'not a secret integration of the client, an empty or too large value, or nothing piped on stdin; nothing was written',
    4: 'AWS failed',
  })
  static override flags = {...awsFlags}
  static override summary = "Set an integration's secret value."

  async run(): Promise<SecretsSetResult> {
    const {args, flags} = await this.parse(SecretsSet)
    const workspace = await this.workspace(flags)
    // Every change here is recorded: a broken trail stops it before anything changes.
    await trailHead(workspacePaths(workspace.root).auditTrail)
    const client = (await loadRegistry(workspace)).get(args.client)
    // Check the target before asking for a value, so nobody types a secret for nothing.
    const integration = checkSecretTarget(client, args.integration)
    const value = await this.readValue(`${client.id} ${integration}`)
    const result = await setIntegrationSecret(workspace, client, integration, value, {
      awsOptions: awsOptionsFrom(flags),
    })
    if (!this.jsonEnabled()) {
      this.log(`Put a new value into ${result.secretName} (${result.region}); the previous one is now AWSPREVIOUS.`)
      const next = result.readiness && readinessText(client.id, result.readiness)
      if (next) this.log(next)
    }
    return result
  }

  private async readValue(label: string): Promise<string> {
    if (this.isInteractive()) return promptPassword(`New ${label} secret`, {mask: false})
    if (this.terminal.stdinIsTerminal)
      throw usageError(
        `No ${label} value: pipe it on stdin (e.g. printf %s "$VALUE" | seiketsu secrets set …); seiketsu only prompts on a terminal without --json or CI`,
        {code: 'MISSING_INPUT'},
      )
    return readStdinValue()
  }
}

/** What the put means for the client's service: it can start now, or the secrets it still waits for. */
function readinessText(clientId: string, readiness: ServiceSecretReadiness): string | undefined {
  if (readiness.completed)
    return `Every integration secret of ${clientId} now holds a value: ${readiness.next} starts its service.`
  if (readiness.missing.length === 0) return undefined
  const lines = readiness.missing.map(
    (secret) =>
      `  ${secret.setCommand}${secret.state === 'missing' ? ` (its secret does not exist yet: seiketsu plan ${clientId} && seiketsu provision ${clientId} create it)` : ''}`,
  )
  return `${clientId}'s service starts once these secrets hold values too:\n${lines.join('\n')}`
}
