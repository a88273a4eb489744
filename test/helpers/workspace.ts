import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {addClients, type ClientDraft} from '../../src/registry/changes.ts'
import {createWorkspace, type WorkspaceSettings} from '../../src/workspace/init.ts'
import {loadWorkspace, type Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir} from './cli.ts'

/** A workspace as an operator sets one up to deploy: a domain for the client APIs, an on-call address. */
export const DEFAULT_SETTINGS: WorkspaceSettings = {
  accountEmailTemplate: 'aws+{client}@seiketsu.example',
  alertsEmail: 'oncall@seiketsu.example',
  domain: 'clients.seiketsu.example',
  drRegion: 'us-west-2',
  managementAccountId: '111111111111',
  platform: 'seiketsu',
  region: 'us-east-1',
  state: {backend: 'local'},
}

/** A draft client with sensible defaults; override what the test is about. */
export function draftClient(id: string, overrides: Partial<ClientDraft> = {}): ClientDraft {
  return {
    accountId: null,
    email: `ops@${id}.example`,
    id,
    integrations: {elevenlabs: {enabled: true, settings: {voiceId: 'rachel'}}, twilio: {enabled: true, settings: {}}},
    name: `${id} Realty`,
    region: 'us-east-1',
    residency: 'us',
    tier: 'silver',
    ...overrides,
  }
}

/**
 * A fresh workspace in a temporary folder, with the given clients onboarded through the real
 * registry code. `configPatch` is appended to seiketsu.yaml text before loading (e.g. a tier override).
 */
export async function makeWorkspace(
  options: {clients?: ClientDraft[]; settings?: Partial<WorkspaceSettings>; configText?: (text: string) => string} = {},
): Promise<Workspace> {
  const dir = await makeTempDir()
  await createWorkspace(dir, {...DEFAULT_SETTINGS, ...options.settings})
  if (options.configText) {
    const {readFile} = await import('node:fs/promises')
    const file = join(dir, 'seiketsu.yaml')
    await writeFile(file, options.configText(await readFile(file, 'utf8')))
  }
  const workspace = await loadWorkspace(dir)
  if (options.clients?.length)
    await addClients(
      workspace,
      options.clients.map((draft) => ({draft, source: {file: 'test'}})),
      {command: 'test', now: new Date('2026-01-01T00:00:00.000Z')},
    )
  return workspace
}
