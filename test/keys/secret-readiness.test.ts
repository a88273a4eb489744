import {expect} from 'chai'

import {AwsSession} from '../../src/aws/session.ts'
import {clientSecretReadiness, fleetSecretReadiness} from '../../src/keys/secret-readiness.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {useFakeAwsEnvironment} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {signedBy} from '../helpers/aws/protocol.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'
const VALUE = 'sk_live_51Hx-never-read'

describe('integration secret readiness against loopback Secrets Manager', () => {
  let fake: FakeAws
  let restoreEnv: () => void

  beforeEach(async () => {
    restoreEnv = useFakeAwsEnvironment()
    fake = await FakeAws.start()
  })

  afterEach(async () => {
    await fake.close()
    restoreEnv()
  })

  const session = () => new AwsSession({endpointUrl: fake.url}, 'us-east-1', 'test')

  describe('one client', () => {
    let workspace: Workspace

    beforeEach(async () => {
      workspace = await makeWorkspace({
        clients: [
          draftClient('acme', {
            accountId: ACME,
            integrations: {
              crm: {enabled: true, settings: {}},
              elevenlabs: {enabled: true, settings: {}},
              mls: {enabled: true, settings: {}},
              twilio: {enabled: true, settings: {}},
            },
          }),
          draftClient('newco'),
        ],
      })
    })

    const readiness = async (id: string) => {
      const aws = session()
      try {
        return await clientSecretReadiness(workspace, (await loadRegistry(workspace)).get(id), aws)
      } finally {
        await aws.close()
      }
    }

    it('tells set, empty (no AWSCURRENT) and missing apart with DescribeSecret alone, through the provisioner role', async () => {
      fake.addSecret({accountId: ACME, name: 'seiketsu/acme/elevenlabs', region: 'us-east-1', value: VALUE})
      // created by the stack, never set
      fake.addSecret({accountId: ACME, name: 'seiketsu/acme/twilio', region: 'us-east-1'})
      // the mls secret does not exist (the stack has not been applied since mls was enabled)
      const result = await readiness('acme')
      expect(result).to.deep.include({client: 'acme', missing: ['twilio', 'mls'], ready: false, region: 'us-east-1'})
      expect(
        result.secrets.map(({integration, secretName, setCommand, state}) => ({
          integration,
          secretName,
          setCommand,
          state,
        })),
      ).to.deep.equal([
        {integration: 'elevenlabs', secretName: 'seiketsu/acme/elevenlabs', setCommand: undefined, state: 'set'},
        {
          integration: 'twilio',
          secretName: 'seiketsu/acme/twilio',
          setCommand: 'seiketsu secrets set acme twilio',
          state: 'empty',
        },
        {
          integration: 'mls',
          secretName: 'seiketsu/acme/mls',
          setCommand: 'seiketsu secrets set acme mls',
          state: 'missing',
        },
      ])
      // CRM holds no credentials: no secret is looked for. No value is ever read.
      expect(fake.calls.map((call) => call.operation).sort()).to.deep.equal([
        'AssumeRole',
        'DescribeSecret',
        'DescribeSecret',
        'DescribeSecret',
      ])
      for (const call of fake.callsOf('DescribeSecret')) expect(signedBy(call)?.accessKeyId).to.equal(`ASIA${ACME}FAKE`)
      expect(fake.assumed[0]!.roleArn).to.equal(`arn:aws:iam::${ACME}:role/SeiketsuClientProvisioner`)
      expect(JSON.stringify(result)).to.not.contain(VALUE)
    })

    it('a version staged only AWSPENDING is empty; a secret scheduled for deletion is missing; all set is ready', async () => {
      const twilio = fake.addSecret({accountId: ACME, name: 'seiketsu/acme/twilio', region: 'us-east-1', value: VALUE})
      twilio.versions[0]!.stages = ['AWSPENDING']
      const mls = fake.addSecret({accountId: ACME, name: 'seiketsu/acme/mls', region: 'us-east-1', value: VALUE})
      mls.deletedDate = new Date('2026-03-01T00:00:00Z')
      fake.addSecret({accountId: ACME, name: 'seiketsu/acme/elevenlabs', region: 'us-east-1', value: VALUE})
      const partial = await readiness('acme')
      expect(partial.secrets.map((secret) => secret.state)).to.deep.equal(['set', 'empty', 'missing'])
      expect(partial.secrets[2]!.deletedDate).to.equal('2026-03-01T00:00:00.000Z')

      twilio.versions[0]!.stages = ['AWSCURRENT']
      mls.deletedDate = undefined
      const all = await readiness('acme')
      expect([all.ready, all.missing]).to.deep.equal([true, []])
    })

    it('a client without an account makes no call: its secrets are missing', async () => {
      const result = await readiness('newco')
      expect(result).to.deep.include({missing: ['elevenlabs', 'twilio'], ready: false})
      expect(result.note).to.contain('no AWS account yet')
      expect(fake.calls).to.have.length(0)
    })

    it('an AWS failure other than not-found is exit 4 with the service message', async () => {
      fake.fail('secretsmanager:DescribeSecret', {
        body: {__type: 'AccessDeniedException', Message: 'not authorized to perform: secretsmanager:DescribeSecret'},
        status: 400,
      })
      const error = await readiness('acme').then(
        () => expect.fail('should have failed'),
        (caught: {exitCode: number; message: string}) => caught,
      )
      expect(error.exitCode).to.equal(4)
      expect(error.message).to.contain('DescribeSecret failed (client acme, us-east-1): AccessDeniedException')
    })
  })

  it('a fleet: at most `concurrency` clients at once, in order, one broken account does not hide the others', async () => {
    const ids = ['client-0', 'client-1', 'client-2', 'client-3', 'client-4', 'client-5']
    const account = (index: number) => String(400_000_000_000 + index)
    const workspace = await makeWorkspace({
      clients: ids.map((id, index) => draftClient(id, {accountId: account(index)})),
    })
    for (const [index, id] of ids.entries())
      fake.addClientAccount(
        'seiketsu',
        {accountId: account(index), drRegion: 'us-west-2', id, region: 'us-east-1'},
        {db: false, integrations: ['elevenlabs', 'twilio']},
      )
    fake.deniedAccounts.add(account(3))
    fake.latencyMs = 20
    const entries = await fleetSecretReadiness(workspace, (await loadRegistry(workspace)).select(), {
      awsOptions: {endpointUrl: fake.url},
      concurrency: 2,
    })
    expect(entries.map((entry) => entry.client)).to.deep.equal(ids)
    expect(entries.map((entry) => entry.readiness?.missing.length ?? entry.error!.exitCode)).to.deep.equal([
      2, 2, 2, 4, 2, 2,
    ])
    expect(entries[3]!.error!.message).to.contain('AssumeRole')
    // two clients at once, each describing its two secrets together
    expect(fake.peakInFlight.get('secretsmanager:DescribeSecret')).to.be.at.most(4)
    expect(fake.callsOf('DescribeSecret')).to.have.length(10)
  })
})
