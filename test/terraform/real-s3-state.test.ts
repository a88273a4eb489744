import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import type {ErrorJson} from '../../src/base-command.ts'
import type {PlanResult} from '../../src/commands/plan.ts'
import type {StateBootstrapResult} from '../../src/commands/state/bootstrap.ts'
import type {StateMigrateResult} from '../../src/commands/state/migrate.ts'
import {parseJson} from '../helpers/cli.ts'
import {
  dataResources,
  makeRealFleet,
  s3StateYaml,
  terraformLog,
  waitUntil,
  type RealFleet,
} from '../helpers/real-fleet.ts'
import {startS3Loopback, type S3Loopback} from '../helpers/aws/s3.ts'

const byId = <T extends {id: string}>(clients: T[]) => Object.fromEntries(clients.map((client) => [client.id, client]))
const stateIn = (loopback: S3Loopback, bucket: string, key: string) => {
  const body = loopback.object(bucket, key)
  return body
    ? (JSON.parse(body.toString('utf8')) as {lineage: string; serial: number; resources: unknown[]})
    : undefined
}

/**
 * S3 state for real: terraform's S3 backend (built into terraform, no provider) against a loopback
 * S3, configured the way an operator does it (seiketsu.yaml state.endpoint and usePathStyle, passed
 * to every init as -backend-config).
 */
describe('S3 state with the real terraform (loopback S3)', () => {
  let loopback: S3Loopback
  const fleets: RealFleet[] = []
  const fleet = async (...args: Parameters<typeof makeRealFleet>) => {
    const made = await makeRealFleet(...args)
    fleets.push(made)
    return made
  }
  before(async () => {
    loopback = await startS3Loopback()
  })
  after(async () => {
    for (const made of fleets) await made.close()
    await loopback.close()
  })

  it('moves local state into S3 with state migrate: refused until then, verified, another state never overwritten', async () => {
    const bucket = 'migrate-state'
    const target = await fleet(['acme', 'bravo'])
    expect((await target.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    expect((await target.run(['provision', '--yes'])).exitCode).to.equal(0)
    const local = (id: string) =>
      JSON.parse(readFileSync(target.localState(id), 'utf8')) as {lineage: string; serial: number; resources: unknown[]}
    const before = {acme: local('acme'), bravo: local('bravo')}

    // The team moves to S3: seiketsu.yaml changes, synth writes S3 backends.
    loopback.createBucket(bucket, {versioning: true})
    await target.setState(s3StateYaml(loopback, bucket))
    for (const id of target.ids) await target.writeStack(id, dataResources(2))
    const refused = await target.run(['plan', '--no-synth', '--json'])
    expect(refused.exitCode).to.equal(2)
    for (const client of parseJson<PlanResult>(refused).clients) {
      expect(client).to.include({code: 'BACKEND_CHANGED', status: 'failed', step: 'init'})
      expect(client.error).to.contain(`seiketsu state migrate ${client.id}`)
    }

    // Someone else's state already sits at bravo's new key: it must be refused, never overwritten.
    const foreign = JSON.stringify({
      lineage: 'f0f0f0f0-0000-0000-0000-000000000000',
      resources: [],
      serial: 7,
      version: 4,
    })
    loopback.putObject(bucket, 'clients/bravo/terraform.tfstate', foreign)
    const first = await target.run(['state', 'migrate', '--no-synth', '--json'])
    expect(first.exitCode, first.stderr).to.equal(2)
    const firstRun = byId(parseJson<StateMigrateResult>(first).clients)
    expect(firstRun.acme).to.include({status: 'migrated', to: `s3://${bucket}/clients/acme/terraform.tfstate`})
    expect(firstRun.acme!.before).to.deep.include({
      lineage: before.acme.lineage,
      resources: 2,
      serial: before.acme.serial,
    })
    // Read back through S3: the same resources (terraform gives a state leaving local backends a new lineage).
    expect(firstRun.acme!.after).to.include({digest: firstRun.acme!.before!.digest, resources: 2})
    expect(firstRun.bravo).to.include({code: 'STATE_CONFLICT', status: 'refused'})
    expect(loopback.object(bucket, 'clients/bravo/terraform.tfstate')!.toString()).to.equal(foreign)
    expect(loopback.versions(bucket, 'clients/bravo/terraform.tfstate')).to.have.length(1)
    expect(existsSync(target.localState('bravo'))).to.equal(true, 'bravo keeps its local state')
    expect(existsSync(target.localState('acme'))).to.equal(false, 'acme’s local state is retired…')
    expect(existsSync(`${target.localState('acme')}.migrated`)).to.equal(true, '…as *.migrated')

    // Once the foreign object is gone, the same command finishes the job; acme is left as it is.
    loopback.putObject(bucket, 'clients/bravo/terraform.tfstate', '')
    const second = await target.run(['state', 'migrate', '--no-synth', '--json'])
    expect(second.exitCode, second.stderr).to.equal(0)
    const secondRun = byId(parseJson<StateMigrateResult>(second).clients)
    expect(secondRun.acme!.status).to.equal('unchanged')
    expect(secondRun.bravo!.status).to.equal('migrated')
    for (const id of ['acme', 'bravo'] as const) {
      const moved = stateIn(loopback, bucket, `clients/${id}/terraform.tfstate`)!
      expect(moved.resources).to.deep.equal(before[id].resources)
      expect(moved.lineage).to.equal((id === 'acme' ? firstRun : secondRun)[id]!.after!.lineage)
    }
    // The same resources landed: nothing to do.
    const again = await target.run(['plan', '--no-synth', '--detailed-exitcode', '--json'])
    expect(again.exitCode, again.stderr).to.equal(0)
    expect(parseJson<PlanResult>(again).clients.map((client) => client.status)).to.deep.equal([
      'no-changes',
      'no-changes',
    ])
  })

  it('bootstraps S3 state: client stacks refused until the platform stack made the bucket on local state and moved into it', async () => {
    const bucket = 'bootstrap-state'
    const target = await fleet(['acme'], {s3: {bucket, createBucket: false, loopback}})
    const refused = await target.run(['plan', '--no-synth', '--json'])
    expect(refused.exitCode).to.equal(2)
    const acme = parseJson<PlanResult>(refused).clients[0]!
    expect(acme).to.include({code: 'STATE_NOT_BOOTSTRAPPED', status: 'failed'})
    expect(acme.error).to.contain(`state bucket ${bucket} does not exist yet: run seiketsu state bootstrap`)

    // The platform stack: it creates the state bucket (here a local-exec PUT to the loopback S3).
    const createBucket = `${JSON.stringify(process.execPath)} -e "fetch(process.argv[1], {method: 'PUT'}).then((r) => process.exit(r.ok ? 0 : 1))" ${loopback.url}/${bucket}`
    await target.writeStack('platform', {
      ...dataResources(2, 'role'),
      state_bucket: {input: bucket, provisioner: [{'local-exec': {command: createBucket}}]},
    })
    const unconfirmed = await target.run(['state', 'bootstrap', '--no-synth', '--json'])
    expect(unconfirmed.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(unconfirmed).error).to.include({code: 'MISSING_INPUT'})
    expect(loopback.hasBucket(bucket)).to.equal(false, 'nothing was applied without --yes')

    // The first try applies on local state, then S3 refuses the state write: nothing is lost, it stops (exit 4)…
    loopback.fault = (request) =>
      request.method === 'PUT' && request.key === 'clients/platform/terraform.tfstate'
        ? {code: 'AccessDenied', status: 403}
        : undefined
    const failed = await target.run(['state', 'bootstrap', '--no-synth', '--yes', '--json'])
    loopback.fault = () => undefined
    expect(failed.exitCode, failed.stdout).to.equal(4)
    expect(parseJson<ErrorJson>(failed).error.message).to.contain('applied on local state but not moved')
    expect(loopback.hasBucket(bucket)).to.equal(true, 'the platform apply made the bucket')
    const localState = join(target.root, '.seiketsu', 'state', 'platform', 'terraform.tfstate')
    expect(existsSync(localState)).to.equal(true, 'the applied state stays on local state')

    // …and running it again resumes: the move only, no second apply.
    const done = await target.run(['state', 'bootstrap', '--no-synth', '--yes', '--json'])
    expect(done.exitCode, done.stdout + done.stderr).to.equal(0)
    const result = parseJson<StateBootstrapResult>(done)
    expect(result).to.include({
      bucket,
      state: `s3://${bucket}/clients/platform/terraform.tfstate`,
      status: 'resumed',
    })
    expect(result).to.not.have.property('applied')
    const applies = (await terraformLog(target, 'platform')).match(
      /^\$ \S+ apply -input=false[^\n]*bootstrap\.tfplan/gm,
    )
    expect(applies, 'one apply over both runs').to.have.length(1)
    expect(result.migration!.status).to.equal('migrated')
    expect(result.migration!.after).to.include({digest: result.migration!.before!.digest, resources: 3})
    const platformState = stateIn(loopback, bucket, 'clients/platform/terraform.tfstate')!
    expect(platformState.lineage).to.equal(result.migration!.after!.lineage)
    expect(platformState.resources).to.have.length(3)
    expect(existsSync(join(target.root, '.seiketsu', 'state', 'platform', 'terraform.tfstate'))).to.equal(false)
    expect(existsSync(join(target.stackDir('platform'), 'seiketsu_backend_override.tf.json'))).to.equal(false)

    const twice = await target.run(['state', 'bootstrap', '--no-synth', '--yes', '--json'])
    expect(twice.exitCode, twice.stderr).to.equal(0)
    expect(parseJson<StateBootstrapResult>(twice).status).to.equal('already-bootstrapped')
    expect(stateIn(loopback, bucket, 'clients/platform/terraform.tfstate')!.serial).to.equal(platformState.serial)

    const planned = await target.run(['plan', 'acme', 'platform', '--no-synth', '--json'])
    expect(planned.exitCode, planned.stderr).to.equal(0)
    expect(byId(parseJson<PlanResult>(planned).clients).acme).to.include({add: 2, status: 'planned'})
    expect(byId(parseJson<PlanResult>(planned).clients).platform).to.include({status: 'no-changes'})
  })

  it('two plans of one stack from two checkouts: one waits for the S3 lock and proceeds, one times out naming the lock', async () => {
    const bucket = 'shared-state'
    const slow = () => ({
      ...dataResources(1),
      slow: {input: 'one', provisioner: [{'local-exec': {command: 'sleep 8'}}]},
    })
    const holder = await fleet(['acme'], {resources: slow, s3: {bucket, loopback}})
    const patient = await fleet(['acme'], {resources: slow, s3: {bucket, createBucket: false, loopback}})
    const hasty = await fleet(['acme'], {
      resources: slow,
      s3: {bucket, createBucket: false, loopback},
      terraformSettings: {lockTimeout: '1s'},
    })
    expect((await holder.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    const applying = holder.start(['provision', '--yes', '--json'])
    const lockKey = 'clients/acme/terraform.tfstate.tflock'
    await waitUntil(() => loopback.object(bucket, lockKey) !== undefined, 'the apply to take the S3 lock')
    const lockId = (JSON.parse(loopback.object(bucket, lockKey)!.toString()) as {ID: string}).ID

    const [timedOut, waited] = await Promise.all([
      hasty.run(['plan', '--no-synth', '--json']),
      patient.run(['plan', '--no-synth', '--json']),
    ])
    const applied = await applying.done
    expect(applied.exitCode, applied.stderr).to.equal(0)

    expect(timedOut.exitCode).to.equal(4)
    const failed = parseJson<PlanResult>(timedOut).clients[0]!
    expect(failed).to.include({code: 'STATE_LOCKED', status: 'failed', step: 'plan'})
    expect(failed.error).to.contain(`state lock ID ${lockId}`)
    expect(failed.error).to.contain(`the lock object s3://${bucket}/${lockKey} (ID ${lockId}`)
    expect(failed.error).to.contain(`force-unlock -force ${lockId}`)

    expect(waited.exitCode, waited.stderr).to.equal(0)
    expect(parseJson<PlanResult>(waited).clients[0]).to.include({status: 'no-changes'})
    expect(await terraformLog(patient, 'acme')).to.contain('Acquiring state lock')
    expect(loopback.object(bucket, lockKey)).to.equal(undefined, 'every lock was released')
  })
})
