/**
 * npm run bench:synth -- --clients N [--runs R]
 *
 * Builds temporary workspaces of 10 and of N clients (the real registry code), then times the real
 * `seiketsu synth` command on each (and on a single client), the way an operator runs it: wall time
 * of the whole process and its peak RSS. Prints the marginal cost per client between 10 and N.
 * Targets on the 2-core reference machine: one client <= 1.5 s; marginal <= 25 ms per client;
 * 250 clients <= 1.5 GiB peak RSS; 1,000 clients synthesize (with a /20 client prefix).
 */
import {spawn} from 'node:child_process'
import {readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {binPath, makeTempDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const {values} = parseArgs({
  options: {clients: {default: '250', type: 'string'}, runs: {default: '3', type: 'string'}},
})
const count = Number(values.clients)
const runs = Number(values.runs)
if (!Number.isInteger(count) || count < 11) throw new Error('--clients must be an integer above 10')

const tiers = ['bronze', 'silver', 'gold', 'enterprise']

async function workspaceOf(size: number): Promise<string> {
  // The default /16 per client leaves room for 256 clients in 10.0.0.0/8; larger fleets use /20.
  const prefixLength = size > 250 ? 20 : 16
  const workspace = await makeWorkspace({
    clients: Array.from({length: size}, (_, index) =>
      draftClient(`client-${String(index + 1).padStart(4, '0')}`, {
        accountId: index % 2 === 0 ? String(100_000_000_000 + index) : null,
        tier: tiers[index % tiers.length]!,
      }),
    ),
    configText: (text) => text.replace('prefixLength: 16', `prefixLength: ${prefixLength}`),
  })
  return workspace.root
}

/** Writes the process's peak RSS (kB) and CPU time (µs) to a file when it exits; loaded with --import. */
async function rssProbe(dir: string): Promise<{module: string; output: string}> {
  const module = join(dir, 'rss-probe.mjs')
  const output = join(dir, 'rss.txt')
  await writeFile(
    module,
    [
      "import {writeFileSync} from 'node:fs'",
      `process.on('exit', () => {`,
      '  const usage = process.resourceUsage()',
      `  writeFileSync(${JSON.stringify(output)}, JSON.stringify({cpu: usage.userCPUTime + usage.systemCPUTime, rss: usage.maxRSS}))`,
      '})',
      '',
    ].join('\n'),
  )
  return {module, output}
}

interface Figures {
  seconds: number
  cpuSeconds: number
  peakMiB: number
}

/** The median run (by wall time) of `runs` runs: other processes on the machine make single runs noisy. */
async function medianSynth(root: string, args: string[], probe: {module: string; output: string}): Promise<Figures> {
  const samples: Figures[] = []
  for (let run = 0; run < runs; run++) samples.push(await timeSynth(root, args, probe))
  return samples.sort((a, b) => a.seconds - b.seconds)[Math.floor(samples.length / 2)]!
}

async function timeSynth(root: string, args: string[], probe: {module: string; output: string}): Promise<Figures> {
  const started = performance.now()
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, 'synth', '--workspace', root, ...args], {
      env: {...process.env, CI: 'true', NODE_OPTIONS: `--import=${probe.module}`},
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? -1))
  })
  const seconds = (performance.now() - started) / 1000
  if (exitCode !== 0) throw new Error(`seiketsu synth ${args.join(' ')} exited ${exitCode}`)
  const usage = JSON.parse(await readFile(probe.output, 'utf8')) as {cpu: number; rss: number}
  return {cpuSeconds: usage.cpu / 1e6, peakMiB: usage.rss / 1024, seconds}
}

const scratch = await makeTempDir('seiketsu-bench-')
const probe = await rssProbe(scratch)
const small = await workspaceOf(10)
const large = await workspaceOf(count)
try {
  // A first run warms the compile cache (bin/run.js enables it), as on any machine after one use.
  await timeSynth(small, ['client-0001'], probe)
  const one = await medianSynth(small, ['client-0001'], probe)
  const ten = await medianSynth(small, [], probe)
  const many = await medianSynth(large, [], probe)
  const marginal = (key: 'seconds' | 'cpuSeconds') => (((many[key] - ten[key]) * 1000) / (count - 10)).toFixed(1)
  const row = (label: string, figures: Figures) =>
    `${label.padEnd(14)} ${figures.seconds.toFixed(2).padStart(7)} s wall ${figures.cpuSeconds.toFixed(2).padStart(7)} s CPU ${figures.peakMiB.toFixed(0).padStart(6)} MiB peak RSS`
  process.stdout.write(
    [
      `seiketsu synth (client stacks + platform stack), node ${process.version}, median of ${runs} runs`,
      row('1 client', one),
      row('10 clients', ten),
      row(`${count} clients`, many),
      `marginal per client: ${marginal('seconds')} ms wall, ${marginal('cpuSeconds')} ms CPU`,
      `(load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores: wall time grows with other load)`,
      '',
    ].join('\n'),
  )
} finally {
  await Promise.all([scratch, small, large].map((dir) => rm(dir, {force: true, recursive: true})))
}
