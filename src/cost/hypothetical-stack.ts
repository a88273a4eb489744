import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {allocateCidr} from '../cidr.ts'
import type {TerraformJson} from '../configuration/model.ts'
import {SECRET_INTEGRATIONS, type ClientManifest} from '../registry/manifest.ts'
import {readStackDocument} from '../stacks/store.ts'
import type {Workspace} from '../workspace/workspace.ts'

export interface HypotheticalClient {
  id: string
  tier: string
  region: string
  drRegion: string
  residency: string
}

/** The integrations a quoted client is assumed to use: every one that holds credentials (a secret each). */
export const HYPOTHETICAL_INTEGRATIONS = SECRET_INTEGRATIONS

/** The manifest of a client that does not exist: no account yet, the first network block of the pools. */
export function hypotheticalManifest(
  workspace: Workspace,
  client: HypotheticalClient,
  now = new Date(),
): ClientManifest {
  const {pools, prefixLength} = workspace.config.network
  return {
    accountId: null,
    cidr: allocateCidr(pools, prefixLength, []) ?? `10.0.0.0/${prefixLength}`,
    createdAt: now.toISOString(),
    drRegion: client.drRegion,
    email: `sales@${client.id}.example`,
    id: client.id,
    integrations: Object.fromEntries(
      HYPOTHETICAL_INTEGRATIONS.map((name) => [name, {enabled: true, settings: {}}]),
    ) as ClientManifest['integrations'],
    name: `A new ${client.tier} client`,
    region: client.region,
    residency: client.residency,
    status: 'active',
    tier: client.tier,
    updatedAt: now.toISOString(),
  }
}

/**
 * The Terraform JSON of a client that does not exist yet, synthesized by the same stack code as a
 * real client (`synthesizeStacks`) into a temporary folder that is removed afterwards: the
 * workspace's cdktf.out is not touched.
 */
export async function synthesizeHypotheticalStack(
  workspace: Workspace,
  client: HypotheticalClient,
): Promise<TerraformJson> {
  const {synthesizeStacks} = await import('../stacks/synth.ts')
  const outDir = await mkdtemp(join(tmpdir(), 'seiketsu-estimate-'))
  try {
    const [stack] = await synthesizeStacks(workspace, [hypotheticalManifest(workspace, client)], {
      includePlatform: false,
      outDir,
    })
    return (await readStackDocument(stack!)) as TerraformJson
  } finally {
    await rm(outDir, {force: true, recursive: true})
  }
}
