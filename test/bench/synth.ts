/**
 * npm run bench:synth -- --clients N
 *
 * Builds temporary workspaces of 10 and of N clients (the real registry code), then times the real
 * `seiketsu synth` command on each (and on a single client), the way an operator runs it: wall time
 * of the whole process and its peak RSS. Prints the marginal cost per client between 10 and N.
 * Targets on the 2-core reference machine: one client <= 1.5 s; marginal <= 25 ms per client;
 * 250 clients <= 1.5 GiB peak RSS; 1,000 clients synthesize (with a /20 client prefix).
 */
import {spawn} from 'node:child_process'
import {readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {binPath, makeTempDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const {values} = parseArgs({options: {clients: {default: '250', type: 'string'}}})
const count = Number(values.clients)
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

/** Writes the process's peak RSS (kB) to a file when it exits; loaded with --import. */
async function rssProbe(dir: string): Promise<{module: string; output: string}> {
  const module = join(dir, 'rss-probe.mjs')
  const output = join(dir, 'rss.txt')
  await writeFile(
    module,
    `import {writeFileSync} from 'node:fs'\nprocess.on('exit', () => writeFileSync(${JSON.stringify(output)}, String(process.resourceUsage().maxRSS)))\n`,
  )
  return {module, output}
}

async function timeSynth(root: string, args: string[], probe: {module: string; output: string}) {
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
  const peakMiB = Number(await readFile(probe.output, 'utf8')) / 1024
  return {peakMiB, seconds}
}

const scratch = await makeTempDir('seiketsu-bench-')
const probe = await rssProbe(scratch)
const small = await workspaceOf(10)
const large = await workspaceOf(count)
try {
  // A first run warms the compile cache (bin/run.js enables it), as on any machine after one use.
  await timeSynth(small, ['client-0001'], probe)
  const one = await timeSynth(small, ['client-0001'], probe)
  const ten = await timeSynth(small, [], probe)
  const many = await timeSynth(large, [], probe)
  const marginalMs = ((many.seconds - ten.seconds) * 1000) / (count - 10)
  const row = (label: string, figures: {seconds: number; peakMiB: number}) =>
    `${label.padEnd(24)} ${figures.seconds.toFixed(2).padStart(7)} s ${figures.peakMiB.toFixed(0).padStart(6)} MiB peak RSS`
  process.stdout.write(
    [
      `seiketsu synth (client stacks + platform stack), node ${process.version}`,
      row('1 client', one),
      row('10 clients', ten),
      row(`${count} clients`, many),
      `marginal per client      ${marginalMs.toFixed(1).padStart(7)} ms`,
      '',
    ].join('\n'),
  )
} finally {
  await Promise.all([scratch, small, large].map((dir) => rm(dir, {force: true, recursive: true})))
}
