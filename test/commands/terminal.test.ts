import {readdir} from 'node:fs/promises'

import {expect} from 'chai'

import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {FakeAws} from '../helpers/aws-fakes.ts'
import {FAKE_AWS_ENV} from '../helpers/aws-loopback.ts'
import {runCliInTerminal} from '../helpers/terminal.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = '222222222222'
const VALUE = 'xi-api-key-7f3c9e'

describe('key commands at a terminal', () => {
  let fake: FakeAws
  let workspace: Workspace

  beforeEach(async () => {
    fake = await FakeAws.start()
    fake.addClientAccount(
      'seiketsu',
      {accountId: ACME, drRegion: 'us-west-2', id: 'acme', region: 'us-east-1'},
      {db: false, integrations: ['elevenlabs', 'twilio']},
    )
    workspace = await makeWorkspace({clients: [draftClient('acme', {accountId: ACME})]})
  })

  afterEach(() => fake.close())

  const env = () => ({
    ...FAKE_AWS_ENV,
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_ENDPOINT_URL: fake.url,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  })

  it('rotate-keys asks for confirmation; a no changes nothing (exit 1)', async () => {
    const declined = await runCliInTerminal(['rotate-keys', '--kind', 'jwt', '--workspace', workspace.root], {
      answers: [{send: 'n\r', when: /Rotate jwt of acme\?/}],
      env: env(),
    })
    expect(declined.exitCode).to.equal(1)
    expect(declined.stdout + declined.stderr).to.contain('Nothing was rotated: not confirmed.')
    expect(await readdir(workspacePaths(workspace.root).keys).catch(() => [])).to.deep.equal([])
  })

  it('secrets set asks for the value with a prompt that shows nothing of it', async () => {
    const result = await runCliInTerminal(['secrets', 'set', 'acme', 'elevenlabs', '--workspace', workspace.root], {
      answers: [{send: `${VALUE}\r`, when: /New acme elevenlabs secret/}],
      env: env(),
    })
    expect(result.exitCode, result.stdout).to.equal(0)
    expect(fake.staged(fake.secret(ACME, 'seiketsu/acme/elevenlabs')!, 'AWSCURRENT')!.value).to.equal(VALUE)
    expect(result.stdout).to.contain('Put a new value into seiketsu/acme/elevenlabs')
    expect(result.stdout + result.stderr)
      .to.not.contain(VALUE)
      .and.not.contain('*'.repeat(VALUE.length))
  })

  it('rotate-keys --kind secrets asks for each new value after the confirmation; an empty answer keeps a secret', async () => {
    const result = await runCliInTerminal(['rotate-keys', '--kind', 'secrets', '--workspace', workspace.root], {
      answers: [
        {send: 'y\r', when: /Rotate secrets of acme\?/},
        {send: `${VALUE}\r`, when: /New elevenlabs secret of acme/},
        {send: '\r', when: /New twilio secret of acme/},
      ],
      env: env(),
    })
    expect(result.exitCode, result.stdout).to.equal(0)
    expect(fake.staged(fake.secret(ACME, 'seiketsu/acme/elevenlabs')!, 'AWSCURRENT')!.value).to.equal(VALUE)
    expect(fake.secret(ACME, 'seiketsu/acme/twilio')!.versions).to.have.length(0)
    expect(result.stdout).to.match(/acme\s+secrets\s+rotated\s+elevenlabs: new value put; twilio: kept/)
    expect(result.stdout + result.stderr).to.not.contain(VALUE)
  })
})
