import {expect} from 'chai'

import {ExitCode} from '../../src/errors.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {serviceGateArgs, serviceGates} from '../../src/terraform/service-gate.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {useFakeAwsEnvironment} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const DIGEST = `sha256:${'cd'.repeat(32)}`

describe('the service gate seiketsu plan passes to each client stack', () => {
  let fake: FakeAws
  let restoreEnv: () => void
  const cleanup: string[] = []

  beforeEach(async () => {
    restoreEnv = useFakeAwsEnvironment()
    fake = await FakeAws.start()
  })
  afterEach(async () => {
    await fake.close()
    restoreEnv()
    await Promise.all(cleanup.splice(0).map((dir) => removeDir(dir)))
  })

  const fleet = async (imageDigest?: string): Promise<Workspace> => {
    const workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {accountId: '222222222222'}),
        draftClient('bayview', {accountId: '333333333333'}),
        draftClient('quiet', {accountId: '444444444444', integrations: {crm: {enabled: true, settings: {}}}}),
      ],
      settings: {imageDigest},
    })
    cleanup.push(workspace.root)
    return workspace
  }
  const gatesOf = async (workspace: Workspace) =>
    serviceGates(workspace, (await loadRegistry(workspace)).clients, {awsOptions: {endpointUrl: fake.url}})

  it('stays closed for every client while no image digest is configured, without asking AWS', async () => {
    const {gates, errors} = await gatesOf(await fleet())
    expect(errors.size).to.equal(0)
    expect([...gates.values()].map((gate) => [gate.client, gate.enabled, gate.waitingFor[0]?.what])).to.deep.equal([
      ['acme', false, 'the image digest'],
      ['bayview', false, 'the image digest'],
      ['quiet', false, 'the image digest'],
    ])
    expect(fake.calls).to.deep.equal([])
    expect(serviceGateArgs(gates.get('acme')!)).to.deep.equal(['-var=service_enabled=false'])
  })

  it('opens once every integration secret holds a value, and says which do not and how to set them', async () => {
    fake.addSecret({accountId: '222222222222', name: 'seiketsu/acme/elevenlabs', region: 'us-east-1', value: 'x'})
    fake.addSecret({accountId: '222222222222', name: 'seiketsu/acme/twilio', region: 'us-east-1', value: 'y'})
    fake.addSecret({accountId: '333333333333', name: 'seiketsu/bayview/elevenlabs', region: 'us-east-1'})
    const {gates, errors} = await gatesOf(await fleet(DIGEST))
    expect(errors.size).to.equal(0)
    expect(gates.get('acme')).to.deep.equal({client: 'acme', enabled: true, waitingFor: []})
    expect(serviceGateArgs(gates.get('acme')!)).to.deep.equal(['-var=service_enabled=true'])
    // bayview: one secret empty, one not created yet.
    expect(gates.get('bayview')).to.deep.equal({
      client: 'bayview',
      enabled: false,
      waitingFor: [
        {
          fix: 'seiketsu secrets set bayview elevenlabs',
          what: 'a value for the elevenlabs secret (seiketsu/bayview/elevenlabs)',
        },
        {
          fix: 'provision bayview (it creates the secret), then seiketsu secrets set bayview twilio',
          what: 'a value for the twilio secret (seiketsu/bayview/twilio)',
        },
      ],
    })
    // No credential-holding integration: nothing to wait for, nothing asked.
    expect(gates.get('quiet')).to.deep.equal({client: 'quiet', enabled: true, waitingFor: []})
    expect(new Set(fake.calls.map((call) => call.operation))).to.deep.equal(new Set(['AssumeRole', 'DescribeSecret']))
  })

  it('reports a client whose secrets AWS would not describe (exit 4), and still gates the others', async () => {
    fake.deniedAccounts.add('333333333333')
    fake.addSecret({accountId: '222222222222', name: 'seiketsu/acme/elevenlabs', region: 'us-east-1', value: 'x'})
    fake.addSecret({accountId: '222222222222', name: 'seiketsu/acme/twilio', region: 'us-east-1', value: 'y'})
    const {gates, errors} = await gatesOf(await fleet(DIGEST))
    expect(errors.get('bayview')).to.include({exitCode: ExitCode.External})
    expect(gates.has('bayview')).to.equal(false)
    expect(gates.get('acme')!.enabled).to.equal(true)
  })
})
