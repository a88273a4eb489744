import {cp, mkdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {DEFAULT_INIT_FLAGS, fixturesDir, makeTempDir, repoRoot, runCli} from '../helpers/cli.ts'
import {snapshotTree} from '../helpers/snapshot.ts'

/**
 * The example fleet as README's first command builds it (init, onboard the shipped example file,
 * synth), compared byte for byte with the stacks committed under test/fixtures/golden. A refactor
 * must leave them identical; a change on purpose rewrites them with SEIKETSU_UPDATE_GOLDEN=1 and the
 * diff is reviewed like code.
 */
const goldenDir = join(fixturesDir, 'golden', 'example-fleet')

describe('the synthesized example fleet', function () {
  this.timeout(120_000)

  it('is byte-identical to the committed golden stacks', async () => {
    const root = join(await makeTempDir(), 'fleet')
    // The flags of `npm run demo`, which README's first command runs.
    const init = await runCli([
      'init',
      root,
      ...DEFAULT_INIT_FLAGS,
      '--domain',
      'clients.seiketsu.example',
      '--account-email',
      'aws+{client}@seiketsu.example',
      '--alerts-email',
      'oncall@seiketsu.example',
    ])
    expect(init.exitCode, init.stderr).to.equal(0)
    const onboard = await runCli(
      ['onboard', '--workspace', root, '--file', join(repoRoot, 'templates', 'example-fleet.yaml'), '--yes'],
      {cwd: root},
    )
    expect(onboard.exitCode, onboard.stderr).to.equal(0)
    const synth = await runCli(['synth', '--workspace', root], {cwd: root})
    expect(synth.exitCode, synth.stderr).to.equal(0)

    const built = join(root, 'cdktf.out', 'stacks')
    if (process.env.SEIKETSU_UPDATE_GOLDEN === '1') {
      await rm(goldenDir, {force: true, recursive: true})
      await mkdir(goldenDir, {recursive: true})
      await cp(built, goldenDir, {recursive: true})
    }
    const [actual, golden] = await Promise.all([snapshotTree(built), snapshotTree(goldenDir)])
    expect(Object.keys(actual).sort()).to.deep.equal(Object.keys(golden).sort())
    for (const file of Object.keys(golden)) {
      if (actual[file] === golden[file]) continue
      // Name the first differing resource, not two hashes.
      const [a, g] = await Promise.all([readFile(join(built, file), 'utf8'), readFile(join(goldenDir, file), 'utf8')])
      expect(JSON.parse(a), `${file} differs from test/fixtures/golden/example-fleet/${file}`).to.deep.equal(
        JSON.parse(g),
      )
      expect(a, `${file}: same JSON, different bytes (key order or formatting)`).to.equal(g)
    }
  })
})
