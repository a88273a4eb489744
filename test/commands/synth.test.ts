import {access, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {SynthResult} from '../../src/commands/synth.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, parseJson, removeDir, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

describe('seiketsu synth', () => {
  let workspace: Workspace
  const cleanup: string[] = []

  before(async () => {
    workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'}), draftClient('bayview', {tier: 'bronze'})],
    })
    cleanup.push(workspace.root)
  })
  after(() => Promise.all(cleanup.map((dir) => removeDir(dir))))

  it('--json: returns every written stack with its kind, file and resource count', async () => {
    const result = await runCli(['synth', '--workspace', workspace.root, '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = parseJson<SynthResult>(result)
    expect(Object.keys(json)).to.deep.equal(['stacks', 'warnings'])
    expect(json.stacks.map((stack) => [stack.id, stack.kind])).to.deep.equal([
      ['acme/bootstrap', 'bootstrap'],
      ['acme', 'client'],
      ['bayview', 'client'],
      ['platform', 'platform'],
    ])
    for (const stack of json.stacks) {
      expect(stack).to.have.all.keys(
        'file',
        'id',
        'kind',
        'resources',
        ...(stack.kind === 'platform' ? [] : ['client']),
      )
      expect(stack.file).to.equal(join(workspace.root, 'cdktf.out', 'stacks', ...stack.id.split('/'), 'cdk.tf.json'))
      expect(await exists(stack.file), stack.file).to.equal(true)
      expect(stack.resources).to.be.greaterThan(stack.kind === 'bootstrap' ? 3 : 10)
    }
  })

  it('in CI: plain progress lines, no colour, only the stacks named, written to --out', async () => {
    const out = await makeTempDir()
    cleanup.push(out)
    const result = await runCli(['synth', 'bayview', '--workspace', workspace.root, '--out', out])
    expect(result.exitCode, result.stderr).to.equal(0)
    const output = result.stdout + result.stderr
    expect(output).to.match(/bayview: \d+ resources/)
    expect(output).to.match(/platform: \d+ resources/)
    expect(output).to.include(`Synthesized 2 stacks into ${join(out, 'stacks')}`)
    expect(output).not.to.include('\u001B[')
    expect(result.stderr).to.include('without an AWS account yet (bayview)')
    expect((await readdir(join(out, 'stacks'))).sort()).to.deep.equal(['bayview', 'platform'])
  })

  it('unknown ids: exit 2 naming every one of them, nothing written', async () => {
    const fresh = await makeWorkspace({clients: [draftClient('acme')]})
    cleanup.push(fresh.root)
    const result = await runCli(['synth', 'acme', 'nope', 'acmee', '--workspace', fresh.root, '--json'])
    expect(result.exitCode).to.equal(2)
    const {error} = parseJson<{error: {code: string; details: {unknown: string[]}; message: string}}>(result)
    expect(error.code).to.equal('UNKNOWN_CLIENT')
    expect(error.details.unknown).to.deep.equal(['nope', 'acmee'])
    expect(await exists(join(fresh.root, 'cdktf.out'))).to.equal(false)
  })

  it('an invalid registry: exit 2 naming the file, nothing written', async () => {
    const broken = await makeWorkspace({clients: [draftClient('acme')]})
    cleanup.push(broken.root)
    await writeFile(join(broken.root, 'clients', 'zed.yaml'), 'id: zed\nname: Zed\n')
    const result = await runCli(['synth', 'acme', '--workspace', broken.root])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.include('clients/zed.yaml')
    expect(await exists(join(broken.root, 'cdktf.out'))).to.equal(false)
  })
})
