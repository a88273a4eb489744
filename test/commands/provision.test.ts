import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {appendFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {ErrorJson} from '../../src/base-command.ts'
import type {PlanResult} from '../../src/commands/plan.ts'
import type {ProvisionResult} from '../../src/commands/provision.ts'
import {parseJson} from '../helpers/cli.ts'
import {invocationsOf, makeFleet, type Fleet} from '../helpers/fleet.ts'
import {CLIENT_STACK_RESOURCES, startCli, waitFor} from '../helpers/terraform.ts'

const byId = (result: ProvisionResult) => Object.fromEntries(result.clients.map((client) => [client.id, client]))
const planFile = (root: string, id: string) => join(root, 'cdktf.out', 'stacks', id, 'plan.tfplan')
const stateFile = (root: string, id: string) => join(root, '.seiketsu', 'state', id, 'terraform.tfstate')
const stackDir = (root: string, id: string) => join(root, 'cdktf.out', 'stacks', id)

/** What a provision run must never leave in the stack folders: its plan copies (secrets in clear text) and locks. */
function leftovers(fleet: Fleet): string[] {
  return fleet.ids.flatMap((id) =>
    readdirSync(stackDir(fleet.root, id))
      .filter((name) => /^plan\.apply-|^\.seiketsu[.-]lock/.test(name))
      .map((name) => `${id}/${name}`),
  )
}

/** The summary line of terraform's apply output in a stack's log. */
const applySummaries = (root: string, id: string) =>
  readFileSync(join(stackDir(root, id), 'terraform.log'), 'utf8').match(/Apply complete! .*/g) ?? []

describe('seiketsu provision', () => {
  it('applies its checked copy of the saved plan file, then forgets both; a new plan then shows no changes', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    expect((await fleet.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    const result = await fleet.run(['provision', '--yes', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = parseJson<ProvisionResult>(result)
    expect(json.clients.map((client) => [client.id, client.status, client.add])).to.deep.equal([
      ['acme', 'applied', CLIENT_STACK_RESOURCES],
      ['bravo', 'applied', CLIENT_STACK_RESOURCES],
    ])
    const applies = invocationsOf(await fleet.invocations(), 'apply').sort((a, b) => a.stack.localeCompare(b.stack))
    expect(applies.map((apply) => apply.argv.slice(0, 4))).to.deep.equal(
      ['acme', 'bravo'].map(() => ['apply', '-input=false', '-no-color', '-lock-timeout=5m']),
    )
    for (const apply of applies) {
      // A copy in the plan's own working directory (terraform applies a plan of any name from there).
      expect(apply.argv[4]).to.match(/\/plan\.apply-[\da-f]{8}\.tfplan$/)
      expect(apply.argv[4]!.startsWith(`${stackDir(fleet.root, apply.stack)}/`)).to.equal(true)
    }
    expect(invocationsOf(await fleet.invocations(), 'plan')).to.have.length(2, 'provision never plans')
    for (const id of ['acme', 'bravo']) {
      expect(JSON.parse(readFileSync(stateFile(fleet.root, id), 'utf8')).resources).to.have.length(
        CLIENT_STACK_RESOURCES,
      )
      expect(existsSync(planFile(fleet.root, id))).to.equal(false, 'an applied plan is removed')
    }
    expect(leftovers(fleet)).to.deep.equal([])
    const again = await fleet.run(['plan', '--no-synth', '--json'])
    expect(parseJson<ProvisionResult>(again).clients.map((client) => client.status)).to.deep.equal([
      'no-changes',
      'no-changes',
    ])
  })

  it('applies saved plans carried to a fresh checkout: init from the plan’s own lock file first', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    await fleet.run(['plan', '--no-synth'])
    const lockFile = join(fleet.root, 'cdktf.out', 'stacks', 'acme', '.terraform.lock.hcl')
    const lockText = readFileSync(lockFile, 'utf8')
    // What a CI apply job has: the stack folders from the plan job's artifact, no .terraform, no cache.
    for (const id of fleet.ids) await rm(join(fleet.root, 'cdktf.out', 'stacks', id, '.terraform'), {recursive: true})
    await rm(join(fleet.root, '.seiketsu', 'cache'), {recursive: true})
    await writeFile(fleet.logFile, '')
    const result = await fleet.run(['provision', '--yes', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const invocations = await fleet.invocations()
    expect(invocationsOf(invocations, 'init').map((init) => init.argv)).to.deep.equal([
      ['init', '-input=false', '-no-color', '-lockfile=readonly'],
      ['init', '-input=false', '-no-color', '-lockfile=readonly'],
    ])
    expect(invocationsOf(invocations, 'apply')).to.have.length(2)
    expect(invocationsOf(invocations, 'plan')).to.deep.equal([])
    expect(readFileSync(lockFile, 'utf8')).to.equal(lockText)
  })

  it('an incomplete plan (deferred changes) is applied but never reported as finished: plan and provision again', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    const defer = {TF_STANDIN_DEFER: 'acme:aws_db_instance.database'}
    const planned = await fleet.run(['plan', '--no-synth', '--json'], defer)
    expect(planned.exitCode, planned.stderr).to.equal(0)
    const plan = parseJson<PlanResult>(planned)
    expect(plan.clients.map((client) => [client.id, client.complete, client.add])).to.deep.equal([
      ['acme', false, CLIENT_STACK_RESOURCES - 1],
      ['bravo', true, CLIENT_STACK_RESOURCES],
    ])
    expect(plan.warnings.some((warning) => warning.startsWith('acme: terraform deferred part of this plan'))).to.equal(
      true,
    )
    const applied = await fleet.run(['provision', '--yes'])
    expect(applied.exitCode, applied.stderr).to.equal(0)
    expect(applied.stdout).to.match(/acme\s+6\s+0\s+0\s+0\s+applied \(incomplete\)/)
    expect(applied.stdout).to.match(/bravo\s+7\s+0\s+0\s+0\s+applied\s*\n/)
    expect(applied.stderr).to.contain('acme: applied an incomplete plan')
    // The next round plans what was deferred.
    const next = parseJson<PlanResult>(await fleet.run(['plan', '--no-synth', 'acme', '--json']))
    expect(next.clients[0]).to.include({add: 1, complete: true, status: 'planned'})
  })

  it('refuses in CI without --yes: exit 2, nothing applied, the plans kept', async () => {
    const fleet = await makeFleet(['acme'])
    await fleet.run(['plan', '--no-synth'])
    const result = await fleet.run(['provision', '--json'])
    expect(result.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(result).error).to.include({code: 'MISSING_INPUT'})
    expect(parseJson<ErrorJson>(result).error.message).to.contain('--yes')
    expect(invocationsOf(await fleet.invocations(), 'apply')).to.deep.equal([])
    expect(existsSync(planFile(fleet.root, 'acme'))).to.equal(true)
    expect(existsSync(stateFile(fleet.root, 'acme'))).to.equal(false)
    expect(leftovers(fleet)).to.deep.equal([], 'nor a copy of the plan, nor the lock')
  })

  it('refuses (exit 2, nothing applied) when a plan is missing or older than its stack', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    const none = await fleet.run(['provision', '--yes', '--json'])
    expect(none.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(none).error).to.include({code: 'NO_SAVED_PLAN'})
    expect(parseJson<ErrorJson>(none).error.suggestions![0]).to.contain('seiketsu plan acme bravo carol')

    await fleet.run(['plan', '--no-synth'])
    // The stack changes after it was planned (a new synth), and bravo's plan file is swapped for another.
    await appendFile(join(fleet.root, 'cdktf.out', 'stacks', 'acme', 'cdk.tf.json'), '\n')
    await writeFile(planFile(fleet.root, 'bravo'), 'not the reviewed plan')
    const outdated = await fleet.run(['provision', '--yes', '--json'])
    expect(outdated.exitCode).to.equal(2)
    const error = parseJson<ErrorJson>(outdated).error
    expect(error.message).to.contain('acme (the stack changed after it was planned)')
    expect(error.message).to.contain('bravo (the plan file is not the one seiketsu plan saved)')
    expect(error.message).to.not.contain('carol')
    expect(invocationsOf(await fleet.invocations(), 'apply')).to.deep.equal([], 'carol is not applied either')

    // A record written by an earlier seiketsu (version 1: no terraform flavor, no state) is planned again.
    const record = join(fleet.root, 'cdktf.out', 'stacks', 'carol', 'plan.seiketsu.json')
    await writeFile(record, JSON.stringify({...JSON.parse(readFileSync(record, 'utf8')), version: 1}))
    const older = await fleet.run(['provision', 'carol', '--yes', '--json'])
    expect(older.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(older).error.message).to.contain('carol (planned by an older seiketsu')
  })

  it('blocks a client whose plan replaces a stateful resource (exit 3) and applies the others', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    await fleet.run(['plan', '--no-synth'], {TF_STANDIN_REPLACE: 'bravo:aws_db_instance.database'})
    const result = await fleet.run(['provision', '--yes', '--json'])
    expect(result.exitCode).to.equal(3)
    const clients = byId(parseJson<ProvisionResult>(result))
    expect(clients.acme!.status).to.equal('applied')
    expect(clients.bravo).to.include({code: 'DESTRUCTIVE_CHANGE', status: 'blocked'})
    expect(clients.bravo!.blocked).to.deep.equal(['aws_db_instance.database'])
    expect(invocationsOf(await fleet.invocations(), 'apply').map((apply) => apply.stack)).to.deep.equal(['acme'])
    expect(existsSync(planFile(fleet.root, 'bravo'))).to.equal(true, 'the blocked plan stays for review')
    expect(leftovers(fleet)).to.deep.equal([])

    const human = await fleet.run(['provision', 'bravo', '--yes'])
    expect(human.exitCode).to.equal(3)
    expect(human.stdout).to.contain('--allow-destroy bravo:aws_db_instance.database')
  })

  it('applies a destructive plan when --allow-destroy names each destructive address', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    const replace = {TF_STANDIN_REPLACE: 'aws_db_instance.database,bravo:aws_kms_key.client'}
    await fleet.run(['plan', '--no-synth'], replace)
    const partly = await fleet.run(['provision', '--yes', '--json', '--allow-destroy', 'aws_db_instance.database'])
    expect(partly.exitCode).to.equal(3)
    const partlyClients = byId(parseJson<ProvisionResult>(partly))
    expect(partlyClients.acme).to.include({status: 'applied'})
    expect(partlyClients.acme!.allowed).to.deep.equal(['aws_db_instance.database'])
    expect(partlyClients.bravo!.blocked).to.deep.equal(['aws_kms_key.client'])

    const all = await fleet.run([
      'provision',
      'bravo',
      '--yes',
      '--json',
      '--allow-destroy',
      'aws_db_instance.database',
      '--allow-destroy',
      'bravo:aws_kms_key.client',
    ])
    expect(all.exitCode, all.stderr).to.equal(0)
    expect(byId(parseJson<ProvisionResult>(all)).bravo).to.include({status: 'applied'})

    const unknown = await fleet.run(['provision', '--yes', '--json', '--allow-destroy', 'zulu:aws_s3_bucket.data'])
    expect(unknown.exitCode).to.equal(2)
  })

  it('reports terraform’s stale-plan refusal clearly (exit 4) and forgets that plan', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    await fleet.run(['plan', '--no-synth'])
    const result = await fleet.run(['provision', '--yes', '--json'], {TF_STANDIN_STALE: 'acme'})
    expect(result.exitCode).to.equal(4)
    const clients = byId(parseJson<ProvisionResult>(result))
    expect(clients.acme).to.include({code: 'STALE_PLAN', status: 'failed'})
    expect(clients.acme!.error).to.match(/stale.*run seiketsu plan acme/)
    expect(clients.bravo!.status).to.equal('applied')
    const next = await fleet.run(['provision', 'acme', '--yes', '--json'])
    expect(next.exitCode).to.equal(2, 'the stale plan cannot be retried: plan again')
  })

  it('keeps applying the other clients when one apply fails (exit 4)', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    await fleet.run(['plan', '--no-synth'])
    const result = await fleet.run(['provision', '--yes', '--concurrency', '1', '--json'], {
      TF_STANDIN_FAIL_APPLY: 'acme',
    })
    expect(result.exitCode).to.equal(4)
    const clients = byId(parseJson<ProvisionResult>(result))
    expect(clients.acme!.error).to.contain('AccessDeniedException')
    expect([clients.bravo!.status, clients.carol!.status]).to.deep.equal(['applied', 'applied'])
    expect(leftovers(fleet)).to.deep.equal([])
  })

  it('skips clients whose plan has no changes without running terraform', async () => {
    const fleet = await makeFleet(['acme'])
    await fleet.run(['plan', '--no-synth'])
    await fleet.run(['provision', '--yes'])
    await fleet.run(['plan', '--no-synth'])
    await writeFile(fleet.logFile, '')
    const result = await fleet.run(['provision', '--json'])
    expect(result.exitCode, 'nothing to confirm: no --yes needed').to.equal(0)
    expect(byId(parseJson<ProvisionResult>(result)).acme!.status).to.equal('no-changes')
    expect(invocationsOf(await fleet.invocations(), 'apply')).to.deep.equal([])
  })
  describe('while a provision runs', () => {
    // The review's race: bravo is planned without destructive changes and provision checks that plan;
    // while acme applies (held by the gate), someone plans bravo again, now replacing its database.
    async function startProvision(fleet: Fleet) {
      const gate = join(fleet.root, 'acme-apply-may-finish')
      const started = startCli(['provision', 'acme', 'bravo', '--concurrency', '1', '--yes', '--json'], {
        cwd: fleet.root,
        env: fleet.env({TF_STANDIN_APPLY_GATE: `acme=${gate}`}),
      })
      await waitFor(async () => invocationsOf(await fleet.invocations(), 'apply', 'acme')[0], 'acme’s apply')
      return {...started, openGate: () => writeFile(gate, '')}
    }

    it('a plan of a stack being provisioned fails at once (exit 1) and the reviewed plan is applied', async () => {
      const fleet = await makeFleet(['acme', 'bravo'])
      expect((await fleet.run(['plan', '--no-synth'])).exitCode).to.equal(0)
      const provision = await startProvision(fleet)

      const replan = await fleet.run(['plan', 'bravo', '--no-synth', '--json'], {
        TF_STANDIN_REPLACE: 'bravo:aws_db_instance.database',
      })
      const second = await fleet.run(['provision', 'bravo', '--yes', '--json'])
      await provision.openGate()
      const result = await provision.done

      expect(replan.exitCode, replan.stderr).to.equal(1)
      const bravoPlan = parseJson<PlanResult>(replan).clients[0]!
      expect(bravoPlan).to.include({status: 'failed', step: 'lock'})
      expect(bravoPlan.error).to.match(/bravo is in use by seiketsu provision \(pid \d+/)
      expect(invocationsOf(await fleet.invocations(), 'plan', 'bravo')).to.have.length(1, 'terraform never ran')
      expect(second.exitCode).to.equal(1)
      expect(parseJson<ErrorJson>(second).error).to.include({code: 'STACK_BUSY'})

      expect(result.exitCode, result.stderr).to.equal(0)
      expect(byId(parseJson<ProvisionResult>(result)).bravo).to.include({replace: 0, status: 'applied'})
      // What terraform applied for bravo is the reviewed plan: nothing destroyed.
      expect(applySummaries(fleet.root, 'bravo')).to.deep.equal([
        `Apply complete! Resources: ${CLIENT_STACK_RESOURCES} added, 0 changed, 0 destroyed.`,
      ])
      expect(leftovers(fleet)).to.deep.equal([])
      expect((await fleet.run(['plan', 'bravo', '--no-synth'])).exitCode, 'the lock is released').to.equal(0)
    })

    it('applies the copy it checked even when plan.tfplan is replaced behind its back', async () => {
      const fleet = await makeFleet(['acme', 'bravo'])
      await fleet.run(['plan', '--no-synth'])
      const provision = await startProvision(fleet)
      await writeFile(planFile(fleet.root, 'bravo'), 'not the reviewed plan')
      await provision.openGate()
      const result = await provision.done
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(byId(parseJson<ProvisionResult>(result)).bravo).to.include({status: 'applied'})
      expect(applySummaries(fleet.root, 'bravo')).to.have.length(1)
      expect(leftovers(fleet)).to.deep.equal([])
    })

    it('an interrupt leaves no plan copy and no lock behind', async () => {
      const fleet = await makeFleet(['acme', 'bravo'])
      await fleet.run(['plan', '--no-synth'])
      const provision = await startProvision(fleet)
      provision.child.kill('SIGINT')
      const result = await provision.done
      expect(result.exitCode).to.equal(130)
      expect(byId(parseJson<ProvisionResult>(result)).bravo).to.include({status: 'skipped'})
      expect(leftovers(fleet)).to.deep.equal([])
      expect(existsSync(planFile(fleet.root, 'bravo'))).to.equal(true, 'bravo’s plan was not applied: it stays')
      expect((await fleet.run(['provision', 'bravo', '--yes'])).exitCode).to.equal(0)
    })
  })
})
