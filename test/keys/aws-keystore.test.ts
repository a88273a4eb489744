import {readdir} from 'node:fs/promises'

import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {AwsSession} from '../../src/aws/session.ts'
import {SecretsManagerKeyStore} from '../../src/keys/aws-keystore.ts'
import {generateSigningKeys} from '../../src/keys/jwk.ts'
import {applyJwtRotation, planJwtRotation} from '../../src/keys/key-set.ts'
import {ensureSigningKeys, loadSigningKeys, rotateSigningKeys} from '../../src/keys/signing-keys.ts'
import {issueClientToken, verifyClientToken} from '../../src/keys/tokens.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {useFakeAwsEnvironment} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {signedBy} from '../helpers/aws/protocol.ts'
import {assumedAccessKey} from '../helpers/aws/sts.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const SECRET = 'seiketsu/acme/jwt-signing-keys'
const ACCOUNT = '222222222222'

describe('Secrets Manager keystore (loopback)', () => {
  let fake: FakeAws
  let restoreEnv: () => void
  let workspace: Workspace

  beforeEach(async () => {
    restoreEnv = useFakeAwsEnvironment()
    fake = await FakeAws.start()
    fake.addClientAccount('seiketsu', {accountId: ACCOUNT, drRegion: 'us-west-2', id: 'acme', region: 'us-east-1'})
    workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: ACCOUNT}), draftClient('newco')],
      configText: (text) => text.replace('store: local', 'store: aws'),
    })
  })

  afterEach(async () => {
    await fake.close()
    restoreEnv()
  })

  const options = () => ({awsOptions: {endpointUrl: fake.url}})
  const acme = async () => (await loadRegistry(workspace)).get('acme')

  it('creates the secret on first use, in the client account through the provisioner role, encrypted with the client key', async () => {
    const result = await ensureSigningKeys(workspace, await acme(), options())
    expect(result).to.include({created: true, store: 'aws'})
    expect(fake.assumed).to.deep.equal([
      {
        roleArn: `arn:aws:iam::${ACCOUNT}:role/SeiketsuClientProvisioner`,
        sessionName: 'seiketsu-keys-acme',
        signer: 'AKIAIOSFODNN7EXAMPLE',
      },
    ])
    const secret = fake.secret(ACCOUNT, SECRET)!
    expect(secret.kmsKeyId).to.equal('alias/seiketsu/acme')
    expect(secret.tags).to.deep.include({Key: 'seiketsu:client', Value: 'acme'})
    const stored = JSON.parse(fake.staged(secret, 'AWSCURRENT')!.value!)
    expect(stored.keys.map((key: {state: string}) => key.state)).to.deep.equal(['current', 'next'])
    for (const call of fake.calls.filter((c) => c.service === 'secretsmanager'))
      expect(signedBy(call)).to.include({accessKeyId: assumedAccessKey(ACCOUNT), region: 'us-east-1'})
    // Nothing on the local disk.
    const keysDir = await readdir(workspacePaths(workspace.root).keys).catch(() => [])
    expect(keysDir).to.deep.equal([])
    // Idempotent.
    expect((await ensureSigningKeys(workspace, await acme(), options())).created).to.equal(false)
  })

  it('fills an empty container that Terraform created, and stages rotations AWSCURRENT / AWSPREVIOUS', async () => {
    const container = fake.addSecret({accountId: ACCOUNT, name: SECRET, region: 'us-east-1'})
    await ensureSigningKeys(workspace, await acme(), options())
    expect(fake.callsOf('CreateSecret')).to.have.length(0)
    const first = JSON.parse(fake.staged(container, 'AWSCURRENT')!.value!)
    const rotation = await rotateSigningKeys(workspace, await acme(), {...options(), force: true})
    expect(rotation.status).to.equal('rotated')
    const current = JSON.parse(fake.staged(container, 'AWSCURRENT')!.value!)
    const previous = JSON.parse(fake.staged(container, 'AWSPREVIOUS')!.value!)
    expect(previous).to.deep.equal(first)
    expect(current.keys.find((key: {state: string}) => key.state === 'current').kid).to.equal(rotation.after.current)
    expect(fake.staged(container, 'AWSPENDING')).to.equal(undefined)
    // Tokens work against the AWS keystore too.
    const issued = await issueClientToken(workspace, 'acme', {role: 'viewer', user: 'v'}, options())
    expect((await verifyClientToken(workspace, issued.token, options())).kid).to.equal(rotation.after.current)
  })

  it('lets only one of two concurrent writers win; the loser changes nothing (compare-and-swap on AWSCURRENT)', async () => {
    await ensureSigningKeys(workspace, await acme(), options())
    const session = new AwsSession({endpointUrl: fake.url}, 'us-east-1', 'test')
    const store = new SecretsManagerKeyStore('seiketsu', await acme(), session)
    const other = new SecretsManagerKeyStore('seiketsu', await acme(), session)
    const rotate = async (current: Parameters<typeof planJwtRotation>[0]) => {
      const plan = planJwtRotation(current, new Date(), {overlapSeconds: 60, publishLeadSeconds: 0})
      return applyJwtRotation('acme', current, plan, await generateSigningKeys(plan.freshKeys), new Date())
    }
    let winner: string | undefined
    const error = await store
      .update(async (current) => {
        await other.update(async (seen) => {
          const set = await rotate(seen)
          winner = set.keys[0]!.kid
          return {result: undefined, set}
        })
        return {result: undefined, set: await rotate(current)}
      })
      .catch((caught: unknown) => caught)
    await session.close()
    expect(isSeiketsuError(error) && [error.code, error.exitCode]).to.deep.equal(['CONCURRENT_CHANGE', 1])
    const stored = await loadSigningKeys(workspace, await acme(), options())
    expect(stored!.keys[0]!.kid).to.equal(winner)
  })

  it('defers keys of a client without an account; commands needing them say why (exit 2)', async () => {
    const newco = (await loadRegistry(workspace)).get('newco')
    expect(await ensureSigningKeys(workspace, newco, options())).to.include({created: false, store: 'aws'})
    const error = await loadSigningKeys(workspace, newco, options()).catch((caught: unknown) => caught)
    expect(isSeiketsuError(error) && [error.code, error.exitCode]).to.deep.equal(['NO_ACCOUNT', 2])
    expect(fake.calls).to.have.length(0)
  })

  it('reports an AWS failure as exit 4 with the service message', async () => {
    fake.deniedAccounts.add(ACCOUNT)
    const error = await ensureSigningKeys(workspace, await acme(), options()).catch((caught: unknown) => caught)
    expect(isSeiketsuError(error) && [error.code, error.exitCode]).to.deep.equal(['AWS_ERROR', 4])
    expect((error as Error).message)
      .to.contain('STS AssumeRole failed (client acme')
      .and.contain('AccessDenied: User:')
    expect(isSeiketsuError(error) && error.suggestions.join(' ')).to.contain('SeiketsuClientProvisioner')
  })
})
