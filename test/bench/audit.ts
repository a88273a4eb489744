// npm run bench:audit [-- --clients N] [--runs R]
// Audits N client stacks of one workspace (plus fleet rules across them): in-process median of R
// runs of auditWorkspace, and one end-to-end `seiketsu audit --json`. Target (issue 4): 250 stacks ≤ 3 s.
// Stacks: written by synthesizeStacks (seiketsu synth) for clients spread over the shipped tiers; not measured.
import {spawnSync} from 'node:child_process'
import {rm} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {auditWorkspace} from '../../src/audit/audit.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import {loadTiers} from '../../src/tiers/tiers.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const {values} = parseArgs({options: {clients: {default: '250', type: 'string'}, runs: {default: '3', type: 'string'}}})
const clients = Number(values.clients)
const runs = Number(values.runs)
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

const setupStarted = performance.now()
const tiers = Object.keys(await loadTiers({}, 'tiers.yaml', () => undefined))
const workspace = await makeWorkspace({
  clients: Array.from({length: clients}, (_, index) =>
    draftClient(`client-${String(index).padStart(4, '0')}`, {
      accountId: String(300_000_000_000 + index),
      tier: tiers[index % tiers.length]!,
    }),
  ),
})
await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
console.log(
  `setup: ${clients} clients onboarded and synthesized in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s (not measured)`,
)

const samples: number[] = []
let summary = ''
for (let run = 0; run < runs; run++) {
  const started = performance.now()
  const report = await auditWorkspace(workspace, {})
  samples.push(performance.now() - started)
  summary = `${report.counts.stacks} stacks, ${report.counts.resources} resources, ${report.counts.checks} checks, ${report.counts.findings} findings`
}
const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
function timeCli(args: string[]): {ms: number; status: number | null} {
  const started = performance.now()
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: workspace.root,
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return {ms: performance.now() - started, status: result.status}
}
const table = timeCli(['audit'])
const json = timeCli(['audit', '--json'])
const sarif = timeCli(['audit', '--output', 'sarif=audit.sarif', '--output', 'junit=audit.xml'])
await rm(workspace.root, {force: true, recursive: true})

console.log(`node ${process.version}; ${summary}`)
console.log(
  `auditWorkspace       median ${(median / 1000).toFixed(2)} s of ${runs} (${(median / clients).toFixed(1)} ms per stack)`,
)
console.log(`seiketsu audit              ${(table.ms / 1000).toFixed(2)} s end to end, exit ${table.status}`)
console.log(`seiketsu audit --json       ${(json.ms / 1000).toFixed(2)} s end to end, exit ${json.status}`)
console.log(`  … --output sarif= junit=  ${(sarif.ms / 1000).toFixed(2)} s end to end, exit ${sarif.status}`)
console.log(`target                      250 stacks ≤ 3 s`)
