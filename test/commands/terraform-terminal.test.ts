import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {invocationsOf, makeFleet} from '../helpers/fleet.ts'
import {KEYS, runInTerminal} from '../helpers/pty.ts'
import {isAlive, waitFor} from '../helpers/terraform.ts'

// On a real pseudo-terminal: the live task list, the confirmation prompt, and Ctrl-C delivered by
// the terminal driver to the foreground process group.
describe('plan and provision at a terminal', () => {
  it('provision lists the changes and applies only after a yes', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    await fleet.run(['plan', '--no-synth'], {TF_STANDIN_REPLACE: 'bravo:aws_kms_key.client'})

    const declined = runInTerminal(['provision'], {cwd: fleet.root, env: fleet.env()})
    await declined.waitFor(/Apply these plans to 1 client\(s\)\?/)
    expect(declined.output).to.match(/acme\s+\+7 ~0 -\/\+0 -0/)
    expect(declined.output).to.contain('+   aws_db_instance.database')
    expect(declined.output).to.match(/bravo.*BLOCKED/)
    declined.type(`n${KEYS.enter}`)
    expect(await declined.exit()).to.equal(1)
    expect(invocationsOf(await fleet.invocations(), 'apply')).to.deep.equal([])

    const accepted = runInTerminal(['provision', 'acme'], {cwd: fleet.root, env: fleet.env()})
    await accepted.waitFor(/Apply these plans to 1 client\(s\)\?/)
    accepted.type(`y${KEYS.enter}`)
    expect(await accepted.exit()).to.equal(0)
    expect(accepted.output).to.match(/acme\s+7\s+0\s+0\s+0\s+applied/)
    expect(existsSync(join(fleet.root, '.seiketsu', 'state', 'acme', 'terraform.tfstate'))).to.equal(true)
  })

  it('Ctrl-C typed at the terminal during plan: one SIGINT per terraform, exit 130, nothing left running', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    const terminal = runInTerminal(['plan', '--no-synth', '--concurrency', '2'], {
      cwd: fleet.root,
      env: fleet.env({TF_STANDIN_PLAN_MS: '60000', TF_STANDIN_PLUGIN: '1', TF_STANDIN_SIGINT_MS: '200'}),
    })
    await waitFor(async () => {
      const plans = invocationsOf(await fleet.invocations(), 'plan')
      return plans.length === 2 && plans.every((plan) => plan.plugins.length === 1) ? true : undefined
    }, 'two running plans')
    terminal.type(KEYS.ctrlC)
    expect(await terminal.exit()).to.equal(130)
    expect(terminal.output).to.contain('Interrupted (SIGINT): no new stacks start')
    expect(terminal.output).to.match(/carol\s+0\s+0\s+0\s+0\s+skipped/)
    const invocations = await fleet.invocations()
    for (const plan of invocationsOf(invocations, 'plan')) expect(plan.signals).to.deep.equal(['SIGINT'])
    const pids = invocations.flatMap((invocation) => [invocation.pid, ...invocation.plugins])
    expect((await Promise.all(pids.map((pid) => isAlive(pid)))).some(Boolean)).to.equal(false)
  })
})
