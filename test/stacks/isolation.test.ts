import {readFile} from 'node:fs/promises'

import {expect} from 'chai'

import {CLIENT_ROLES} from '../../src/naming.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {ELB_LOG_DELIVERY_ACCOUNTS} from '../../src/stacks/model.ts'
import {synthesizeStacks, type SynthesizedStack} from '../../src/stacks/synth.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {readStack, stringsIn, type StackDocument} from './helpers.ts'

/** Attributes that name a resource in AWS (as opposed to wiring or settings). */
const NAME_ATTRIBUTES = new Set([
  'alarm_name',
  'bucket',
  'domain_name',
  'final_snapshot_identifier',
  'identifier',
  'name',
  'replication_group_id',
])

function namesIn(doc: StackDocument): Set<string> {
  const names = new Set<string>()
  for (const [type, byName] of Object.entries(doc.resource))
    // An inline policy's name is the name of one policy of its role, not a name in the account.
    for (const config of type === 'aws_iam_role_policy' ? [] : Object.values(byName))
      for (const [key, value] of Object.entries(config)) {
        const naming = NAME_ATTRIBUTES.has(key) || (type === 'aws_ecs_task_definition' && key === 'family')
        if (naming && typeof value === 'string' && !value.startsWith('${')) names.add(value)
      }
  return names
}

function arnsIn(doc: StackDocument): Set<string> {
  const arns = new Set<string>()
  for (const text of stringsIn(doc)) for (const match of text.matchAll(/arn:aws:[^"\s,\]}]+/g)) arns.add(match[0])
  return arns
}

const intersection = (a: Set<string>, b: Set<string>) => [...a].filter((item) => b.has(item))

describe('client isolation', () => {
  let workspace: Workspace
  let stacks: SynthesizedStack[]
  let north: StackDocument
  let south: StackDocument

  // Recognisable values in every input a manifest has: settings of every integration, the name.
  // (Values shaped like real credentials, e.g. sk_live_…, are refused by the registry before synth:
  // test/registry/registry.test.ts.)
  const FAKE_SECRETS = ['FAKE4n0rth51c5ecret', 'AC00FAKE5ecret0twilio', 'FAKE-mls-pass-7731', 'FAKE-crm-token-1']

  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('northwind', {
          accountId: '222222222222',
          integrations: {
            calendar: {enabled: true, settings: {calendarId: FAKE_SECRETS[3]!}},
            crm: {enabled: true, settings: {instance: FAKE_SECRETS[3]!}},
            elevenlabs: {enabled: true, settings: {voiceId: FAKE_SECRETS[0]!}},
            mls: {enabled: true, settings: {board: FAKE_SECRETS[2]!}},
            twilio: {enabled: true, settings: {accountSid: FAKE_SECRETS[1]!}},
          },
          name: `Northwind ${FAKE_SECRETS[0]}`,
        }),
        draftClient('southgate', {accountId: '333333333333', tier: 'gold'}),
      ],
    })
    const registry = await loadRegistry(workspace)
    stacks = await synthesizeStacks(workspace, registry.clients, {allClients: registry.clients})
    north = await readStack(stacks.find((stack) => stack.id === 'northwind')!.file)
    south = await readStack(stacks.find((stack) => stack.id === 'southgate')!.file)
  })
  after(() => removeDir(workspace.root))

  it('never mentions the other client’s id, account or CIDR', async () => {
    const registry = await loadRegistry(workspace)
    for (const [doc, other] of [
      [north, registry.get('southgate')],
      [south, registry.get('northwind')],
    ] as const) {
      expect(doc.text).not.to.include(other.id)
      expect(doc.text).not.to.include(other.accountId!)
      expect(doc.text).not.to.include(other.cidr.split('/')[0]!.split('.').slice(0, 2).join('.') + '.')
    }
  })

  it('shares no ARN, except the management account’s (platform roles, image) and AWS’s log delivery', () => {
    const shared = intersection(arnsIn(north), arnsIn(south))
    expect(shared.length).to.be.greaterThan(0)
    const allowedAccounts = ['111111111111', ...Object.values(ELB_LOG_DELIVERY_ACCOUNTS)]
    for (const arn of shared) expect(allowedAccounts, arn).to.include(arn.split(':')[4])
    expect(shared.some((arn) => arn.includes('222222222222') || arn.includes('333333333333'))).to.equal(false)
  })

  it('shares no resource name, except the seed’s fixed client role names (one per account)', () => {
    const shared = intersection(namesIn(north), namesIn(south))
    expect(shared).to.have.members([...CLIENT_ROLES])
  })

  it('uses the same resource addresses, so one policy and one audit fit every client', () => {
    expect(Object.keys(north.resource)).to.include.members(Object.keys(south.resource))
  })

  it('carries no secret-looking value from the manifests into any stack, nor the client’s display name', async () => {
    for (const stack of stacks) {
      const text = await readFile(stack.file, 'utf8')
      for (const secret of FAKE_SECRETS) expect(text, `${stack.id} holds ${secret}`).not.to.include(secret)
      expect(text).not.to.include('Northwind ')
    }
  })

  it('has no secret value or password attribute in any stack', async () => {
    for (const stack of stacks) {
      const doc = await readStack(stack.file)
      expect(doc.resource, stack.id).not.to.have.property('aws_secretsmanager_secret_version')
      expect(doc.text, stack.id).not.to.match(/"(secret_string|secret_binary|password|master_password|auth_token)"\s*:/)
    }
  })
})
