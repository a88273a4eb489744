import {readdir} from 'node:fs/promises'

import {expect} from 'chai'

import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import {KEYS, runInTerminal} from '../helpers/pty.ts'
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
    const terminal = runInTerminal(['rotate-keys', '--kind', 'jwt', '--workspace', workspace.root], {env: env()})
    await terminal.waitFor(/Rotate jwt of acme\?/)
    terminal.type(`n${KEYS.enter}`)
    expect(await terminal.exit()).to.equal(1)
    expect(terminal.output).to.contain('Nothing was rotated: not confirmed.')
    expect(await readdir(workspacePaths(workspace.root).keys).catch(() => [])).to.deep.equal([])
  })

  it('secrets set asks for the value with a prompt that shows nothing of it', async () => {
    const terminal = runInTerminal(['secrets', 'set', 'acme', 'elevenlabs', '--workspace', workspace.root], {
      env: env(),
    })
    await terminal.waitFor(/New acme elevenlabs secret/)
    terminal.type(`${VALUE}${KEYS.enter}`)
    expect(await terminal.exit(), terminal.output).to.equal(0)
    expect(fake.staged(fake.secret(ACME, 'seiketsu/acme/elevenlabs')!, 'AWSCURRENT')!.value).to.equal(VALUE)
    expect(terminal.output).to.contain('Put a new value into seiketsu/acme/elevenlabs')
    expect(terminal.output).to.not.contain(VALUE).and.not.contain('*'.repeat(VALUE.length))
  })

  it('rotate-keys --kind secrets asks for each new value after the confirmation; an empty answer keeps a secret', async () => {
    const terminal = runInTerminal(['rotate-keys', '--kind', 'secrets', '--workspace', workspace.root], {env: env()})
    await terminal.waitFor(/Rotate secrets of acme\?/)
    terminal.type(`y${KEYS.enter}`)
    await terminal.waitFor(/New elevenlabs secret of acme/)
    terminal.type(`${VALUE}${KEYS.enter}`)
    await terminal.waitFor(/New twilio secret of acme/)
    terminal.type(KEYS.enter)
    expect(await terminal.exit(), terminal.output).to.equal(0)
    expect(fake.staged(fake.secret(ACME, 'seiketsu/acme/elevenlabs')!, 'AWSCURRENT')!.value).to.equal(VALUE)
    expect(fake.secret(ACME, 'seiketsu/acme/twilio')!.versions).to.have.length(0)
    expect(terminal.output).to.match(/acme\s+secrets\s+rotated\s+elevenlabs: new value put; twilio: kept/)
    expect(terminal.output).to.not.contain(VALUE)
  })
})
