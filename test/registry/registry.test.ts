import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {isSeiketsuError} from '../../src/errors.ts'
import {verifyTrail} from '../../src/registry/audit-trail.ts'
import {addClients, updateClient} from '../../src/registry/changes.ts'
import {loadRegistry, readRegistry, serializeManifest} from '../../src/registry/registry.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const addProcess = fileURLToPath(new URL('../helpers/add-clients-process.ts', import.meta.url))

async function expectUsageError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    expect(isSeiketsuError(error), String(error)).to.equal(true)
    expect((error as {exitCode: number}).exitCode).to.equal(2)
    return (error as Error).message
  }
  expect.fail('expected a usage error')
}

const VALID = (id: string, extra = '') => `id: ${id}
name: ${id} Realty
email: ops@${id}.example
tier: silver
residency: us
region: us-east-1
drRegion: us-west-2
accountId: null
cidr: 10.9.0.0/16
integrations: {}
status: active
createdAt: "2026-01-01T00:00:00.000Z"
updatedAt: "2026-01-01T00:00:00.000Z"
${extra}`

describe('client registry', () => {
  let workspace: Workspace
  beforeEach(async () => {
    workspace = await makeWorkspace()
  })

  const writeClient = (name: string, text: string) =>
    writeFile(join(workspacePaths(workspace.root).clients, name), text)

  describe('manifest validation', () => {
    it('names the file, line, field, what was found and what is allowed', async () => {
      await writeClient(
        'bad-one.yaml',
        VALID('bad-one')
          .replace('email: ops@bad-one.example', 'email: not-an-email')
          .replace('tier: silver', 'tier: platinum')
          .replace('accountId: null', 'accountId: 12345'),
      )
      const message = await expectUsageError(loadRegistry(workspace))
      expect(message).to.include('clients/bad-one.yaml:3: email: must be an email address')
      expect(message).to.include('found "not-an-email"')
      expect(message).to.include('clients/bad-one.yaml:8: accountId: must be a quoted string')
    })

    it('reports unknown keys, a wrong id, a region outside the residency and an unknown tier, all at once', async () => {
      await writeClient('typo.yaml', VALID('typo', 'colour: blue\n'))
      await writeClient('mismatch.yaml', VALID('other-name').replace('cidr: 10.9.0.0/16', 'cidr: 10.10.0.0/16'))
      await writeClient(
        'eu-client.yaml',
        VALID('eu-client')
          .replace('region: us-east-1', 'region: eu-west-1')
          .replace('tier: silver', 'tier: platinum')
          .replace('cidr: 10.9.0.0/16', 'cidr: 10.11.0.0/16'),
      )
      const {problems} = await readRegistry(workspace)
      const lines = problems.map((p) => `${p.file}:${p.line ?? '-'}: ${p.field}: ${p.message}`)
      expect(lines).to.include(
        "clients/typo.yaml:14: undefined: unknown key 'colour'; remove it (check the spelling against the template)",
      )
      expect(
        lines.some((line) => line.startsWith("clients/mismatch.yaml:1: id: id 'other-name' must match the file name")),
      ).to.equal(true)
      expect(
        lines.some((line) => line.includes("eu-client.yaml:6: region: eu-west-1 is not allowed for residency 'us'")),
      ).to.equal(true)
      expect(
        lines.some((line) =>
          line.includes("eu-client.yaml:4: tier: unknown tier 'platinum' (allowed: bronze, silver, gold, enterprise)"),
        ),
      ).to.equal(true)
    })

    it('reports duplicate accounts and overlapping CIDRs across the fleet', async () => {
      await writeClient('alpha.yaml', VALID('alpha').replace('accountId: null', 'accountId: "222222222222"'))
      await writeClient(
        'beta.yaml',
        VALID('beta').replace('accountId: null', 'accountId: "222222222222"').replace('10.9.0.0/16', '10.9.128.0/17'),
      )
      const {problems} = await readRegistry(workspace)
      expect(problems.map((p) => `${p.file} ${p.field}: ${p.message}`)).to.have.members([
        "clients/beta.yaml accountId: account 222222222222 already belongs to client 'alpha'",
        "clients/beta.yaml cidr: 10.9.128.0/17 overlaps 10.9.0.0/16 of client 'alpha'",
      ])
    })

    it('rejects a malformed YAML file naming its line', async () => {
      await writeClient('broken.yaml', 'id: broken\nname: [unclosed\n')
      const message = await expectUsageError(loadRegistry(workspace))
      expect(message).to.match(/clients\/broken\.yaml(:\d+)?: not valid YAML/)
    })

    it('makes every command that reads the registry exit 2', async () => {
      await writeClient('typo.yaml', VALID('typo', 'colour: blue\n'))
      const result = await runCli(['clients', 'list', '--json'], {cwd: workspace.root})
      expect(result.exitCode).to.equal(2)
      const error = parseJson<{error: {code: string; details: {problems: {file: string}[]}}}>(result).error
      expect(error.code).to.equal('INVALID_INPUT')
      expect(error.details.problems[0]!.file).to.equal('clients/typo.yaml')
    })
  })

  describe('adding clients', () => {
    it('allocates the lowest free CIDR and derives the DR region from the residency', async () => {
      const [first] = await addClients(workspace, [{draft: draftClient('acme'), source: {file: 'test'}}], {
        command: 'test',
      })
      const [second] = await addClients(
        workspace,
        [{draft: draftClient('euro-homes', {region: 'eu-west-1', residency: 'eu'}), source: {file: 'test'}}],
        {command: 'test'},
      )
      expect(first!.client).to.deep.include({cidr: '10.0.0.0/16', drRegion: 'us-west-2', status: 'active'})
      expect(second!.client).to.deep.include({cidr: '10.1.0.0/16', drRegion: 'eu-central-1'})
    })

    it('allocates /20 blocks when the workspace prefix is 20', async () => {
      workspace = await makeWorkspace({configText: (text) => text.replace('prefixLength: 16', 'prefixLength: 20')})
      const outcomes = await addClients(
        workspace,
        ['a-one', 'a-two', 'a-three'].map((id) => ({draft: draftClient(id), source: {file: 'test'}})),
        {command: 'test'},
      )
      expect(outcomes.map((o) => o.client.cidr)).to.deep.equal(['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'])
    })

    it('fails clearly when the pool is full, writing nothing', async () => {
      workspace = await makeWorkspace({
        configText: (text) => text.replace('pools: [10.0.0.0/8]', 'pools: [10.0.0.0/15]'),
      })
      await addClients(
        workspace,
        ['one-a', 'two-b'].map((id) => ({draft: draftClient(id), source: {file: 'test'}})),
        {command: 'test'},
      )
      const message = await expectUsageError(
        addClients(workspace, [{draft: draftClient('three-c'), source: {file: 'test'}}], {command: 'test'}),
      )
      expect(message).to.include('seiketsu.yaml: network.pools: the pools are full: all 2 /16 blocks are taken')
      expect((await readdir(workspacePaths(workspace.root).clients)).sort()).to.deep.equal([
        '.gitkeep',
        'one-a.yaml',
        'two-b.yaml',
      ])
    })

    it('refuses an account that belongs to another client and a region outside the residency', async () => {
      await addClients(
        workspace,
        [{draft: draftClient('first', {accountId: '333333333333'}), source: {file: 'test'}}],
        {command: 'test'},
      )
      const message = await expectUsageError(
        addClients(
          workspace,
          [
            {draft: draftClient('second', {accountId: '333333333333'}), source: {file: 'batch.yaml'}},
            {draft: draftClient('third', {region: 'eu-west-1'}), source: {file: 'batch.yaml'}},
          ],
          {command: 'test'},
        ),
      )
      expect(message).to.include("batch.yaml: accountId: account 333333333333 already belongs to client 'first'")
      expect(message).to.include("batch.yaml: region: eu-west-1 is not allowed for residency 'us'")
      expect((await loadRegistry(workspace)).clients.map((c) => c.id)).to.deep.equal(['first'])
    })

    it('re-adding the same client is a no-op leaving the file byte-identical; different input is exit 2', async () => {
      await addClients(workspace, [{draft: draftClient('acme'), source: {file: 'test'}}], {command: 'test'})
      const file = join(workspacePaths(workspace.root).clients, 'acme.yaml')
      const before = await readFile(file, 'utf8')
      const [again] = await addClients(workspace, [{draft: draftClient('acme'), source: {file: 'test'}}], {
        command: 'test',
      })
      expect(again!.created).to.equal(false)
      expect(await readFile(file, 'utf8')).to.equal(before)
      const message = await expectUsageError(
        addClients(workspace, [{draft: draftClient('acme', {tier: 'gold'}), source: {file: 'test'}}], {
          command: 'test',
        }),
      )
      expect(message).to.include('tier: registry has "silver", input has "gold"')
    })

    it('serializes manifests in a fixed key order, without secrets', async () => {
      const [outcome] = await addClients(workspace, [{draft: draftClient('acme'), source: {file: 'test'}}], {
        command: 'test',
      })
      const text = serializeManifest(outcome!.client)
      expect(
        text
          .split('\n')
          .filter((line) => /^\w/.test(line))
          .map((line) => line.split(':')[0]),
      ).to.deep.equal([
        'id',
        'name',
        'email',
        'tier',
        'residency',
        'region',
        'drRegion',
        'accountId',
        'cidr',
        'integrations',
        'status',
        'createdAt',
        'updatedAt',
      ])
    })

    it('refuses credential-looking integration settings', async () => {
      const message = await expectUsageError(
        addClients(
          workspace,
          [
            {
              draft: draftClient('leaky', {integrations: {twilio: {enabled: true, settings: {authToken: 'x'}}}}),
              source: {file: 'test'},
            },
          ],
          {command: 'test'},
        ),
      )
      expect(message).to.include("integrations.twilio.settings.authToken: 'authToken' looks like a credential")
    })

    it('refuses credentials inside setting values, and never repeats them in the error', async () => {
      const leaks = [
        'https://svc:Hunter2Pass@feed.example/rets',
        'https://feed.example/rets?access_token=abc123',
        'sk_live_51HxVeryVerySecretValue',
      ]
      for (const value of leaks) {
        const message = await expectUsageError(
          addClients(
            workspace,
            [
              {
                draft: draftClient('leaky', {integrations: {mls: {enabled: true, settings: {feedUrl: value}}}}),
                source: {file: 'test'},
              },
            ],
            {command: 'test'},
          ),
        )
        expect(message).to.include('integrations.mls.settings.feedUrl: the value')
        expect(message).to.include('value not shown')
        expect(message).to.not.include(value)
      }
      const secretName = await expectUsageError(
        addClients(
          workspace,
          [
            {
              draft: draftClient('leaky', {
                integrations: {twilio: {enabled: true, settings: {authToken: 'TWILIO_SECRET_XYZ'}}},
              }),
              source: {file: 'test'},
            },
          ],
          {command: 'test'},
        ),
      )
      expect(secretName).to.not.include('TWILIO_SECRET_XYZ')
    })

    it('updates a client, records the change, and keeps status transitions one way', async () => {
      await addClients(workspace, [{draft: draftClient('acme'), source: {file: 'test'}}], {command: 'test'})
      const {changed} = await updateClient(workspace, 'acme', {tier: 'gold'}, {command: 'test'})
      expect(changed).to.deep.equal([{field: 'tier', from: 'silver', to: 'gold'}])
      await updateClient(workspace, 'acme', {status: 'offboarding'}, {command: 'test'})
      const message = await expectUsageError(updateClient(workspace, 'acme', {status: 'active'}, {command: 'test'}))
      expect(message).to.include('offboarding → active is not allowed')
    })
  })

  describe('concurrency and crashes', () => {
    const run = (args: string[]) =>
      spawn(process.execPath, [addProcess, workspace.root, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
    const finished = (child: ReturnType<typeof run>) =>
      new Promise<{code: number | null; stderr: string}>((resolve) => {
        let stderr = ''
        child.stderr!.on('data', (chunk) => (stderr += chunk))
        child.on('close', (code) => resolve({code, stderr}))
      })

    it('several processes onboarding at once get distinct CIDRs and leave a valid registry', async () => {
      const children = [0, 1, 2, 3].map((worker) => run([0, 1, 2, 3, 4].map((n) => `worker${worker}-client${n}`)))
      const results = await Promise.all(children.map(finished))
      for (const result of results) expect(result.code, result.stderr).to.equal(0)
      const registry = await loadRegistry(workspace)
      expect(registry.clients).to.have.length(20)
      expect(new Set(registry.clients.map((client) => client.cidr)).size).to.equal(20)
      const trail = (await readFile(workspacePaths(workspace.root).auditTrail, 'utf8')).trim().split('\n')
      expect(trail).to.have.length(20)
      expect(verifyTrail(trail)).to.deep.equal({ok: true, records: 20})
    })

    it('a process killed at any moment leaves a loadable registry, and a rerun completes', async () => {
      const ids = Array.from({length: 30}, (_, n) => `crash-client${n}`)
      for (const delayMs of [150, 400, 700]) {
        const child = run(ids)
        let written = 0
        child.stdout!.on('data', (chunk: Buffer) => (written += String(chunk).split('\n').length - 1))
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        child.kill('SIGKILL')
        await finished(child)
        const {problems, clients} = await readRegistry(workspace)
        expect(problems).to.deep.equal([])
        expect(clients.length).to.be.at.least(written)
      }
      const rerun = await finished(run(ids))
      expect(rerun.code, rerun.stderr).to.equal(0)
      const registry = await loadRegistry(workspace)
      expect(registry.clients.map((client) => client.id).sort()).to.deep.equal([...ids].sort())
    })
  })
})

describe('unknown client suggestions', () => {
  it('suggest the three closest ids, closest first', async () => {
    const {Registry} = await import('../../src/registry/registry.ts')
    const clients = Array.from({length: 40}, (_, n) => ({id: `client-${String(n).padStart(4, '0')}`}))
    const registry = new Registry({} as Workspace, clients as never)
    try {
      registry.get('client-0013x')
      expect.fail('expected an unknown-client error')
    } catch (error) {
      expect((error as {suggestions: string[]}).suggestions[0]).to.equal(
        'did you mean client-0013 or client-0003 or client-0010 (for client-0013x)?',
      )
    }
  })
})
