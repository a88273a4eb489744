import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {readStackDocument, requireSynthesized, storedStack} from '../../src/stacks/store.ts'
import {makeTempDir} from '../helpers/cli.ts'
import {rejection} from '../helpers/errors.ts'

describe('the stack store', () => {
  it('places client, bootstrap and platform stacks where synth writes them, with their kind', () => {
    expect(storedStack('/ws/cdktf.out', 'acme')).to.deep.equal({
      dir: '/ws/cdktf.out/stacks/acme',
      file: '/ws/cdktf.out/stacks/acme/cdk.tf.json',
      id: 'acme',
      kind: 'client',
    })
    expect(storedStack('/ws/cdktf.out', 'acme/bootstrap')).to.include({
      file: '/ws/cdktf.out/stacks/acme/bootstrap/cdk.tf.json',
      kind: 'bootstrap',
    })
    expect(storedStack('/ws/cdktf.out', 'platform').kind).to.equal('platform')
  })

  it('refuses missing stacks with one code, naming each file and the synth run that writes them', async () => {
    const out = await makeTempDir()
    const stacks = ['acme', 'acme/bootstrap', 'platform', 'bravo'].map((id) => storedStack(out, id))
    await mkdir(stacks[3]!.dir, {recursive: true})
    await writeFile(stacks[3]!.file, '{}')
    const error = await rejection(requireSynthesized(stacks, out))
    expect(error.exitCode).to.equal(2)
    expect(error.code).to.equal('NOT_SYNTHESIZED')
    expect(error.message).to.equal(
      `No synthesized stack for acme, acme/bootstrap, platform: ${join('stacks', 'acme', 'cdk.tf.json')}, ${join('stacks', 'acme', 'bootstrap', 'cdk.tf.json')}, ${join('stacks', 'platform', 'cdk.tf.json')} not found`,
    )
    expect(error.suggestions).to.deep.equal(['seiketsu synth acme'])
    await requireSynthesized([stacks[3]!], out)
  })

  it('reads a stack back, and names a file that is not a JSON object with the synth run that rewrites it', async () => {
    const out = await makeTempDir()
    const stack = storedStack(out, 'acme/bootstrap')
    await mkdir(stack.dir, {recursive: true})
    await writeFile(stack.file, '{"resource": {}}')
    expect(await readStackDocument(stack)).to.deep.equal({resource: {}})
    for (const text of ['{"resource": ', '[]', 'null']) {
      await writeFile(stack.file, text)
      const error = await rejection(readStackDocument(stack, out))
      expect(error.code, text).to.equal('MALFORMED_FILE')
      expect(error.message, text).to.match(/^stacks\/acme\/bootstrap\/cdk\.tf\.json is not valid JSON/)
      expect(error.suggestions).to.deep.equal(['seiketsu synth acme'])
    }
    const missing = await rejection(readStackDocument(storedStack(out, 'bravo'), out))
    expect(missing.code).to.equal('NOT_SYNTHESIZED')
  })
})
