import {readFile} from 'node:fs/promises'

import {expect} from 'chai'

import type {SecretsSetResult} from '../../src/commands/secrets/set.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'
const VALUE = 'sk_live_51Hx-very-secret'

describe('seiketsu secrets set (CLI)', () => {
  let fake: FakeAws
  let workspace: Workspace

  beforeEach(async () => {
    fake = await FakeAws.start()
    fake.addClientAccount(
      'seiketsu',
      {accountId: ACME, drRegion: 'us-west-2', id: 'acme', region: 'us-east-1'},
      {db: false, integrations: ['elevenlabs']},
    )
    workspace = await makeWorkspace({clients: [draftClient('acme', {accountId: ACME}), draftClient('newco')]})
  })

  afterEach(() => fake.close())

  const cli = (args: string[], input?: string) =>
    runCli(['secrets', 'set', ...args, '--workspace', workspace.root], {
      env: {
        ...FAKE_AWS_ENV,
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url,
        AWS_ENDPOINT_URL_STS: fake.url,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      },
      input,
    })

  it('reads the value from stdin in CI (one trailing newline removed) and never shows it', async () => {
    const result = await cli(['acme', 'elevenlabs', '--json'], `${VALUE}\n`)
    expect(result.exitCode, result.stderr).to.equal(0)
    const secret = fake.secret(ACME, 'seiketsu/acme/elevenlabs')!
    expect(fake.staged(secret, 'AWSCURRENT')!.value).to.equal(VALUE)
    const output = parseJson<Record<string, unknown>>(result)
    expect(output).to.include({
      client: 'acme',
      integration: 'elevenlabs',
      region: 'us-east-1',
      secretName: 'seiketsu/acme/elevenlabs',
    })
    expect(output.versionId).to.equal(fake.staged(secret, 'AWSCURRENT')!.id)
    const trail = await readFile(workspacePaths(workspace.root).auditTrail, 'utf8')
    expect(trail).to.contain('"action":"put-secret"')
    for (const text of [result.stdout, result.stderr, trail]) expect(text).to.not.contain(VALUE)

    // A second put moves the first value to AWSPREVIOUS; only one newline is stripped.
    const again = await cli(['acme', 'elevenlabs'], 'line one\nline two\n\n')
    expect(again.exitCode, again.stderr).to.equal(0)
    expect(fake.staged(secret, 'AWSCURRENT')!.value).to.equal('line one\nline two\n')
    expect(fake.staged(secret, 'AWSPREVIOUS')!.value).to.equal(VALUE)
    expect(again.stdout).to.contain('Put a new value into seiketsu/acme/elevenlabs').and.not.contain('line one')
  })

  it('says which secrets the service still waits for, and when the last one was set that plan && provision starts it', async () => {
    fake.addSecret({accountId: ACME, name: 'seiketsu/acme/twilio', region: 'us-east-1'})
    const first = await cli(['acme', 'elevenlabs', '--json'], VALUE)
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(parseJson<SecretsSetResult>(first).readiness).to.deep.equal({
      completed: false,
      missing: [{integration: 'twilio', setCommand: 'seiketsu secrets set acme twilio', state: 'empty'}],
      ready: false,
    })

    const last = await cli(['acme', 'twilio'], VALUE)
    expect(last.exitCode, last.stderr).to.equal(0)
    expect(last.stdout).to.contain(
      'Every integration secret of acme now holds a value: seiketsu plan acme && seiketsu provision acme starts its service.',
    )
    // A new value for a secret that already had one (a rotation) starts nothing new: no mention.
    const again = await cli(['acme', 'twilio', '--json'], VALUE)
    expect(parseJson<SecretsSetResult>(again).readiness).to.deep.equal({completed: false, missing: [], ready: true})
    const human = await cli(['acme', 'elevenlabs'], VALUE)
    expect(human.stdout.trim().split('\n')).to.have.length(1)
    // The states come from DescribeSecret: no secret value is ever read.
    expect(fake.callsOf('GetSecretValue')).to.have.length(0)
  })

  it('names the secrets still missing for people', async () => {
    const result = await cli(['acme', 'elevenlabs'], VALUE)
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.contain(
      "acme's service starts once these secrets hold values too:\n  seiketsu secrets set acme twilio (its secret does not exist yet: seiketsu plan acme && seiketsu provision acme create it)",
    )
  })

  it('accepts only enabled integrations that hold credentials, of clients with an account (exit 2, no AWS call)', async () => {
    const cases: [string[], string][] = [
      [['acme', 'mls'], 'acme has not enabled MLS'],
      [['acme', 'crm'], 'CRM holds no credentials'],
      [['acme', 'slack'], "unknown integration 'slack'"],
      [['newco', 'elevenlabs'], 'no AWS account yet'],
      [['nobody', 'elevenlabs'], 'Unknown client: nobody'],
    ]
    for (const [args, message] of cases) {
      const result = await cli([...args, '--json'], VALUE)
      expect(result.exitCode, args.join(' ')).to.equal(2)
      expect(parseJson<{error: {message: string}}>(result).error.message).to.contain(message)
      expect(result.stdout + result.stderr).to.not.contain(VALUE)
    }
    const empty = await cli(['acme', 'elevenlabs'], '\n')
    expect([empty.exitCode, empty.stderr.includes('The secret value is empty')]).to.deep.equal([2, true])
    expect(fake.calls).to.have.length(0)
  })

  it('exits 4 with the service message when the secret does not exist', async () => {
    fake.secrets.splice(0, fake.secrets.length)
    const result = await cli(['acme', 'elevenlabs', '--json'], VALUE)
    expect(result.exitCode).to.equal(4)
    const {error} = parseJson<{error: {message: string; details: {awsError: string}}}>(result)
    expect(error.message).to.contain(
      "PutSecretValue failed (client acme, us-east-1): ResourceNotFoundException: Secrets Manager can't find",
    )
    expect(error.details.awsError).to.equal('ResourceNotFoundException')
    expect(result.stdout + result.stderr).to.not.contain(VALUE)
  })
})
