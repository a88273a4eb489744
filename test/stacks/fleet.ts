import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import type {WorkspaceSettings} from '../../src/workspace/init.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'

/**
 * The fleet most stack tests synthesize: one client per shipped tier, in two residencies, with
 * different integrations, and one client still waiting for its AWS account.
 */
export const FLEET = {
  bronze: 'bayview',
  enterprise: 'dunmore',
  gold: 'cascade',
  silver: 'acme',
} as const

export async function makeFleetWorkspace(settings: Partial<WorkspaceSettings> = {}): Promise<Workspace> {
  return makeWorkspace({
    settings,
    clients: [
      draftClient('acme', {accountId: '222222222222', tier: 'silver'}),
      draftClient('bayview', {
        accountId: '333333333333',
        integrations: {crm: {enabled: true, settings: {}}, mls: {enabled: true, settings: {board: 'crmls'}}},
        tier: 'bronze',
      }),
      draftClient('cascade', {accountId: '444444444444', tier: 'gold'}),
      draftClient('dunmore', {accountId: null, region: 'eu-west-1', residency: 'eu', tier: 'enterprise'}),
    ],
  })
}

/** What a workspace ready for production sets: a domain, an on-call address, the image digest. */
export const DEPLOYABLE_SETTINGS = {
  alertsEmail: 'oncall@seiketsu.example',
  domain: 'clients.seiketsu.example',
  imageDigest: `sha256:${'ab'.repeat(32)}`,
} as const satisfies Partial<WorkspaceSettings>

/** Terraform state in S3, as teams keep it. */
export const S3_STATE = {
  backend: 's3',
  bucket: 'seiketsu-tf-state',
  keyPrefix: 'clients/',
  region: 'us-east-1',
} as const satisfies WorkspaceSettings['state']
