// npm run bench:startup [-- --runs N]
// Median wall time of `seiketsu --help` and of `node -e 0` on the same Node, and their ratio.
// Target (issue 2): ratio ≤ 3. --help must not load commands or heavy modules.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const {values} = parseArgs({options: {runs: {default: '21', type: 'string'}}})
const runs = Number(values.runs)
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function time(args: string[]): number {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe']})
  const elapsed = performance.now() - started
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return elapsed
}

// Warm the file cache and Node's compile cache once, as every later run would find them.
time([bin, '--help'])
const help: number[] = []
const bare: number[] = []
for (let run = 0; run < runs; run++) {
  help.push(time([bin, '--help']))
  bare.push(time(['-e', '0']))
}
const helpMedian = median(help)
const bareMedian = median(bare)
console.log(`node ${process.version}, ${runs} runs each`)
console.log(`seiketsu --help  median ${helpMedian.toFixed(1)} ms`)
console.log(`node -e 0        median ${bareMedian.toFixed(1)} ms`)
console.log(`ratio            ${(helpMedian / bareMedian).toFixed(2)} (target ≤ 3)`)
