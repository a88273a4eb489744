import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {ClientManifest} from '../../src/registry/manifest.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

type UpdateJson = {client: ClientManifest; changed: {field: string; from: unknown; to: unknown}[]; dryRun: boolean}

describe('seiketsu clients update', () => {
  let workspace: Workspace
  const manifest = () => readFile(join(workspace.root, 'clients', 'acme-realty.yaml'), 'utf8')
  beforeEach(async () => {
    workspace = await makeWorkspace({
      clients: [draftClient('acme-realty'), draftClient('beta-homes', {accountId: '222222222222'})],
    })
  })

  it('changes name, email and tier, and records one trail entry', async () => {
    const result = await runCli(
      [
        'clients',
        'update',
        'acme-realty',
        '--tier',
        'gold',
        '--email',
        'new@acme.example',
        '--name',
        'Acme Realty Group',
        '--json',
      ],
      {
        cwd: workspace.root,
      },
    )
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = parseJson<UpdateJson>(result)
    expect(json.changed.map((c) => c.field)).to.deep.equal(['name', 'email', 'tier'])
    expect(json.client).to.deep.include({email: 'new@acme.example', name: 'Acme Realty Group', tier: 'gold'})
    expect(await manifest()).to.include('tier: gold')
    const trail = (await readFile(join(workspace.root, '.seiketsu', 'audit-trail.jsonl'), 'utf8')).trim().split('\n')
    const last = JSON.parse(trail.at(-1)!)
    expect(last).to.deep.include({action: 'update', client: 'acme-realty', command: 'clients update acme-realty'})
    expect(last.change.tier).to.deep.equal({from: 'silver', to: 'gold'})
  })

  it('replaces the enabled integrations, keeping settings of those that stay on', async () => {
    const result = await runCli(
      [
        'clients',
        'update',
        'acme-realty',
        '--integrations',
        'elevenlabs,mls',
        '--setting',
        'mls.provider=bright',
        '--json',
      ],
      {
        cwd: workspace.root,
      },
    )
    expect(result.exitCode, result.stderr).to.equal(0)
    const {integrations} = parseJson<UpdateJson>(result).client
    expect(integrations.elevenlabs).to.deep.equal({enabled: true, settings: {voiceId: 'rachel'}})
    expect(integrations.mls).to.deep.equal({enabled: true, settings: {provider: 'bright'}})
    expect(integrations.twilio).to.deep.equal({enabled: false, settings: {}})
  })

  it('moves status one way and refuses going back from offboarding', async () => {
    expect(
      (await runCli(['clients', 'update', 'acme-realty', '--status', 'suspended'], {cwd: workspace.root})).exitCode,
    ).to.equal(0)
    expect(
      (await runCli(['clients', 'update', 'acme-realty', '--status', 'offboarding'], {cwd: workspace.root})).exitCode,
    ).to.equal(0)
    const before = await manifest()
    const back = await runCli(['clients', 'update', 'acme-realty', '--status', 'active'], {cwd: workspace.root})
    expect(back.exitCode).to.equal(2)
    expect(back.errorText).to.include('offboarding → active is not allowed')
    expect(await manifest()).to.equal(before)
  })

  it('rejects bad input with exit 2 and changes nothing', async () => {
    const before = await manifest()
    const cases: [string[], RegExp][] = [
      [['--tier', 'platinum'], /tier: unknown tier 'platinum'/],
      [['--email', 'nope'], /email: must be an email address/],
      [['--account-id', '222222222222'], /account 222222222222 already belongs to client 'beta-homes'/],
      [['--account-id', '12'], /accountId: must be a 12-digit AWS account id/],
      [['--setting', 'crm.provider=x'], /crm is off: enable it/],
      [['--integrations', 'fax'], /unknown integration 'fax'/],
      [[], /Missing --name, --email, --tier/],
    ]
    for (const [flags, message] of cases) {
      const result = await runCli(['clients', 'update', 'acme-realty', ...flags], {cwd: workspace.root})
      expect(result.exitCode, flags.join(' ')).to.equal(2)
      expect(result.errorText).to.match(message)
    }
    expect(await manifest()).to.equal(before)
    const unknown = await runCli(['clients', 'update', 'nobody', '--tier', 'gold'], {cwd: workspace.root})
    expect(unknown.exitCode).to.equal(2)
  })

  it('--dry-run shows the change and writes nothing', async () => {
    const before = await manifest()
    const result = await runCli(['clients', 'update', 'acme-realty', '--tier', 'bronze', '--dry-run'], {
      cwd: workspace.root,
    })
    expect(result.stdout).to.include('would change tier: "silver" → "bronze"')
    expect(await manifest()).to.equal(before)
  })
})

describe('seiketsu clients update --account-id new', () => {
  it("is refused: 'new' only means something at onboarding", async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme-realty')]})
    const result = await runCli(['clients', 'update', 'acme-realty', '--tier', 'gold', '--account-id', 'new'], {
      cwd: workspace.root,
    })
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.include("--account-id: 'new' only means something at onboarding")
  })
})
