import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import type {PlanResult} from '../../src/commands/plan.ts'
import {parseJson} from '../helpers/cli.ts'
import {invocationsOf, makeFleet, type Fleet} from '../helpers/fleet.ts'
import {isAlive, startCli, waitFor, type Invocation} from '../helpers/terraform.ts'

/** Lock files left next to the clients' local states. */
function lockFiles(fleet: Fleet): string[] {
  return fleet.ids.flatMap((id) => {
    const dir = join(fleet.root, '.seiketsu', 'state', id)
    return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.lock.info')) : []
  })
}

async function livingProcesses(invocations: readonly Invocation[]): Promise<number[]> {
  const pids = invocations.flatMap((invocation) => [invocation.pid, ...invocation.plugins])
  const alive = await Promise.all(pids.map(async (pid) => ((await isAlive(pid)) ? [pid] : [])))
  return alive.flat()
}

/** Starts a slow plan of four clients, two at a time, and waits until both running plans have their plugin up. */
async function startSlowPlan(fleet: Fleet, args: string[], extraEnv: NodeJS.ProcessEnv, ownGroup: boolean) {
  const started = startCli(['plan', '--no-synth', '--concurrency', '2', ...args], {
    cwd: fleet.root,
    env: fleet.env({TF_STANDIN_PLAN_MS: '60000', TF_STANDIN_PLUGIN: '1', ...extraEnv}),
    ownGroup,
  })
  const running = await waitFor(async () => {
    const plans = invocationsOf(await fleet.invocations(), 'plan')
    return plans.length === 2 && plans.every((plan) => plan.plugins.length === 1) ? plans : undefined
  }, 'two running plans')
  return {...started, running}
}

describe('interrupting seiketsu plan', () => {
  it('Ctrl-C at a terminal (SIGINT to the whole process group): one SIGINT per terraform, no orphans, exit 130', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol', 'delta'])
    const {child, done, running} = await startSlowPlan(fleet, ['--json'], {TF_STANDIN_SIGINT_MS: '300'}, true)
    process.kill(-child.pid!, 'SIGINT')
    const result = await done
    expect(result.exitCode, result.stderr).to.equal(130)

    const json = parseJson<PlanResult>(result)
    expect(json.interrupted).to.equal(true)
    const statuses = Object.fromEntries(json.clients.map((client) => [client.id, client.status]))
    expect(statuses).to.deep.equal({acme: 'interrupted', bravo: 'interrupted', carol: 'skipped', delta: 'skipped'})

    const invocations = await fleet.invocations()
    for (const plan of invocationsOf(invocations, 'plan')) {
      expect(plan.signals, `signals received by terraform plan of ${plan.stack}`).to.deep.equal(['SIGINT'])
      expect(plan.exitCode, 'terraform stopped on its own, gracefully').to.equal(1)
    }
    expect(invocations.filter((invocation) => ['carol', 'delta'].includes(invocation.stack))).to.deep.equal([])
    expect(await livingProcesses(invocations)).to.deep.equal([])
    expect(running.map((plan) => plan.stack).sort()).to.deep.equal(['acme', 'bravo'])
    expect(lockFiles(fleet)).to.deep.equal([], 'graceful stops release their state locks')
    expect(json.lockedStates).to.deep.equal([])
  })

  it('SIGINT to seiketsu alone: the same single SIGINT per terraform, and a summary on stdout', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    const {child, done} = await startSlowPlan(fleet, [], {TF_STANDIN_SIGINT_MS: '300'}, false)
    child.kill('SIGINT')
    const result = await done
    expect(result.exitCode).to.equal(130)
    expect(result.stderr).to.contain('Interrupted (SIGINT): no new stacks start')
    expect(result.stdout).to.match(/acme\s+0\s+0\s+0\s+0\s+interrupted/)
    expect(result.stdout).to.match(/carol\s+0\s+0\s+0\s+0\s+skipped/)
    const invocations = await fleet.invocations()
    for (const plan of invocationsOf(invocations, 'plan')) expect(plan.signals).to.deep.equal(['SIGINT'])
    expect(await livingProcesses(invocations)).to.deep.equal([])
  })

  it('a second Ctrl-C kills terraform and its plugins; a local state is not left locked (nothing to do)', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    const {child, done} = await startSlowPlan(fleet, ['--json'], {TF_STANDIN_SIGINT_MS: '60000'}, true)
    process.kill(-child.pid!, 'SIGINT')
    await waitFor(async () => {
      const plans = invocationsOf(await fleet.invocations(), 'plan')
      return plans.every((plan) => plan.signals.length === 1) ? true : undefined
    }, 'the first SIGINT to reach both plans')
    process.kill(-child.pid!, 'SIGINT')
    const result = await done
    expect(result.exitCode).to.equal(130)

    const invocations = await fleet.invocations()
    for (const plan of invocationsOf(invocations, 'plan')) {
      expect(plan.signals, 'the second interrupt kills; it is not a second SIGINT').to.deep.equal(['SIGINT'])
      expect(plan.end, 'killed, so it never recorded an end').to.equal(undefined)
    }
    expect(await livingProcesses(invocations)).to.deep.equal([], 'terraform and its plugin processes are gone')
    const json = parseJson<PlanResult>(result)
    // A local state's lock is an fcntl lock: the kernel released it with the killed process. The
    // .lock.info files stay behind, and are harmless: the next plan takes the locks at once.
    expect(json.lockedStates).to.deep.equal([])
    expect(lockFiles(fleet)).to.have.length(2)
    const again = await fleet.run(['plan', '--no-synth', '--json'], {TF_STANDIN_PLAN_MS: '0'})
    expect(again.exitCode, again.stderr).to.equal(0)
    expect(parseJson<PlanResult>(again).clients.map((client) => client.status)).to.deep.equal([
      'planned',
      'planned',
      'planned',
    ])
  })
})
