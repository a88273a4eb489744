import {expect} from 'chai'

import type {ClientManifest} from '../../src/registry/manifest.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

describe('seiketsu clients', () => {
  let workspace: Workspace
  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme-realty', {accountId: '222222222222'}),
        draftClient('beta-homes', {tier: 'gold'}),
        draftClient('euro-estates', {region: 'eu-west-1', residency: 'eu', tier: 'gold'}),
      ],
    })
  })

  it('list --json returns every client with its manifest fields', async () => {
    const result = await runCli(['clients', 'list', '--json'], {cwd: workspace.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    const {clients} = parseJson<{clients: ClientManifest[]}>(result)
    expect(clients.map((client) => client.id)).to.deep.equal(['acme-realty', 'beta-homes', 'euro-estates'])
    expect(clients[0]).to.have.keys([
      'accountId',
      'cidr',
      'createdAt',
      'drRegion',
      'email',
      'id',
      'integrations',
      'name',
      'region',
      'residency',
      'status',
      'tier',
      'updatedAt',
    ])
    expect(clients[2]).to.deep.include({cidr: '10.2.0.0/16', drRegion: 'eu-central-1', region: 'eu-west-1'})
  })

  it('list filters by tier and status, from --workspace anywhere', async () => {
    const elsewhere = await makeTempDir()
    const gold = await runCli(['clients', 'list', '--tier', 'gold', '--workspace', workspace.root, '--json'], {
      cwd: elsewhere,
    })
    expect(parseJson<{clients: ClientManifest[]}>(gold).clients.map((c) => c.id)).to.deep.equal([
      'beta-homes',
      'euro-estates',
    ])
    const suspended = await runCli(['clients', 'list', '--status', 'suspended', '-w', workspace.root, '--json'], {
      cwd: elsewhere,
    })
    expect(parseJson(suspended)).to.deep.equal({clients: []})
  })

  it('list prints a table for people', async () => {
    const result = await runCli(['clients', 'list'], {cwd: workspace.root})
    expect(result.exitCode).to.equal(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).to.match(/^ID\s+NAME\s+TIER\s+STATUS\s+REGION\s+ACCOUNT\s+CIDR\s+INTEGRATIONS/)
    expect(lines[1]).to.match(
      /^acme-realty\s+acme-realty Realty\s+silver\s+active\s+us-east-1\s+222222222222\s+10\.0\.0\.0\/16\s+elevenlabs,twilio/,
    )
    expect(lines).to.have.length(4)
  })

  it('list rejects an unknown tier and an unknown status with exit 2', async () => {
    const tier = await runCli(['clients', 'list', '--tier', 'platinum'], {cwd: workspace.root})
    expect(tier.exitCode).to.equal(2)
    expect(tier.errorText).to.include("--tier: unknown tier 'platinum' (allowed: bronze, silver, gold, enterprise)")
    const status = await runCli(['clients', 'list', '--status', 'gone', '--json'], {cwd: workspace.root})
    expect(status.exitCode).to.equal(2)
    expect(parseJson<{error: {message: string}}>(status).error.message).to.include(
      'Expected --status=gone to be one of',
    )
  })

  it('show prints one client; --json returns it', async () => {
    const json = await runCli(['clients', 'show', 'euro-estates', '--json'], {cwd: workspace.root})
    expect(parseJson<{client: ClientManifest}>(json).client).to.deep.include({id: 'euro-estates', tier: 'gold'})
    const text = await runCli(['clients', 'show', 'acme-realty'], {cwd: workspace.root})
    expect(text.stdout)
      .to.match(/^account\s+222222222222$/m)
      .and.match(/^ElevenLabs\s+on voiceId=rachel$/m)
      .and.match(/^MLS\s+off$/m)
  })

  it('show of an unknown client is exit 2 with a suggestion', async () => {
    const result = await runCli(['clients', 'show', 'acme-reality', '--json'], {cwd: workspace.root})
    expect(result.exitCode).to.equal(2)
    const {error} = parseJson<{error: {code: string; suggestions: string[]}}>(result)
    expect(error.code).to.equal('UNKNOWN_CLIENT')
    expect(error.suggestions[0]).to.equal('did you mean acme-realty (for acme-reality)?')
  })

  it('outside any workspace: exit 2 telling how to create or find one', async () => {
    const result = await runCli(['clients', 'list'], {cwd: await makeTempDir()})
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.include('No seiketsu workspace in').and.include('seiketsu init')
  })

  it('a misspelt command suggests the right one; an unknown flag is exit 2', async () => {
    const flag = await runCli(['clients', 'list', '--colour', '--json'], {cwd: workspace.root})
    expect(flag.exitCode).to.equal(2)
    expect(parseJson<{error: {message: string}}>(flag).error.message).to.include('Nonexistent flag: --colour')
    const command = await runCli(['client', 'list'], {cwd: workspace.root})
    expect(command.exitCode).to.equal(2)
    expect(command.errorText).to.include('client list is not a seiketsu command').and.include('seiketsu help')
  })
})
