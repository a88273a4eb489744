import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {repoRoot, runCli} from '../helpers/cli.ts'

describe('seiketsu --help', () => {
  it('answers from the build-time help pages exactly what oclif itself renders', async () => {
    const cache = JSON.parse(await readFile(join(repoRoot, 'dist', 'help-cache.json'), 'utf8')) as {
      plain: Record<string, string>
    }
    const ids = Object.keys(cache.plain)
    expect(ids).to.include.members(['', 'init', 'clients', 'clients list', 'clients show'])
    for (const id of ids) {
      const args = [...(id ? id.split(' ') : []), '--help']
      const [cached, live] = await Promise.all([runCli(args), runCli(args, {env: {OCLIF_COLUMNS: '80'}})])
      expect(cached.exitCode).to.equal(0)
      expect(cached.stdout, `help for '${id}'`).to.equal(live.stdout)
    }
  })

  it("shows each command's own exit codes (its static exitCodes) as EXIT CODES after the examples", async () => {
    const read = async <T>(file: string) => JSON.parse(await readFile(join(repoRoot, file), 'utf8')) as T
    const {commands} = await read<{commands: Record<string, {exitCodes?: Record<string, string>}>}>(
      'oclif.manifest.json',
    )
    const {plain} = await read<{plain: Record<string, string>}>('dist/help-cache.json')
    const words = (text: string) => text.replaceAll(/\s+/g, ' ').trim()
    expect(Object.keys(commands)).to.include.members(['init', 'plan', 'audit:trail'])
    for (const [id, {exitCodes}] of Object.entries(commands)) {
      expect(exitCodes, id).to.include.keys('0', '1', '2')
      const page = plain[id.replaceAll(':', ' ')]!
      const [before, section] = page.split(/^EXIT CODES$/m)
      expect(before, id).to.include('EXAMPLES')
      const rows = words(section!.split(/^\S/m)[0]!)
      for (const [code, meaning] of Object.entries(exitCodes!)) expect(rows, id).to.include(words(`${code} ${meaning}`))
    }
  })

  it('lists the commands and topics, and the version line is the running Node', async () => {
    const result = await runCli(['--help'])
    expect(result.stdout).to.include(`node-${process.version}`)
    expect(result.stdout).to.match(/^ {2}init\s+Create a seiketsu workspace\.$/m)
    expect(result.stdout).to.match(/^ {2}clients\s+list, show and change the clients/m)
    expect((await runCli(['help', 'clients', 'list'])).stdout).to.equal(
      (await runCli(['clients', 'list', '-h'])).stdout,
    )
  })
})
