import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Workspace} from '../../src/workspace/workspace.ts'
import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

describe('seiketsu audit trail', () => {
  let workspace: Workspace
  let trailFile: string
  beforeEach(async () => {
    workspace = await makeWorkspace({
      clients: [draftClient('acme-realty'), draftClient('beta-homes'), draftClient('casa-nova')],
    })
    trailFile = join(workspace.root, '.seiketsu', 'audit-trail.jsonl')
    await runCli(['clients', 'update', 'acme-realty', '--tier', 'gold'], {cwd: workspace.root})
  })

  const lines = async () => (await readFile(trailFile, 'utf8')).trim().split('\n')

  it('lists who changed what, and --verify exits 0 for an intact trail', async () => {
    const list = await runCli(['audit', 'trail', '--json'], {cwd: workspace.root})
    const {records} = parseJson<{records: {seq: number; action: string; client: string; actor: {osUser: string}}[]}>(
      list,
    )
    expect(records.map((r) => [r.seq, r.action, r.client])).to.deep.equal([
      [1, 'onboard', 'acme-realty'],
      [2, 'onboard', 'beta-homes'],
      [3, 'onboard', 'casa-nova'],
      [4, 'update', 'acme-realty'],
    ])
    expect(records[0]!.actor.osUser).to.be.a('string').and.not.equal('')
    const verify = await runCli(['audit', 'trail', '--verify'], {cwd: workspace.root})
    expect(verify.exitCode).to.equal(0)
    expect(verify.stdout).to.include('intact: 4 records')
  })

  it('exits 3 naming the first edited record', async () => {
    const all = await lines()
    all[1] = all[1]!.replace('"tier":"silver"', '"tier":"bronze"')
    await writeFile(trailFile, `${all.join('\n')}\n`)
    const result = await runCli(['audit', 'trail', '--verify', '--json'], {cwd: workspace.root})
    expect(result.exitCode).to.equal(3)
    expect(parseJson<{error: {message: string}}>(result).error.message)
      .to.include('broken at record 2')
      .and.include('edited')
  })

  it('exits 3 naming the record after a removed one, and after a reordering', async () => {
    const all = await lines()
    await writeFile(trailFile, `${[all[0], all[2], all[3]].join('\n')}\n`)
    const removed = await runCli(['audit', 'trail', '--verify'], {cwd: workspace.root})
    expect(removed.exitCode).to.equal(3)
    expect(removed.errorText).to.include('broken at record 3 (line 2').and.include('removed or reordered')
    await writeFile(trailFile, `${[all[0], all[2], all[1], all[3]].join('\n')}\n`)
    const reordered = await runCli(['audit', 'trail', '--verify'], {cwd: workspace.root})
    expect(reordered.exitCode).to.equal(3)
    expect(reordered.errorText).to.include('line 2')
  })
})

describe('seiketsu audit trail --client', () => {
  it('an unknown client is exit 2, like every other command', async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme-realty')]})
    const result = await runCli(['audit', 'trail', '--client', 'acme-reality', '--json'], {cwd: workspace.root})
    expect(result.exitCode).to.equal(2)
    expect(parseJson<{error: {code: string}}>(result).error.code).to.equal('UNKNOWN_CLIENT')
  })
})
