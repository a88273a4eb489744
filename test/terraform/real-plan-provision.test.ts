import {existsSync, readFileSync} from 'node:fs'
import {copyFile, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {ErrorJson} from '../../src/base-command.ts'
import type {PlanResult} from '../../src/commands/plan.ts'
import type {ProvisionResult} from '../../src/commands/provision.ts'
import {sha256File, type PlanRecord} from '../../src/terraform/plan-files.ts'
import {parseJson} from '../helpers/cli.ts'
import {rewritePlanEntry} from '../helpers/plan-file.ts'
import {dataResources, makeRealFleet, terraformLog, type RealFleet} from '../helpers/real-fleet.ts'
import {realTerraformPath, runTerraform} from '../helpers/real-terraform.ts'
import {standinPath} from '../helpers/terraform.ts'

const stateOf = (fleet: RealFleet, id: string) =>
  JSON.parse(readFileSync(fleet.localState(id), 'utf8')) as {lineage: string; serial: number; resources: unknown[]}

describe('plan and provision with the real terraform (terraform_data stacks)', () => {
  const fleets: RealFleet[] = []
  const fleet = async (...args: Parameters<typeof makeRealFleet>) => {
    const made = await makeRealFleet(...args)
    fleets.push(made)
    return made
  }
  after(async () => {
    for (const made of fleets) await made.close()
  })

  it('plans, applies the saved plans and plans again without changes; the stand-in agrees on every step', async () => {
    realTerraformPath()
    const real = await fleet(['acme', 'bravo'])
    const standin = await fleet(['acme', 'bravo'])
    const steps = async (target: RealFleet, extra: NodeJS.ProcessEnv) => {
      const planned = await target.run(['plan', '--no-synth', '--detailed-exitcode', '--json'], extra)
      const applied = await target.run(['provision', '--yes', '--json'], extra)
      const again = await target.run(['plan', '--no-synth', '--detailed-exitcode', '--json'], extra)
      return {again, applied, planned}
    }
    const realRun = await steps(real, {})
    const standinRun = await steps(standin, {SEIKETSU_TERRAFORM_BIN: standinPath})
    for (const [name, run] of [
      ['real', realRun],
      ['stand-in', standinRun],
    ] as const) {
      expect(run.planned.exitCode, `${name}: ${run.planned.stderr}`).to.equal(2)
      expect(run.applied.exitCode, `${name}: ${run.applied.stderr}`).to.equal(0)
      expect(run.again.exitCode, `${name}: ${run.again.stderr}`).to.equal(0)
    }
    const summary = (result: PlanResult | ProvisionResult) =>
      result.clients.map(({add, change, destroy, id, replace, status}) => ({add, change, destroy, id, replace, status}))
    expect(summary(parseJson<PlanResult>(standinRun.planned))).to.deep.equal(
      summary(parseJson<PlanResult>(realRun.planned)),
    )
    expect(summary(parseJson<ProvisionResult>(standinRun.applied))).to.deep.equal(
      summary(parseJson<ProvisionResult>(realRun.applied)),
    )
    expect(summary(parseJson<PlanResult>(realRun.planned))).to.deep.equal([
      {add: 2, change: 0, destroy: 0, id: 'acme', replace: 0, status: 'planned'},
      {add: 2, change: 0, destroy: 0, id: 'bravo', replace: 0, status: 'planned'},
    ])
    expect(parseJson<PlanResult>(realRun.again).clients.map((client) => client.status)).to.deep.equal([
      'no-changes',
      'no-changes',
    ])
    for (const id of real.ids) expect(stateOf(real, id).resources).to.have.length(2)
    const record = JSON.parse(await readFile(join(real.stackDir('acme'), 'plan.seiketsu.json'), 'utf8')) as PlanRecord
    expect(record.terraform).to.include({
      flavor: 'terraform',
      version: parseJson<PlanResult>(realRun.again).terraform.version,
    })
    expect(record.state).to.deep.equal({lineage: stateOf(real, 'acme').lineage, serial: stateOf(real, 'acme').serial})
  })

  it('refuses a saved plan made by another terraform version before applying (exit 2, plan again), as terraform would', async () => {
    const target = await fleet(['acme'])
    expect((await target.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    const planFile = join(target.stackDir('acme'), 'plan.tfplan')
    const recordFile = join(target.stackDir('acme'), 'plan.seiketsu.json')
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as PlanRecord
    const other = record.terraform.version.replace(/\d+$/, (patch) => String(Number(patch) + 1))
    // What the plan of a colleague's (or a CI image's) other terraform looks like: its tfplan names that version.
    await rewritePlanEntry(planFile, 'tfplan', (data) =>
      Buffer.from(data.toString('latin1').replace(record.terraform.version, other), 'latin1'),
    )
    await writeFile(
      recordFile,
      JSON.stringify({
        ...record,
        planSha256: await sha256File(planFile),
        terraform: {...record.terraform, version: other},
      }),
    )
    // terraform itself cannot apply it (and would fail mid-run, exit 4, keeping the plan):
    const copy = join(target.stackDir('acme'), 'other.tfplan')
    await copyFile(planFile, copy)
    const direct = await runTerraform(['apply', '-input=false', '-no-color', copy], {
      cwd: target.stackDir('acme'),
      env: target.env(),
    })
    expect(direct.exitCode).to.equal(1)
    expect(direct.stderr.replaceAll(/\s+/g, ' ')).to.contain(`plan file was created by Terraform ${other}`)

    const refused = await target.run(['provision', '--yes', '--json'])
    expect(refused.exitCode).to.equal(2)
    const error = parseJson<ErrorJson>(refused).error
    expect(error.code).to.equal('PLAN_FROM_OTHER_TERRAFORM')
    expect(error.message).to.contain(`made by terraform ${other}; this run uses terraform ${record.terraform.version}`)
    expect(error.suggestions![0]).to.match(/^Plan again: seiketsu plan acme/)
    expect(await terraformLog(target, 'acme')).to.not.contain('$ ' + realTerraformPath() + ' apply')
    expect(existsSync(target.localState('acme'))).to.equal(false, 'nothing was applied')
  })

  it('refuses a plan whose state moved on or was replaced by another lineage (exit 2), before terraform runs', async () => {
    const target = await fleet(['acme', 'bravo'])
    expect((await target.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    expect((await target.run(['provision', '--yes'])).exitCode).to.equal(0)
    await target.writeStack('acme', dataResources(3))
    await target.writeStack('bravo', dataResources(3))
    expect((await target.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    // acme: someone applied outside seiketsu meanwhile (serial +1); bravo: its state was swapped for another.
    const direct = await runTerraform(['apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=5s'], {
      cwd: target.stackDir('acme'),
      env: target.env(),
    })
    expect(direct.exitCode, direct.stderr).to.equal(0)
    const bravo = stateOf(target, 'bravo')
    await writeFile(
      target.localState('bravo'),
      JSON.stringify({...bravo, lineage: '00000000-1111-2222-3333-444444444444'}),
    )

    const refused = await target.run(['provision', '--yes', '--json'])
    expect(refused.exitCode).to.equal(2)
    const error = parseJson<ErrorJson>(refused).error
    expect(error.code).to.equal('STALE_PLAN')
    expect(error.message).to.contain('acme (the state changed after it was planned')
    expect(error.message).to.contain('bravo (the state is another one than the plan was made against')
    expect(error.suggestions![0]).to.contain('Plan again: seiketsu plan acme bravo')
    expect(stateOf(target, 'bravo').resources).to.have.length(2, 'nothing was applied to bravo')
  })

  it('summarizes import-only, moved-only and forget-only changes: counts, columns, JSON, no drift', async () => {
    const target = await fleet(['acme'], {
      resources: () => ({gone: {input: 'g'}, old: {input: 'm'}, stay: {input: 's'}}),
    })
    expect((await target.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    expect((await target.run(['provision', '--yes'])).exitCode).to.equal(0)
    await target.writeStack(
      'acme',
      {imported: {input: null}, moved: {input: 'm'}, stay: {input: 's'}},
      {
        import: [{id: 'outside-1', to: 'terraform_data.imported'}],
        moved: [{from: 'terraform_data.old', to: 'terraform_data.moved'}],
        removed: [{from: 'terraform_data.gone', lifecycle: {destroy: false}}],
      },
    )
    const planned = await target.run(['plan', '--no-synth', '--detailed-exitcode', '--json'])
    expect(planned.exitCode, planned.stderr).to.equal(2, 'terraform: there are changes')
    const acme = parseJson<PlanResult>(planned).clients[0]!
    expect(acme).to.include({
      add: 0,
      change: 0,
      destroy: 0,
      forget: 1,
      hasChanges: true,
      import: 1,
      move: 1,
      replace: 0,
    })
    expect(acme.status).to.equal('planned')
    expect(acme.drift).to.deep.equal([], 'a move is not drift')
    expect(acme.changes.map(({action, address}) => [address, action])).to.deep.equal([
      ['terraform_data.gone', 'forget'],
      ['terraform_data.imported', 'import'],
      ['terraform_data.moved', 'move'],
    ])
    expect(acme.changes.find((change) => change.action === 'move')).to.include({previousAddress: 'terraform_data.old'})
    expect(acme.changes.find((change) => change.action === 'import')!.importing).to.deep.equal({id: 'outside-1'})

    const human = await target.run(['plan', '--no-synth'])
    expect(human.stdout).to.match(/CLIENT\s+ADD\s+CHANGE\s+REPLACE\s+DESTROY\s+IMPORT\s+MOVE\s+FORGET\s+STATUS/)
    expect(human.stdout).to.match(/acme\s+0\s+0\s+0\s+0\s+1\s+1\s+1\s+planned/)
    expect(human.stdout).to.contain('move terraform_data.moved (moved from terraform_data.old)')
    expect((await target.run(['provision', '--yes'])).exitCode).to.equal(0)
    const state = stateOf(target, 'acme') as unknown as {resources: {name: string}[]}
    expect(state.resources.map((resource) => resource.name).sort()).to.deep.equal(['imported', 'moved', 'stay'])
    expect((await target.run(['plan', '--no-synth', '--detailed-exitcode'])).exitCode).to.equal(0)
  })
})
