// npm run bench:plan [-- --clients 200 --concurrency 8]
// Plans a fleet of synthesized client stacks with the terraform stand-in and prints seiketsu's
// orchestration overhead per stack: the time a stack held its slot minus the time the stand-in's
// own processes ran for it (from each process's start to its exit, as the stand-in logs them).
// What remains is seiketsu's: spawning, waiting on the init gate, hashing, parsing show -json,
// writing the plan record and log. Target (issue 6): ≤ 50 ms per stack.
//
// Part of the remainder is the operating system's, not seiketsu's: starting a process and
// reaping it (fork, exec of /usr/bin/env and of node, up to the stand-in's first clock reading;
// exit and teardown after its last). That cost is measured on the spot, at the same concurrency,
// by running the stand-in's cheapest verb (version) through the same runner, and reported apart.
import {rm} from 'node:fs/promises'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {addClients} from '../../src/registry/changes.ts'
import {planStacks} from '../../src/terraform/plan.ts'
import {openTerraform} from '../../src/terraform/session.ts'
import {createWorkspace} from '../../src/workspace/init.ts'
import {loadWorkspace} from '../../src/workspace/workspace.ts'
import {makeTempDir} from '../helpers/cli.ts'
import {readInvocations, standinPath, writeClientStacks} from '../helpers/terraform.ts'
import {DEFAULT_SETTINGS, draftClient} from '../helpers/workspace.ts'

const {values} = parseArgs({
  options: {clients: {default: '200', type: 'string'}, concurrency: {default: '8', type: 'string'}},
})
const clientCount = Number(values.clients)
const concurrency = Number(values.concurrency)

const root = await makeTempDir('seiketsu-bench-plan-')
await createWorkspace(root, DEFAULT_SETTINGS)
const workspace = await loadWorkspace(root)
const ids = Array.from({length: clientCount}, (_, index) => `client-${String(index).padStart(4, '0')}`)
await addClients(
  workspace,
  ids.map((id) => ({draft: draftClient(id), source: {file: 'bench'}})),
  {command: 'bench'},
)
const stacks = await writeClientStacks(workspace, ids)
const logFile = join(root, 'standin.jsonl')

const session = await openTerraform(workspace, {
  env: {...process.env, TF_PLUGIN_CACHE_DIR: '', TF_STANDIN_LOG: logFile},
  terraformBin: standinPath,
})
/** Median time a process start and exit costs beyond the process's own clock, at this concurrency. */
async function processStartCost(): Promise<number> {
  const calibrationLog = join(root, 'calibration.jsonl')
  await rm(calibrationLog, {force: true})
  const env = {...session.env, TF_STANDIN_LOG: calibrationLog}
  const walls = new Map<number, number>()
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      for (let round = 0; round < 5; round++) {
        const outcome = await session.processes.run(session.binary.path, ['version'], {cwd: root, env})
        walls.set(walls.size, outcome.durationMs)
      }
    }),
  )
  const own = (await readInvocations(calibrationLog)).map((invocation) => invocation.end! - invocation.start)
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b)
  const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)]!
  return median([...walls.values()]) - median(own)
}

const startCostBefore = await processStartCost()
const started = performance.now()
const cpuBefore = process.cpuUsage()
const run = await planStacks(session, stacks, {concurrency})
const cpu = process.cpuUsage(cpuBefore)
const wallMs = performance.now() - started
if (run.exitCode !== 0) throw new Error(`plan exited ${run.exitCode}: ${run.clients.find((c) => c.error)?.error}`)
const startCost = (startCostBefore + (await processStartCost())) / 2

const busyByStack = new Map<string, number>()
let stackInvocations = 0
for (const invocation of await readInvocations(logFile)) {
  if (invocation.verb === 'version' || invocation.end === undefined) continue
  stackInvocations++
  busyByStack.set(invocation.stack, (busyByStack.get(invocation.stack) ?? 0) + (invocation.end - invocation.start))
}
const invocationsPerStack = stackInvocations / clientCount
const overheads = run.clients
  .map((client) => client.durationMs - (busyByStack.get(client.id) ?? 0))
  .sort((a, b) => a - b)
const busyTotal = [...busyByStack.values()].reduce((sum, value) => sum + value, 0)
const percentile = (p: number) => overheads[Math.min(overheads.length - 1, Math.floor((p / 100) * overheads.length))]!
const mean = overheads.reduce((sum, value) => sum + value, 0) / overheads.length

const ms = (value: number) => `${value.toFixed(1)} ms`
const {availableParallelism, loadavg} = await import('node:os')
const report = [
  `${clientCount} stacks, concurrency ${concurrency}, node ${process.version}, stand-in terraform ${session.binary.version}`,
  `machine: ${availableParallelism()} cores, load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')}`,
  `wall time                           ${(wallMs / 1000).toFixed(2)} s`,
  `stand-in time, all processes        ${(busyTotal / 1000).toFixed(2)} s (${ms(busyTotal / clientCount)} per stack over ${invocationsPerStack.toFixed(0)} processes)`,
  `orchestration overhead per stack    mean ${ms(mean)}, p50 ${ms(percentile(50))}, p95 ${ms(percentile(95))}, max ${ms(percentile(100))}  (target ≤ 50 ms: ${mean <= 50 ? 'met' : 'not met here'})`,
  `  idle slot time per stack          ${ms((wallMs * concurrency - busyTotal) / clientCount)}  ((wall × concurrency − stand-in time) / stacks)`,
  `  process start + exit (measured)   ${ms(startCost)} per process × ${invocationsPerStack.toFixed(0)}: the OS starting and reaping a node process at this concurrency, included above`,
  `  seiketsu CPU time per stack       ${ms((cpu.user + cpu.system) / 1000 / clientCount)} (user ${ms(cpu.user / 1000 / clientCount)}, system ${ms(cpu.system / 1000 / clientCount)})`,
]
console.log(report.join('\n'))
await rm(root, {force: true, recursive: true})
