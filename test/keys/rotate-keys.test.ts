import {expect} from 'chai'

import {rotateKeys, rotationFailure, secretValueKey, type RotateKeysRequest} from '../../src/keys/rotate-keys.ts'
import {readTrail} from '../../src/registry/audit-trail.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {useFakeAwsEnvironment} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {awsJsonError, awsQueryError, signedBy} from '../helpers/aws/protocol.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'
const BETA = '333333333333'

describe('rotate-keys against loopback AWS', () => {
  let fake: FakeAws
  let restoreEnv: () => void
  let workspace: Workspace

  beforeEach(async () => {
    restoreEnv = useFakeAwsEnvironment()
    fake = await FakeAws.start()
    fake.addClientAccount(
      'seiketsu',
      {accountId: ACME, drRegion: 'us-west-2', id: 'acme', region: 'us-east-1'},
      {integrations: ['elevenlabs', 'twilio']},
    )
    fake.addClientAccount('seiketsu', {accountId: BETA, drRegion: 'us-west-2', id: 'beta', region: 'us-east-1'})
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {accountId: ACME}),
        draftClient('beta', {accountId: BETA, integrations: {}}),
        draftClient('newco'),
      ],
    })
  })

  afterEach(async () => {
    await fake.close()
    restoreEnv()
  })

  const run = async (kinds: RotateKeysRequest['kinds'], overrides: Partial<RotateKeysRequest> = {}) =>
    rotateKeys(workspace, {
      aws: {endpointUrl: fake.url},
      clients: (await loadRegistry(workspace)).select(),
      dryRun: false,
      json: true,
      kinds,
      now: false,
      ...overrides,
    })
  const outcome = (result: Awaited<ReturnType<typeof run>>, client: string, kind: string) =>
    result.results.find((r) => r.client === client && r.kind === kind)!
  const trail = async () =>
    (await readTrail(workspacePaths(workspace.root).auditTrail)).map(
      (line) => JSON.parse(line) as {action: string; client: string; change: Record<string, unknown>},
    )

  it('kms: turns automatic rotation on with the configured period for the main and the DR backup key', async () => {
    const result = await run(['kms'])
    expect(outcome(result, 'acme', 'kms').status).to.equal('rotated')
    for (const key of fake.kmsKeys) expect([key.rotationEnabled, key.rotationPeriodInDays]).to.deep.equal([true, 365])
    const enables = fake.callsOf('EnableKeyRotation')
    expect(enables.map((call) => [signedBy(call)?.region, call.body.RotationPeriodInDays])).to.have.deep.members([
      ['us-east-1', 365],
      ['us-west-2', 365],
      ['us-east-1', 365],
      ['us-west-2', 365],
    ])
    // Rotation calls name the key id that DescribeKey resolved, never the alias.
    for (const call of [...enables, ...fake.callsOf('GetKeyRotationStatus')])
      expect(String(call.body.KeyId)).to.not.match(/^alias\//)
    const details = outcome(result, 'acme', 'kms').details as {keys: {alias: string; nextRotationDate?: string}[]}
    expect(details.keys.map((key) => key.alias)).to.deep.equal(['alias/seiketsu/acme', 'alias/seiketsu/acme-backup'])
    expect(details.keys[0]!.nextRotationDate).to.match(/^\d{4}-\d\d-\d\dT/)
    expect((await trail()).filter((record) => record.action === 'rotate-kms-key')).to.have.length(4)
    // Once on, a second run changes nothing.
    const again = await run(['kms'])
    expect(outcome(again, 'acme', 'kms').status).to.equal('unchanged')
    expect(fake.callsOf('EnableKeyRotation')).to.have.length(4)
  })

  it('kms --now: rotates on demand within the per-key limit, counting past rotations over every page', async () => {
    fake.pageSize = 2
    const main = fake.kmsKeys.find((key) => key.aliases.includes('alias/seiketsu/acme'))!
    for (let index = 0; index < 30; index++)
      main.rotations.push({date: new Date(), type: index % 6 === 0 ? 'AUTOMATIC' : 'ON_DEMAND'})
    const result = await run(['kms'], {clients: [(await loadRegistry(workspace)).get('acme')], now: true})
    const keys = (
      outcome(result, 'acme', 'kms').details as {keys: {alias: string; skipped?: string; onDemandRotations?: number}[]}
    ).keys
    expect(keys[0]).to.include({onDemandRotations: 25})
    expect(keys[0]!.skipped).to.contain('on-demand rotation limit reached (25 of 25')
    expect(keys[1]).to.include({onDemandRotations: 0})
    const rotated = fake.callsOf('RotateKeyOnDemand').map((call) => signedBy(call)?.region)
    expect(rotated).to.deep.equal(['us-west-2'])
    expect(fake.callsOf('ListKeyRotations').length).to.be.greaterThan(15)
  })

  it('db: rotates the RDS-managed master secret immediately, found by its RDS tags', async () => {
    fake.pageSize = 1
    fake.addSecret({accountId: ACME, name: 'unrelated', owningService: 'other', region: 'us-east-1'})
    const rds = fake.secrets.find((secret) => secret.accountId === ACME && secret.owningService === 'rds')!
    const before = fake.staged(rds, 'AWSCURRENT')!.id
    const result = await run(['db'])
    expect(outcome(result, 'acme', 'db').status).to.equal('rotated')
    const rotations = fake.callsOf('RotateSecret')
    expect(
      rotations.map(({body}) => ({RotateImmediately: body.RotateImmediately, SecretId: body.SecretId})),
    ).to.deep.include({RotateImmediately: true, SecretId: rds.arn})
    expect(rotations).to.have.length(2)
    expect(fake.staged(rds, 'AWSCURRENT')!.id).to.not.equal(before)
    expect(fake.staged(rds, 'AWSPREVIOUS')!.id).to.equal(before)
    expect(fake.callsOf('ListSecrets')[0]!.body.Filters).to.deep.equal([{Key: 'owning-service', Values: ['rds']}])
    const records = (await trail()).filter((record) => record.action === 'rotate-db-secret')
    expect(records.map((record) => record.change.database)).to.include(
      'arn:aws:rds:us-east-1:222222222222:db:seiketsu-acme',
    )
  })

  it('db: skips a client account without an RDS-managed secret, saying why', async () => {
    fake.secrets.splice(0, fake.secrets.length)
    const result = await run(['db'])
    expect(outcome(result, 'acme', 'db')).to.include({status: 'skipped'})
    expect(outcome(result, 'acme', 'db').summary).to.contain('no RDS-managed master secret in account 222222222222')
  })

  it('secrets: puts new values given for the enabled integrations; the old value becomes AWSPREVIOUS', async () => {
    const elevenlabs = fake.secret(ACME, 'seiketsu/acme/elevenlabs')!
    const twilio = fake.secret(ACME, 'seiketsu/acme/twilio')!
    await run(['secrets'], {secretValues: new Map([[secretValueKey('acme', 'elevenlabs'), 'old-value']])})
    const result = await run(['secrets'], {
      secretValues: new Map([[secretValueKey('acme', 'elevenlabs'), 'new-value']]),
    })
    const acme = outcome(result, 'acme', 'secrets')
    expect(acme.status).to.equal('rotated')
    expect(acme.summary).to.contain('elevenlabs: new value put').and.contain('twilio: kept: needs a new value')
    expect(fake.staged(elevenlabs, 'AWSCURRENT')!.value).to.equal('new-value')
    expect(fake.staged(elevenlabs, 'AWSPREVIOUS')!.value).to.equal('old-value')
    expect(twilio.versions).to.have.length(0)
    expect(outcome(result, 'beta', 'secrets').status).to.equal('skipped')
    expect(JSON.stringify(result)).to.not.contain('new-value')
    const lines = await readTrail(workspacePaths(workspace.root).auditTrail)
    expect(lines.join('\n')).to.contain('put-secret').and.not.contain('new-value').and.not.contain('old-value')
  })

  it('skips the AWS kinds of a client without an account, and still rotates its local JWT keys', async () => {
    const result = await run(['jwt', 'kms', 'secrets', 'db'], {now: true})
    for (const kind of ['kms', 'secrets', 'db'])
      expect(outcome(result, 'newco', kind)).to.include({
        status: 'skipped',
        summary: 'skipped: no AWS account yet (accountId is null)',
      })
    expect(outcome(result, 'newco', 'jwt').status).to.equal('created')
    expect(result.results.map((r) => `${r.client}/${r.kind}`)).to.deep.equal([
      'acme/jwt',
      'acme/kms',
      'acme/secrets',
      'acme/db',
      'beta/jwt',
      'beta/kms',
      'beta/secrets',
      'beta/db',
      'newco/jwt',
      'newco/kms',
      'newco/secrets',
      'newco/db',
    ])
    expect(fake.assumed.map((entry) => entry.roleArn)).to.have.members([
      `arn:aws:iam::${ACME}:role/SeiketsuClientProvisioner`,
      `arn:aws:iam::${BETA}:role/SeiketsuClientProvisioner`,
    ])
    expect(rotationFailure(result)).to.equal(undefined)
  })

  it('changes nothing in a dry run', async () => {
    const result = await run(['jwt', 'kms', 'db'], {dryRun: true})
    expect(outcome(result, 'acme', 'kms').status).to.equal('planned')
    expect(outcome(result, 'acme', 'db').status).to.equal('planned')
    expect(outcome(result, 'acme', 'jwt').status).to.equal('planned')
    expect(fake.callsOf('EnableKeyRotation')).to.have.length(0)
    expect(fake.callsOf('RotateSecret')).to.have.length(0)
    expect(await trail()).to.have.length(3) // the three onboard records
    expect(await readTrail(workspacePaths(workspace.root).auditTrail)).to.have.length(3)
  })

  it('retries throttling within the bounded attempts, then fails that kind with exit 4 and goes on', async () => {
    fake.fail('sts:AssumeRole', awsQueryError('Throttling', 'Rate exceeded'))
    fake.fail('kms:DescribeKey', awsJsonError('ThrottlingException', 'Rate exceeded'))
    const retried = await run(['kms'], {clients: [(await loadRegistry(workspace)).get('acme')]})
    expect(outcome(retried, 'acme', 'kms').status).to.equal('rotated')
    expect(fake.callsOf('AssumeRole')).to.have.length(2) // one throttled (query/XML error), then the role
    expect(fake.callsOf('DescribeKey')).to.have.length(3) // one throttled, then both keys

    const throttled = awsJsonError('ThrottlingException', 'Rate exceeded')
    fake.fail('secretsmanager:ListSecrets', throttled, throttled)
    const failed = await run(['jwt', 'db'], {
      aws: {endpointUrl: fake.url, maxAttempts: 2},
      clients: [(await loadRegistry(workspace)).get('acme')],
    })
    const acme = outcome(failed, 'acme', 'db')
    expect(acme.status).to.equal('failed')
    expect(acme.error).to.deep.include({code: 'AWS_ERROR', exitCode: 4})
    expect(acme.error!.message).to.contain(
      'Secrets Manager ListSecrets failed (client acme, us-east-1): ThrottlingException: Rate exceeded',
    )
    expect(fake.callsOf('ListSecrets')).to.have.length(2)
    expect(outcome(failed, 'acme', 'jwt').status).to.equal('created')
    const failure = rotationFailure(failed)!
    expect([failure.exitCode, failure.code]).to.deep.equal([4, 'ROTATION_FAILED'])
  })

  it("fails every AWS kind of a client whose provisioner role refuses us (exit 4), not the others'", async () => {
    fake.deniedAccounts.add(BETA)
    const result = await run(['jwt', 'kms'])
    expect(outcome(result, 'beta', 'kms').status).to.equal('failed')
    expect(outcome(result, 'beta', 'kms').error!.message)
      .to.contain('STS AssumeRole failed (client beta')
      .and.contain('AccessDenied')
    expect(outcome(result, 'beta', 'jwt').status).to.equal('created')
    expect(outcome(result, 'acme', 'kms').status).to.equal('rotated')
  })
})
