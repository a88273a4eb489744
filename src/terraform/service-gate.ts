import type {SeiketsuError} from '../errors.ts'
import {fleetSecretReadiness, secretIntegrationsOf, secretsSetCommand} from '../keys/secret-readiness.ts'
import type {KeyOperationOptions} from '../keys/signing-keys.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {SERVICE_ENABLED_VARIABLE} from '../stacks/model.ts'
import type {Workspace} from '../workspace/workspace.ts'

/** One thing a client's service waits for before it runs tasks, and how to give it. */
export interface ServiceWait {
  what: string
  fix: string
}

/**
 * Whether a client's service may run tasks, as `seiketsu plan` tells terraform (the stack's
 * `service_enabled` variable): only once the image is pinned by digest and every integration secret
 * holds a value. A task started earlier could not start at all (no image to pull, a secret ECS
 * cannot inject): the service waits with 0 tasks instead, and the operator is told what it waits for.
 */
export interface ServiceGate {
  client: string
  enabled: boolean
  waitingFor: ServiceWait[]
}

export interface ServiceGates {
  gates: Map<string, ServiceGate>
  /** Clients whose secrets could not be checked (AWS failed, exit 4): their plan cannot be trusted to gate. */
  errors: Map<string, SeiketsuError>
}

/** The terraform arguments that open or keep closed a stack's service gate. */
export function serviceGateArgs(gate: ServiceGate): string[] {
  return [`-var=${SERVICE_ENABLED_VARIABLE}=${gate.enabled}`]
}

/**
 * The gates of these clients. No AWS call while the workspace has no image digest (nothing could run
 * anyway) or for a client without integration secrets; otherwise one DescribeSecret per secret
 * through each client's provisioner role, several clients at once.
 */
export async function serviceGates(
  workspace: Workspace,
  clients: readonly ClientManifest[],
  options: KeyOperationOptions = {},
): Promise<ServiceGates> {
  const gates = new Map<string, ServiceGate>()
  const errors = new Map<string, SeiketsuError>()
  if (!workspace.config.image.digest) {
    for (const client of clients)
      gates.set(client.id, {
        client: client.id,
        enabled: false,
        waitingFor: [
          {
            fix: 'push the voice-agent image to the platform repository (output image_repository_url), then set image.digest in seiketsu.yaml',
            what: 'the image digest',
          },
        ],
      })
    return {errors, gates}
  }
  const withSecrets = clients.filter((client) => secretIntegrationsOf(client).length > 0)
  for (const client of clients.filter((candidate) => !withSecrets.includes(candidate)))
    gates.set(client.id, {client: client.id, enabled: true, waitingFor: []})
  if (withSecrets.length === 0) return {errors, gates}
  for (const entry of await fleetSecretReadiness(workspace, withSecrets, options)) {
    if (entry.error) {
      errors.set(entry.client, entry.error)
      continue
    }
    const waitingFor = entry.readiness.secrets
      .filter((secret) => secret.state !== 'set')
      .map((secret) => ({
        fix:
          secret.state === 'missing'
            ? `provision ${entry.client} (it creates the secret), then ${secretsSetCommand(entry.client, secret.integration)}`
            : secretsSetCommand(entry.client, secret.integration),
        what: `a value for the ${secret.integration} secret (${secret.secretName})`,
      }))
    gates.set(entry.client, {client: entry.client, enabled: waitingFor.length === 0, waitingFor})
  }
  return {errors, gates}
}
