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

// Cache compiled bytecode between runs: most of the start-up time is parsing JavaScript.
const {enableCompileCache} = await import('node:module')
enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
