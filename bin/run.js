#!/usr/bin/env node
// seiketsu needs Node.js 22 or later. Say so plainly instead of failing on a syntax error.
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(
    `seiketsu needs Node.js 22 or later; this is ${process.version}.\n` +
      'Inside the seiketsu checkout, run it through npm (npx seiketsu …, npm run …): they put the bundled Node 24 first on the PATH.\n',
  )
  process.exit(1)
}

// A reader that stops early (seiketsu audit rules | head) is not an error of ours: end quietly.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

// Plain help requests are answered from help pages that oclif rendered at build time (see
// src/help-cache.ts): no module is loaded for them. Anything else goes through oclif below.
if (!printCachedHelp(process.argv.slice(2))) {
  // Cache compiled bytecode between runs: most of the start-up time is parsing JavaScript.
  const {enableCompileCache} = await import('node:module')
  enableCompileCache?.()

  // plugin-not-found ends an unknown command with exit 127; our contract says invalid usage is 2.
  process.on('exit', (code) => {
    if (code === 127) process.exitCode = 2
  })

  const {execute} = await import('@oclif/core/execute')
  await execute({dir: import.meta.url})
}

function printCachedHelp(args) {
  const words = args.filter((arg) => arg !== '--help' && arg !== '-h')
  const asked = words.length < args.length || args.length === 0 || words[0] === 'help'
  if (!asked || process.env.OCLIF_COLUMNS || process.env.DEBUG) return false
  const id = (words[0] === 'help' ? words.slice(1) : words).join(' ')
  if (words.some((word) => word.startsWith('-'))) return false
  let cache
  try {
    cache = JSON.parse(
      process.getBuiltinModule('node:fs').readFileSync(new URL('../dist/help-cache.json', import.meta.url), 'utf8'),
    )
  } catch {
    return false
  }
  const {stdout} = process
  const columns = stdout.isTTY ? stdout.columns : cache.columns
  const color = stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb' && process.env.FORCE_COLOR !== '0'
  const page = (color ? cache.colored : cache.plain)[id]
  if (page === undefined || columns < cache.columns) return false
  const {name, version} = JSON.parse(
    process.getBuiltinModule('node:fs').readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  )
  const userAgent = `${name}/${version} ${process.platform}-${process.arch} node-${process.version}`
  stdout.write(page.replaceAll(cache.placeholder, userAgent))
  return true
}
