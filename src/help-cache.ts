/**
 * Build step: renders oclif's own help for the root, every topic and every command into
 * dist/help-cache.json, once without and once with colour, at 80 columns. bin/run.js prints from
 * it for plain `--help` requests, so that asking for help loads no module at all (oclif's config
 * and help renderer cost ~4x a bare Node start). Anything else, and any request the cache does not
 * hold exactly, goes through oclif as usual. A test checks every entry against a fresh rendering.
 *
 * Run: node dist/help-cache.js (npm run build does).
 */
import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const HELP_COLUMNS = 80
const root = fileURLToPath(new URL('..', import.meta.url))

interface RenderedHelp {
  /** Replaced at run time by `<bin>/<version> <platform>-<arch> node-<version>`. */
  userAgentPlaceholder: string
  entries: Record<string, string>
}

/** Renders every help page in a child process whose colour support is fixed by the environment. */
async function renderAll(color: boolean): Promise<RenderedHelp> {
  const script = `
    const {Config, loadHelpClass} = await import('@oclif/core')
    const config = await Config.load(${JSON.stringify(root)})
    const Help = await loadHelpClass(config)
    const ids = ['', ...config.topics.filter((t) => !t.hidden).map((t) => t.name), ...config.commands.filter((c) => !c.hidden).map((c) => c.id)]
    const entries = {}
    const write = process.stdout.write.bind(process.stdout)
    for (const id of [...new Set(ids)]) {
      let text = ''
      // A fresh config per page: rendering one page can change state another page reads.
      const pageConfig = await Config.load(${JSON.stringify(root)})
      process.stdout.write = (chunk) => { text += chunk; return true }
      await new Help(pageConfig).showHelp(id ? id.split(':') : [])
      process.stdout.write = write
      entries[id.replaceAll(':', ' ')] = text.replaceAll(config.userAgent, '{{USER_AGENT}}')
    }
    write(JSON.stringify({entries, userAgentPlaceholder: '{{USER_AGENT}}'}))
  `
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      FORCE_COLOR: color ? '1' : '0',
      NO_COLOR: color ? '' : '1',
      OCLIF_COLUMNS: String(HELP_COLUMNS),
    },
  })
  if (result.status !== 0) throw new Error(`rendering help failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as RenderedHelp
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [plain, colored] = await Promise.all([renderAll(false), renderAll(true)])
  const cache = {
    columns: HELP_COLUMNS,
    colored: colored.entries,
    placeholder: plain.userAgentPlaceholder,
    plain: plain.entries,
  }
  writeFileSync(new URL('../dist/help-cache.json', import.meta.url), JSON.stringify(cache))
  process.stdout.write(`wrote help for ${Object.keys(plain.entries).length} pages to dist/help-cache.json\n`)
}
