import {spawn} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {dirname} from 'node:path'

import {expect} from 'chai'

import type {PlanResult} from '../../src/commands/plan.ts'
import type {ProvisionResult} from '../../src/commands/provision.ts'
import {parseJson} from '../helpers/cli.ts'
import {
  dataResources,
  makeRealFleet,
  slowResource,
  terraformLog,
  waitUntil,
  type RealFleet,
} from '../helpers/real-fleet.ts'
import {startS3Loopback, type S3Loopback} from '../helpers/aws/s3.ts'
import {realTerraformPath, runTerraform} from '../helpers/real-terraform.ts'

const count = (text: string, what: string) => text.split(what).length - 1

/**
 * Interrupts against the real terraform: seiketsu gives each running terraform exactly one SIGINT,
 * reads its output to the end and lets it release its lock, whether seiketsu got SIGINT (Ctrl-C),
 * SIGTERM (a CI runner cancelling the job) or SIGINT then SIGTERM (GitHub Actions' cancellation).
 */
describe('interrupting provision with the real terraform', () => {
  let loopback: S3Loopback
  const fleets: RealFleet[] = []
  const s3Fleet = async (bucket: string) => {
    const made = await makeRealFleet(['acme'], {
      resources: () => ({...dataResources(1), slow: slowResource(60)}),
      s3: {bucket, loopback},
    })
    fleets.push(made)
    expect((await made.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    return made
  }
  const lockKey = 'clients/acme/terraform.tfstate.tflock'
  before(async () => {
    loopback = await startS3Loopback()
  })
  after(async () => {
    for (const made of fleets) await made.close()
    await loopback.close()
  })

  for (const signals of [['SIGTERM'], ['SIGINT', 'SIGTERM']] as NodeJS.Signals[][])
    it(`${signals.join(' then ')} to seiketsu: one graceful interrupt, terraform's output read, the S3 lock released`, async () => {
      const bucket = `interrupt-${signals.length}`
      const target = await s3Fleet(bucket)
      const json = signals.length === 1
      const run = target.start(['provision', '--yes', ...(json ? ['--json'] : [])])
      await waitUntil(() => loopback.object(bucket, lockKey) !== undefined, 'the apply to take its S3 lock')
      await new Promise((resolve) => setTimeout(resolve, 1000))
      // terraform's graceful stop writes the state: slow those writes, so that the stop takes a while.
      loopback.delay = (request) =>
        request.method === 'PUT' && request.key === 'clients/acme/terraform.tfstate' ? 2000 : 0
      for (const signal of signals) {
        run.child.kill(signal)
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
      const result = await run.done
      loopback.delay = () => 0
      expect(result.exitCode, result.stderr).to.equal(130)
      if (json) {
        const report = parseJson<ProvisionResult>(result)
        expect(report.clients[0]).to.include({status: 'interrupted'})
        expect(report.lockedStates).to.deep.equal([])
      } else {
        expect(result.stdout, result.stdout).to.match(/acme\s+2\s+0\s+0\s+0\s+interrupted/)
        expect(result.stdout).to.not.contain('still locked')
        expect(result.stderr).to.contain('Interrupted (SIGINT)')
        expect(result.stderr).to.contain('SIGTERM received: terraform is already stopping gracefully')
      }
      const log = await terraformLog(target, 'acme')
      expect(count(log, 'Interrupt received'), log).to.equal(1)
      expect(log).to.not.contain('Two interrupts received')
      expect(log).to.contain('Stopping operation')
      expect(loopback.object(bucket, lockKey)).to.equal(undefined, 'terraform deleted its lock object')
      const again = await target.run(['plan', '--no-synth', '--json'])
      expect(again.exitCode, again.stderr).to.equal(0)
    })

  it('a second Ctrl-C kills terraform: the S3 lock object stays, reported with its id and the command that removes it', async () => {
    const bucket = 'interrupt-kill'
    const target = await s3Fleet(bucket)
    const run = target.start(['provision', '--yes', '--json'], {}, true)
    await waitUntil(() => loopback.object(bucket, lockKey) !== undefined, 'the apply to take its S3 lock')
    // terraform's graceful stop writes the state to S3: hold those writes so that the second Ctrl-C finds it still stopping.
    loopback.delay = (request) =>
      request.method === 'PUT' && request.key === 'clients/acme/terraform.tfstate' ? 5000 : 0
    process.kill(-run.child.pid!, 'SIGINT')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    process.kill(-run.child.pid!, 'SIGINT')
    const result = await run.done
    loopback.delay = () => 0
    expect(result.exitCode).to.equal(130)
    const json = parseJson<ProvisionResult>(result)
    const lockId = (JSON.parse(loopback.object(bucket, lockKey)!.toString()) as {ID: string}).ID
    expect(json.lockedStates).to.have.length(1)
    const locked = json.lockedStates[0]!
    expect(locked).to.include({
      backend: 's3',
      id: 'acme',
      lockId,
      lockObject: `s3://${bucket}/${lockKey}`,
      state: `s3://${bucket}/clients/acme/terraform.tfstate`,
    })
    expect(locked.unlock).to.equal(
      `${realTerraformPath()} -chdir=${target.stackDir('acme')} force-unlock -force ${lockId}`,
    )
    expect(locked.advice).to.contain(`the lock object s3://${bucket}/${lockKey} (ID ${lockId}`)

    // The advice is true: that command removes it, and the stack plans again.
    const [binary, ...args] = locked.unlock!.split(' ')
    const unlocked = await runTerraform(args, {cwd: target.root, env: target.env()})
    expect(binary).to.equal(realTerraformPath())
    expect(unlocked.exitCode, unlocked.stderr).to.equal(0)
    expect(loopback.object(bucket, lockKey)).to.equal(undefined)
    const again = await target.run(['plan', '--no-synth', '--json'])
    expect(again.exitCode, again.stderr).to.equal(0)
  })

  it('a killed terraform leaves a local state unlocked: force-unlock cannot help, the next plan just runs (nothing to do)', async () => {
    const target = await makeRealFleet(['acme'], {
      resources: () => ({slow: slowResource(60)}),
      terraformSettings: {lockTimeout: '0s'},
    })
    fleets.push(target)
    const dir = target.stackDir('acme')
    expect(
      (await runTerraform(['init', '-input=false', '-no-color'], {cwd: dir, env: target.env()})).exitCode,
    ).to.equal(0)
    const apply = spawn(realTerraformPath(), ['apply', '-auto-approve', '-input=false', '-no-color'], {
      cwd: dir,
      detached: true,
      env: {HOME: process.env.HOME, PATH: process.env.PATH, ...target.env()},
      stdio: 'ignore',
    })
    const lockInfo = () => readdirSync(dirname(target.localState('acme'))).find((name) => name.endsWith('.lock.info'))
    await waitUntil(() => existsSync(dirname(target.localState('acme'))) && lockInfo() !== undefined, 'the local lock')
    process.kill(-apply.pid!, 'SIGKILL')
    await new Promise((resolve) => apply.on('exit', resolve))
    expect(lockInfo(), 'the .lock.info file stays behind').to.not.equal(undefined)
    const forced = await runTerraform(['force-unlock', '-force', 'any-id'], {cwd: dir, env: target.env()})
    expect(forced.exitCode).to.equal(1)
    expect(forced.stderr).to.contain('LocalState not locked')
    const planned = await target.run(['plan', '--no-synth', '--json'])
    expect(planned.exitCode, planned.stderr).to.equal(0)
    expect(parseJson<PlanResult>(planned).clients[0]!.status).to.equal('planned')
  })
})
