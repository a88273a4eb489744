import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {parse} from 'yaml'

import type {OnboardResult} from '../../src/onboard/onboard.ts'
import {verifyTrail} from '../../src/registry/audit-trail.ts'
import {loadRegistry, readRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {binPath, parseJson, runCli} from '../helpers/cli.ts'
import {KEYS, runInTerminal} from '../helpers/pty.ts'
import {snapshotTree} from '../helpers/snapshot.ts'
import {standinPath} from '../helpers/terraform.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const ACME = [
  '--name',
  'Acme Realty',
  '--email',
  'ops@acme.example',
  '--tier',
  'silver',
  '--region',
  'us-east-1',
  '--account-id',
  '222222222222',
]

describe('seiketsu onboard', () => {
  let workspace: Workspace
  beforeEach(async () => {
    workspace = await makeWorkspace()
  })
  const onboard = (args: string[], env?: NodeJS.ProcessEnv) => runCli(['onboard', ...args], {cwd: workspace.root, env})

  describe('in CI (no TTY, CI set)', () => {
    it('onboards from flags: manifest, signing keys, synthesized and audited stack, cost, next commands', async () => {
      const result = await onboard([
        ...ACME,
        '--integrations',
        'elevenlabs,twilio',
        '--setting',
        'elevenlabs.voiceId=rachel',
        '--json',
      ])
      expect(result.exitCode, result.stderr).to.equal(0)
      const json = parseJson<OnboardResult>(result)
      const [client] = json.clients
      expect(client).to.deep.include({
        accountId: '222222222222',
        cidr: '10.0.0.0/16',
        created: true,
        drRegion: 'us-west-2',
        id: 'acme-realty',
        manifest: 'clients/acme-realty.yaml',
      })
      expect(client!.audit).to.deep.equal({findings: 0, passed: true})
      expect(client!.stack!.resources).to.be.greaterThan(90)
      expect(client!.estimate!.monthly).to.match(/^\d[\d,]*\.\d\d$/)
      expect(client!.signingKeys).to.deep.equal({created: true})
      // In the order the stacks apply: the platform (its budget), the account's bootstrap, the client
      // stack, its secrets, then once more to start the service.
      expect(json.next).to.deep.equal([
        'seiketsu plan platform && seiketsu provision platform   (the client budgets)',
        "seiketsu plan acme-realty && seiketsu provision acme-realty   (twice on the first day: its account's bootstrap stack, then its stack)",
        'seiketsu secrets set acme-realty elevenlabs',
        'seiketsu secrets set acme-realty twilio',
        'seiketsu plan acme-realty && seiketsu provision acme-realty   (once image.digest is set and the secrets hold values: the service starts)',
      ])
      expect(client!.alerts).to.equal('email oncall@seiketsu.example')
      const manifest = parse(await readFile(join(workspace.root, 'clients', 'acme-realty.yaml'), 'utf8'))
      expect(manifest).to.deep.include({
        email: 'ops@acme.example',
        name: 'Acme Realty',
        residency: 'us',
        status: 'active',
        tier: 'silver',
      })
      expect(manifest.integrations.elevenlabs).to.deep.equal({enabled: true, settings: {voiceId: 'rachel'}})
      const stack = JSON.parse(
        await readFile(join(workspace.root, 'cdktf.out', 'stacks', 'acme-realty', 'cdk.tf.json'), 'utf8'),
      )
      expect(stack.resource.aws_vpc).to.be.an('object')
      const trail = (await readFile(join(workspace.root, '.seiketsu', 'audit-trail.jsonl'), 'utf8')).trim().split('\n')
      expect(verifyTrail(trail).ok).to.equal(true)
      expect(trail.map((line) => JSON.parse(line).action)).to.include('onboard')
    })

    it('prints progress as plain lines and a summary', async () => {
      const result = await onboard([...ACME])
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(result.stdout).to.match(/✔ Wrote clients\/acme-realty\.yaml/)
      expect(result.stdout).to.match(/✔ Audited: no finding/)
      expect(result.stdout).to.match(/^ {2}tier {7}silver: budget \$1,000\.00\/month, price \$1,799\.00\/month$/m)
      expect(result.stdout).to.not.include(String.fromCharCode(27))
    })

    it('a missing value is exit 2 naming the flags, at once, and writes nothing', async () => {
      const before = await snapshotTree(workspace.root)
      const started = Date.now()
      const result = await onboard(['--name', 'Beta Homes', '--json'])
      expect(result.exitCode).to.equal(2)
      expect(parseJson<{error: {details: {missing: string[]}}}>(result).error.details.missing).to.deep.equal([
        '--email',
        '--tier',
        '--region',
        '--account-id',
      ])
      expect(Date.now() - started).to.be.below(15_000)
      expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    })

    it('--apply without --yes is refused before anything is written', async () => {
      const before = await snapshotTree(workspace.root)
      const result = await onboard([...ACME, '--apply'])
      expect(result.exitCode).to.equal(2)
      expect(result.errorText).to.include('--yes')
      expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    })

    it('--dry-run shows the manifest and the stack it would write, and writes nothing', async () => {
      const before = await snapshotTree(workspace.root)
      const result = await onboard([...ACME, '--dry-run'])
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(result.stdout).to.include('acme-realty: would onboard')
      expect(result.stdout).to.match(/\| cidr: 10\.0\.0\.0\/16/)
      expect(result.stdout).to.match(/Would synthesize acme-realty \(\d+ resources\)/)
      expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    })

    it('is idempotent: the same input again changes nothing; different input is exit 2', async () => {
      expect((await onboard(ACME)).exitCode).to.equal(0)
      const manifest = join(workspace.root, 'clients', 'acme-realty.yaml')
      const first = await readFile(manifest, 'utf8')
      const again = await onboard([...ACME, '--json'])
      expect(again.exitCode, again.stderr).to.equal(0)
      expect(parseJson<OnboardResult>(again).clients[0]!.created).to.equal(false)
      expect(await readFile(manifest, 'utf8')).to.equal(first)
      const before = await snapshotTree(workspace.root)
      const changed = await onboard([...ACME.map((value) => (value === 'silver' ? 'gold' : value))])
      expect(changed.exitCode).to.equal(2)
      expect(changed.errorText)
        .to.include('tier: registry has "silver", input has "gold"')
        .and.include('seiketsu clients update')
      expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    })
  })

  describe('--file', () => {
    it('onboards one client from a JSON file', async () => {
      const file = join(workspace.root, 'acme.json')
      await writeFile(
        file,
        JSON.stringify({
          accountId: 'new',
          email: 'ops@acme.example',
          id: 'acme',
          integrations: ['mls'],
          name: 'Acme',
          region: 'eu-west-1',
          tier: 'gold',
        }),
      )
      const result = await onboard(['--file', file, '--json'])
      expect(result.exitCode, result.stderr).to.equal(0)
      const [client] = parseJson<OnboardResult>(result).clients
      expect(client).to.deep.include({accountId: null, drRegion: 'eu-central-1', id: 'acme', region: 'eu-west-1'})
    })

    it('onboards a whole fleet in one run (one synth)', async () => {
      const result = await onboard(['--file', join(process.cwd(), 'templates', 'example-fleet.yaml'), '--json'])
      expect(result.exitCode, result.stderr).to.equal(0)
      const {clients} = parseJson<OnboardResult>(result)
      expect(clients.map((c) => [c.id, c.cidr])).to.deep.equal([
        ['acme-realty', '10.0.0.0/16'],
        ['harbor-homes', '10.1.0.0/16'],
        ['summit-estates-group', '10.2.0.0/16'],
        ['maison-europe-immobilier', '10.3.0.0/16'],
      ])
      expect(clients.every((c) => c.audit?.passed)).to.equal(true)
      expect((await readdir(join(workspace.root, 'cdktf.out', 'stacks'))).sort()).to.deep.equal([
        'acme-realty',
        'harbor-homes',
        'maison-europe-immobilier',
        'platform',
        'summit-estates-group',
      ])
    })
  })

  describe('bad input: exit 2 naming the field, and the workspace unchanged', () => {
    beforeEach(async () => {
      workspace = await makeWorkspace({clients: [draftClient('taken', {accountId: '333333333333'})]})
    })

    const cases: [string, string[], RegExp][] = [
      ['an id with path characters', [...ACME, '--id', '../evil'], /--id: 3-32 characters/],
      ['an upper-case id', [...ACME, '--id', 'AcmeRealty'], /--id: 3-32 characters/],
      ['a too long id', [...ACME, '--id', 'a'.repeat(33)], /--id: 3-32 characters/],
      ['a too short id', [...ACME, '--id', 'ab'], /--id: 3-32 characters/],
      [
        'a malformed email',
        [...ACME.map((v) => (v === 'ops@acme.example' ? 'ops-at-acme' : v))],
        /--email: must be an email address/,
      ],
      ['an unknown tier', [...ACME.map((v) => (v === 'silver' ? 'platinum' : v))], /--tier: unknown tier 'platinum'/],
      [
        'a region outside the residency',
        [...ACME, '--residency', 'eu'],
        /--region: us-east-1 is not allowed for residency 'eu'/,
      ],
      [
        'an account id that is not 12 digits',
        [...ACME.map((v) => (v === '222222222222' ? '1234' : v))],
        /--account-id: must be a 12-digit AWS account id/,
      ],
      [
        'an account of another client',
        [...ACME.map((v) => (v === '222222222222' ? '333333333333' : v))],
        /--account-id: account 333333333333 already belongs to client 'taken'/,
      ],
      ['an unknown integration', [...ACME, '--integrations', 'fax'], /unknown integration 'fax'/],
    ]
    for (const [what, args, message] of cases)
      it(what, async () => {
        const before = await snapshotTree(workspace.root)
        const result = await onboard(args)
        expect(result.exitCode, result.stderr).to.equal(2)
        expect(result.errorText).to.match(message)
        expect(await snapshotTree(workspace.root)).to.deep.equal(before)
      })

    const files: [string, string, RegExp][] = [
      ['an unreadable file', '', /missing\.yaml: not found/],
      ['a malformed file', 'clients: [ {name: x', /bad\.yaml(:\d+)?: not valid YAML/],
      [
        'unknown keys',
        'name: X\nemail: x@x.example\ntier: gold\nregion: us-east-1\naccountId: new\ncolour: blue\n',
        /bad\.yaml:6: unknown key 'colour'/,
      ],
      [
        'a bad entry in a bulk file',
        'clients:\n  - {name: Ok Co, email: ok@ok.example, tier: gold, region: us-east-1, accountId: new}\n  - {name: Bad Co, email: nope, tier: gold, region: us-east-1, accountId: new}\n',
        /bad\.yaml clients\[1\]: email: must be an email address/,
      ],
      [
        'an account id written as a number',
        'name: X\nemail: x@x.example\ntier: gold\nregion: us-east-1\naccountId: 123456789012\n',
        /accountId: a quoted 12-digit account id, 'new' or null/,
      ],
    ]
    for (const [what, content, message] of files)
      it(`--file with ${what}`, async () => {
        const file = join(workspace.root, content ? 'bad.yaml' : 'missing.yaml')
        if (content) await writeFile(file, content)
        const before = await snapshotTree(workspace.root)
        const result = await onboard(['--file', file])
        expect(result.exitCode, result.stderr).to.equal(2)
        expect(result.errorText).to.match(message)
        expect(await snapshotTree(workspace.root)).to.deep.equal(before)
      })
  })

  describe('several operators and crashes', () => {
    const spawnOnboard = (name: string) =>
      new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            binPath,
            'onboard',
            '--name',
            name,
            '--email',
            'ops@example.com',
            '--tier',
            'bronze',
            '--region',
            'us-east-1',
            '--account-id',
            'new',
          ],
          {
            cwd: workspace.root,
            env: {...process.env, CI: 'true'},
            stdio: 'ignore',
          },
        )
        child.on('close', (code) => resolve(code ?? -1))
      })

    it('several processes onboarding at once get distinct CIDRs and a valid registry', async () => {
      const codes = await Promise.all(['Alpha Homes', 'Bravo Homes', 'Charlie Homes', 'Delta Homes'].map(spawnOnboard))
      expect(codes).to.deep.equal([0, 0, 0, 0])
      const registry = await loadRegistry(workspace)
      expect(registry.clients.map((c) => c.cidr).sort()).to.deep.equal([
        '10.0.0.0/16',
        '10.1.0.0/16',
        '10.2.0.0/16',
        '10.3.0.0/16',
      ])
    })

    it('a process killed mid-way leaves a loadable registry; rerunning the same command completes', async () => {
      const args = [binPath, 'onboard', '--file', join(process.cwd(), 'templates', 'example-fleet.yaml')]
      for (const delayMs of [300, 900]) {
        const child = spawn(process.execPath, args, {
          cwd: workspace.root,
          env: {...process.env, CI: 'true'},
          stdio: 'ignore',
        })
        // Listen before waiting: a run that finishes within the delay must not be waited for forever.
        const closed = new Promise((resolve) => child.on('close', resolve))
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        child.kill('SIGKILL')
        await closed
        expect((await readRegistry(workspace)).problems).to.deep.equal([])
      }
      const rerun = await onboard(['--file', join(process.cwd(), 'templates', 'example-fleet.yaml'), '--json'])
      expect(rerun.exitCode, rerun.stderr).to.equal(0)
      expect(parseJson<OnboardResult>(rerun).clients.every((client) => client.audit?.passed)).to.equal(true)
      expect((await loadRegistry(workspace)).clients).to.have.length(4)
    })
  })

  describe('on a terminal', () => {
    it('asks for every value, re-asks an invalid answer, confirms, then onboards', async () => {
      const terminal = runInTerminal(['onboard'], {cwd: workspace.root})
      await terminal.waitFor(/Company name/)
      terminal.type(`Acme Realty${KEYS.enter}`)
      await terminal.waitFor(/Client id/)
      terminal.type(KEYS.enter) // keep the suggested acme-realty
      await terminal.waitFor(/Contact email/)
      terminal.type(`not-an-email${KEYS.enter}`)
      await terminal.waitFor(/must be an email address/)
      terminal.type(`${KEYS.backspace.repeat(12)}ops@acme.example${KEYS.enter}`)
      await terminal.waitFor(/Data residency/)
      terminal.type(KEYS.enter) // us
      await terminal.waitFor(/Region/)
      terminal.type(KEYS.enter) // us-east-1
      await terminal.waitFor(/Tier/)
      terminal.type(`${KEYS.down}${KEYS.enter}`) // silver
      await terminal.waitFor(/AWS account/)
      terminal.type(KEYS.enter) // a new account
      await terminal.waitFor(/Integrations/)
      terminal.type(`${KEYS.space}${KEYS.enter}`) // ElevenLabs
      await terminal.waitFor(/ElevenLabs voice id/)
      terminal.type(`rachel${KEYS.enter}`)
      await terminal.waitFor(/Write the manifest, synthesize and audit/)
      terminal.type(KEYS.enter)
      expect(await terminal.exit(), terminal.output).to.equal(0)
      const manifest = parse(await readFile(join(workspace.root, 'clients', 'acme-realty.yaml'), 'utf8'))
      expect(manifest).to.deep.include({accountId: null, email: 'ops@acme.example', tier: 'silver'})
      expect(manifest.integrations.elevenlabs).to.deep.equal({enabled: true, settings: {voiceId: 'rachel'}})
    })

    it('Ctrl-C at a prompt exits 130 and leaves nothing behind', async () => {
      const before = await snapshotTree(workspace.root)
      const terminal = runInTerminal(['onboard', '--name', 'Acme Realty'], {cwd: workspace.root})
      await terminal.waitFor(/Client id/)
      terminal.type(KEYS.ctrlC)
      expect(await terminal.exit()).to.equal(130)
      expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    })
  })

  describe('--plan', () => {
    it('plans the new client with terraform after the audit', async () => {
      const result = await onboard([...ACME, '--plan', '--json'], {SEIKETSU_TERRAFORM_BIN: standinPath})
      expect(result.exitCode, result.stderr).to.equal(0)
      const json = parseJson<OnboardResult>(result)
      // The platform stack too (it holds the budget); the client stack waits for its account's bootstrap.
      expect(json.plan!.clients.map((client) => [client.id, client.status])).to.deep.equal([
        ['acme-realty/bootstrap', 'planned'],
        ['acme-realty', 'skipped'],
        ['platform', 'planned'],
      ])
      expect(json.plan!.clients[0]!.add).to.equal(5)
      expect(json.next).to.deep.equal(['seiketsu provision platform acme-realty'])
    })
  })
})

describe('seiketsu onboard: review fixes', () => {
  let workspace: Workspace
  beforeEach(async () => {
    workspace = await makeWorkspace()
  })
  const onboard = (args: string[]) => runCli(['onboard', ...args], {cwd: workspace.root})

  it('--setting needs its integration in --integrations; a malformed one is an error', async () => {
    const before = await snapshotTree(workspace.root)
    const off = await onboard([...ACME, '--setting', 'elevenlabs.voiceId=x'])
    expect(off.exitCode).to.equal(2)
    expect(off.errorText).to.include("--setting: 'elevenlabs' is not one of the enabled integrations (none)")
    const garbage = await onboard([...ACME, '--integrations', 'elevenlabs', '--setting', 'garbage'])
    expect(garbage.exitCode).to.equal(2)
    expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    const ok = await onboard([...ACME, '--integrations', 'elevenlabs', '--setting', 'elevenlabs.voiceId=x', '--json'])
    expect(ok.exitCode, ok.stderr).to.equal(0)
    const manifest = parse(await readFile(join(workspace.root, 'clients', 'acme-realty.yaml'), 'utf8'))
    expect(manifest.integrations.elevenlabs.settings).to.deep.equal({voiceId: 'x'})
  })

  it('a name no id can be derived from asks for --id', async () => {
    const result = await onboard([
      '--name',
      '株式会社',
      '--email',
      'a@b.example',
      '--tier',
      'bronze',
      '--region',
      'us-east-1',
      '--account-id',
      'new',
    ])
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.include("Cannot derive a client id from the name '株式会社': pass --id")
  })

  it('an empty fleet file is exit 2', async () => {
    const file = join(workspace.root, 'empty.yaml')
    await writeFile(file, 'clients: []\n')
    const result = await onboard(['--file', file])
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.include('clients: is empty')
  })

  it('a region in no residency is named as such', async () => {
    const result = await onboard([...ACME.map((v) => (v === 'us-east-1' ? 'ap-southeast-2' : v))])
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.include('region ap-southeast-2 belongs to no residency of seiketsu.yaml (us: us-east-1')
  })

  it('suggests the platform stack, not plan, for a client still waiting for its account', async () => {
    const result = await onboard([
      ...ACME.map((v) => (v === '222222222222' ? 'new' : v)),
      '--integrations',
      'twilio',
      '--json',
    ])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(parseJson<OnboardResult>(result).next).to.deep.equal([
      'seiketsu plan platform && seiketsu provision platform   (the client budgets; creates the AWS accounts of acme-realty)',
      'seiketsu clients update acme-realty --account-id <new account id>   (once created)',
    ])
  })

  it('a broken audit trail stops onboarding before anything is written', async () => {
    await onboard([
      '--name',
      'First Co',
      '--email',
      'a@first.example',
      '--tier',
      'bronze',
      '--region',
      'us-east-1',
      '--account-id',
      'new',
    ])
    const trail = join(workspace.root, '.seiketsu', 'audit-trail.jsonl')
    await writeFile(trail, `${await readFile(trail, 'utf8')}>>>>>>> feature-x\n`)
    const before = await snapshotTree(workspace.root)
    const result = await onboard(ACME)
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.match(/\.seiketsu\/audit-trail\.jsonl:\d+: the last line is not a trail record/)
    expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    const update = await runCli(['clients', 'update', 'first-co', '--tier', 'gold'], {cwd: workspace.root})
    expect(update.exitCode).to.equal(2)
    expect(await snapshotTree(workspace.root)).to.deep.equal(before)
    const list = await runCli(['audit', 'trail'], {cwd: workspace.root})
    expect(list.exitCode).to.equal(3)
    expect(list.errorText).to.match(/broken at line \d+ of/)
  })
})
