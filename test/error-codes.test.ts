import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {ERROR_CODES} from '../src/error-codes.ts'
import {repoRoot} from './helpers/cli.ts'

describe('error codes', () => {
  it('README.md "Error codes" is the catalogue, row for row', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
    const section = readme.split(/^## Error codes$/m)[1]!.split(/^## /m)[0]!
    const rows = section.split('\n').filter((line) => line.startsWith('| `'))
    expect(rows).to.deep.equal(
      Object.entries(ERROR_CODES).map(([code, {exit, meaning}]) => `| \`${code}\` | ${exit} | ${meaning} |`),
    )
  })
})
