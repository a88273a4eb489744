import {readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {readTrail} from '../../src/registry/audit-trail.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {signedBy} from '../helpers/aws/protocol.ts'
import {makeTempDir, parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'

/** The CLI's environment: fake management credentials, no AWS config of the machine, every endpoint the loopback. */
const awsEnv = (url: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...FAKE_AWS_ENV,
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_ENDPOINT_URL: url,
  AWS_PROFILE: undefined,
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  ...extra,
})

interface RotateJson {
  dryRun: boolean
  counts: Record<string, number>
  results: {
    client: string
    kind: string
    status: string
    summary: string
    error?: {exitCode: number; message: string}
  }[]
}

describe('seiketsu rotate-keys (CLI)', () => {
  let fake: FakeAws
  let workspace: Workspace

  beforeEach(async () => {
    fake = await FakeAws.start()
    fake.addClientAccount(
      'seiketsu',
      {accountId: ACME, drRegion: 'us-west-2', id: 'acme', region: 'us-east-1'},
      {integrations: ['elevenlabs', 'twilio']},
    )
    workspace = await makeWorkspace({clients: [draftClient('acme', {accountId: ACME}), draftClient('newco')]})
  })

  afterEach(() => fake.close())

  const cli = (args: string[], env: NodeJS.ProcessEnv = awsEnv(fake.url)) =>
    runCli(['rotate-keys', ...args, '--workspace', workspace.root], {env})

  it('refuses to change anything in CI without --yes (exit 2), and changes nothing', async () => {
    const result = await cli(['--kind', 'all', '--json'])
    expect(result.exitCode).to.equal(2)
    expect(parseJson<{error: {code: string; message: string}}>(result).error).to.include({code: 'MISSING_INPUT'})
    expect(parseJson<{error: {message: string}}>(result).error.message).to.contain('--yes')
    expect(fake.calls).to.have.length(0)
    expect(await readdir(workspacePaths(workspace.root).keys).catch(() => [])).to.deep.equal([])
  })

  it('--dry-run needs no --yes and reports what it would do per client and kind', async () => {
    const result = await cli(['--kind', 'jwt,kms', '--kind', 'db', '--dry-run', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const report = parseJson<RotateJson>(result)
    expect(report.dryRun).to.equal(true)
    expect(report.results.map((r) => [r.client, r.kind, r.status])).to.deep.equal([
      ['acme', 'jwt', 'planned'],
      ['acme', 'kms', 'planned'],
      ['acme', 'db', 'planned'],
      ['newco', 'jwt', 'planned'],
      ['newco', 'kms', 'skipped'],
      ['newco', 'db', 'skipped'],
    ])
    expect(report.counts).to.include({planned: 4, skipped: 2})
    expect(fake.callsOf('EnableKeyRotation')).to.have.length(0)
    expect(await readdir(workspacePaths(workspace.root).keys).catch(() => [])).to.deep.equal([])
  })

  it('rotates every kind with --yes through AWS_ENDPOINT_URL, leaving secrets that need a value to `secrets set`', async () => {
    const result = await cli(['acme', '--kind', 'all', '--yes', '--now', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const report = parseJson<RotateJson>(result)
    expect(report.results.map((r) => [r.kind, r.status])).to.deep.equal([
      ['jwt', 'created'],
      ['kms', 'rotated'],
      ['secrets', 'skipped'],
      ['db', 'rotated'],
    ])
    expect(report.results[2]!.summary).to.contain('elevenlabs: kept: needs a new value (seiketsu secrets set)')
    expect(fake.callsOf('RotateKeyOnDemand')).to.have.length(2)
    expect(fake.assumed[0]).to.include({roleArn: `arn:aws:iam::${ACME}:role/SeiketsuClientProvisioner`})
    expect(fake.assumed[0]!.sessionName).to.equal('seiketsu-rotate-keys-acme')
    const actions = (await readTrail(workspacePaths(workspace.root).auditTrail)).map((line) => JSON.parse(line).action)
    expect(actions).to.include.members(['create-signing-keys', 'rotate-kms-key', 'rotate-db-secret'])
  })

  it('prints a summary table in CI without --json', async () => {
    const result = await cli(['--kind', 'jwt', '--yes', '--now'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/CLIENT\s+KIND\s+STATUS\s+DETAIL/)
    expect(result.stdout)
      .to.match(/acme\s+jwt\s+created/)
      .and.match(/newco\s+jwt\s+created/)
    expect(result.stdout).to.contain('2 created')
  })

  it('exits 4 with the service message when AWS fails, after trying every client and kind', async () => {
    fake.deniedAccounts.add(ACME)
    const result = await cli(['--kind', 'jwt,kms', '--yes', '--json'])
    expect(result.exitCode).to.equal(4)
    // The result document, as on success; the exit code says AWS failed.
    const json = parseJson<RotateJson>(result)
    const kms = json.results.find((r) => r.client === 'acme' && r.kind === 'kms') as unknown as {
      error: {message: string}
    }
    expect(kms.error.message).to.contain('STS AssumeRole failed (client acme').and.contain('AccessDenied')
    expect(json.results.map((r) => [r.client, r.kind, r.status])).to.deep.equal([
      ['acme', 'jwt', 'created'],
      ['acme', 'kms', 'failed'],
      ['newco', 'jwt', 'created'],
      ['newco', 'kms', 'skipped'],
    ])
  })

  it('uses --profile credentials and --endpoint-url, and an unknown client id is exit 2', async () => {
    const dir = await makeTempDir()
    await writeFile(join(dir, 'config'), '[profile ops]\nregion = us-east-1\n')
    await writeFile(
      join(dir, 'credentials'),
      '[ops]\naws_access_key_id = AKIAPROFILEOPS000000\naws_secret_access_key = profile-secret\n',
    )
    const env = awsEnv('http://127.0.0.1:9', {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    })
    const result = await cli(
      ['acme', '--kind', 'kms', '--yes', '--profile', 'ops', '--endpoint-url', fake.url, '--json'],
      env,
    )
    expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    expect(signedBy(fake.callsOf('AssumeRole')[0]!)?.accessKeyId).to.equal('AKIAPROFILEOPS000000')
    const unknown = await cli(['acmee', '--kind', 'kms', '--yes'])
    expect(unknown.exitCode).to.equal(2)
    expect(unknown.stderr).to.contain('Unknown client: acmee').and.contain('did you mean acme')
  })
})
