import {expect} from 'chai'
import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {parse} from 'yaml'

import {DEFAULT_INIT_FLAGS, execFileText, makeTempDir, parseJson, runCli} from '../helpers/cli.ts'
import {KEYS, runInTerminal} from '../helpers/pty.ts'

describe('seiketsu init', () => {
  it('creates a workspace: seiketsu.yaml, clients/, .gitignore and an example manifest', async () => {
    const dir = join(await makeTempDir(), 'platform')
    const result = await runCli(['init', dir, ...DEFAULT_INIT_FLAGS, '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = parseJson<{root: string; created: string[]}>(result)
    expect(json.root).to.equal(dir)
    expect(json.created).to.include.members(['seiketsu.yaml', 'clients/', '.gitignore', 'client.example.yaml'])
    const config = parse(await readFile(join(dir, 'seiketsu.yaml'), 'utf8'))
    expect(config).to.deep.include({
      drRegion: 'us-west-2',
      managementAccountId: '111111111111',
      platform: 'seiketsu',
      region: 'us-east-1',
    })
    expect(config.state).to.deep.equal({backend: 'local'})
    expect(config.network).to.deep.equal({pools: ['10.0.0.0/8'], prefixLength: 16})
    expect(Object.keys(config.residencies)).to.deep.equal(['us', 'eu'])
    const gitignore = await readFile(join(dir, '.gitignore'), 'utf8')
    for (const line of ['cdktf.out/', '.seiketsu/keys/', '*.tfplan']) expect(gitignore).to.include(line)
    // The new workspace is usable at once.
    const list = await runCli(['clients', 'list', '--json'], {cwd: dir})
    expect(parseJson(list)).to.deep.equal({clients: []})
  })

  it('writes an S3 backend with bucket, region and key prefix', async () => {
    const dir = await makeTempDir()
    const result = await runCli([
      'init',
      dir,
      ...DEFAULT_INIT_FLAGS,
      '--backend',
      's3',
      '--state-bucket',
      'acme-tf-state',
    ])
    expect(result.exitCode, result.stderr).to.equal(0)
    const config = parse(await readFile(join(dir, 'seiketsu.yaml'), 'utf8'))
    expect(config.state).to.deep.equal({
      backend: 's3',
      bucket: 'acme-tf-state',
      keyPrefix: 'clients/',
      region: 'us-east-1',
    })
  })

  it('never overwrites an existing workspace without --force (exit 2, file unchanged)', async () => {
    const dir = await makeTempDir()
    expect((await runCli(['init', dir, ...DEFAULT_INIT_FLAGS])).exitCode).to.equal(0)
    const configFile = join(dir, 'seiketsu.yaml')
    await writeFile(configFile, `${await readFile(configFile, 'utf8')}# hand edit\n`)
    const before = await readFile(configFile, 'utf8')
    const again = await runCli(['init', dir, ...DEFAULT_INIT_FLAGS.map((f) => (f === 'us-east-1' ? 'eu-west-1' : f))])
    expect(again.exitCode).to.equal(2)
    expect(again.stderr)
      .to.match(/already exists/)
      .and.match(/--force/)
    expect(await readFile(configFile, 'utf8')).to.equal(before)
  })

  it('rewrites seiketsu.yaml with --force and keeps the clients', async () => {
    const dir = await makeTempDir()
    await runCli(['init', dir, ...DEFAULT_INIT_FLAGS])
    await writeFile(join(dir, 'clients', 'keep-me.yaml'), 'id: keep-me\n')
    const forced = await runCli([
      'init',
      dir,
      '--force',
      '--yes',
      '--management-account-id',
      '222222222222',
      '--region',
      'eu-west-1',
      '--dr-region',
      'eu-central-1',
      '--json',
    ])
    expect(forced.exitCode, forced.stderr).to.equal(0)
    expect(parseJson<{overwritten: string[]}>(forced).overwritten).to.deep.equal(['seiketsu.yaml'])
    expect(parse(await readFile(join(dir, 'seiketsu.yaml'), 'utf8')).region).to.equal('eu-west-1')
    expect(await readFile(join(dir, 'clients', 'keep-me.yaml'), 'utf8')).to.equal('id: keep-me\n')
  })

  it('in CI, a missing value is exit 2 naming the flags, at once, and nothing is created', async () => {
    const parent = await makeTempDir()
    const dir = join(parent, 'ws')
    const result = await runCli(['init', dir, '--region', 'us-east-1'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.include('--management-account-id').and.include('--dr-region')
    expect(await readdir(parent)).to.deep.equal([])
    const json = await runCli(['init', dir, '--json'], {env: {CI: ''}})
    expect(json.exitCode).to.equal(2)
    expect(parseJson<{error: {code: string; details: {missing: string[]}}}>(json).error).to.deep.include({
      code: 'MISSING_INPUT',
      details: {missing: ['--management-account-id', '--region', '--dr-region']},
    })
  })

  it('rejects invalid values naming the flag, and writes nothing', async () => {
    const parent = await makeTempDir()
    const dir = join(parent, 'ws')
    const result = await runCli([
      'init',
      dir,
      '--yes',
      '--management-account-id',
      '1234',
      '--region',
      'mars-north-1x',
      '--dr-region',
      'us-west-2',
    ])
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.match(/--management-account-id: must be a 12-digit AWS account id \(found '1234'\)/)
    expect(result.errorText).to.match(/--region: must be an AWS region/)
    const s3 = await runCli(['init', dir, ...DEFAULT_INIT_FLAGS, '--backend', 's3'])
    expect(s3.exitCode).to.equal(2)
    expect(s3.stderr).to.include('--state-bucket')
    expect(await readdir(parent)).to.deep.equal([])
  })

  it('prompts on a terminal for what is missing, re-asking an invalid answer', async () => {
    const dir = join(await makeTempDir(), 'ws')
    const terminal = runInTerminal(['init', dir])
    await terminal.waitFor(/management account id/)
    terminal.type(`12${KEYS.enter}`)
    await terminal.waitFor(/must be a 12-digit AWS account id/)
    terminal.type(`${KEYS.backspace.repeat(2)}111111111111${KEYS.enter}`)
    await terminal.waitFor(/Default region/)
    terminal.type(KEYS.enter)
    await terminal.waitFor(/Disaster-recovery region/)
    terminal.type(KEYS.enter)
    await terminal.waitFor(/state backend/)
    terminal.type(KEYS.enter)
    expect(await terminal.exit(), terminal.output).to.equal(0)
    expect(parse(await readFile(join(dir, 'seiketsu.yaml'), 'utf8'))).to.deep.include({
      drRegion: 'us-west-2',
      managementAccountId: '111111111111',
      region: 'us-east-1',
    })
  })

  it('Ctrl-C at a prompt exits 130 and leaves nothing behind', async () => {
    const parent = await makeTempDir()
    const terminal = runInTerminal(['init', join(parent, 'ws')])
    await terminal.waitFor(/management account id/)
    terminal.type(KEYS.ctrlC)
    expect(await terminal.exit()).to.equal(130)
    expect(await readdir(parent)).to.deep.equal([])
  })
})

describe('seiketsu init --force on a customised workspace', () => {
  it('changes what the flags say and keeps every other setting', async () => {
    const dir = await makeTempDir()
    await runCli(['init', dir, ...DEFAULT_INIT_FLAGS, '--platform', 'acmeplat'])
    const file = join(dir, 'seiketsu.yaml')
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        'tiers: {}',
        'tiers:\n  gold:\n    task: {maxTasks: 6}\ndomain: voice.acme.example',
      ),
    )
    const result = await runCli([
      'init',
      dir,
      '--force',
      '--yes',
      '--management-account-id',
      '222222222222',
      '--region',
      'us-east-2',
      '--dr-region',
      'us-west-2',
    ])
    expect(result.exitCode, result.stderr).to.equal(0)
    const config = parse(await readFile(file, 'utf8'))
    expect(config).to.deep.include({
      domain: 'voice.acme.example',
      managementAccountId: '222222222222',
      platform: 'acmeplat',
      region: 'us-east-2',
    })
    expect(config.tiers).to.deep.equal({gold: {task: {maxTasks: 6}}})
    expect(await readFile(file, 'utf8')).to.include('# Client VPC CIDRs are allocated from these pools')
  })

  it('warns when the new workspace lands inside another git repository', async () => {
    const outer = await makeTempDir()
    await execFileText('git', ['init', '--quiet'], outer)
    const result = await runCli(['init', join(outer, 'platform'), ...DEFAULT_INIT_FLAGS])
    expect(result.exitCode).to.equal(0)
    expect(result.errorText).to.include(`is inside the git repository ${outer}`)
    const json = await runCli(['init', join(outer, 'other'), ...DEFAULT_INIT_FLAGS, '--json'])
    expect(json.exitCode).to.equal(0)
    expect(parseJson<{warnings: string[]}>(json).warnings).to.have.length(1)
    expect(parseJson<{warnings: string[]}>(json).warnings[0]).to.include(`is inside the git repository ${outer}`)
  })
})
