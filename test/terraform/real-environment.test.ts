import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import type {ErrorJson} from '../../src/base-command.ts'
import type {PlanResult} from '../../src/commands/plan.ts'
import {makeTempDir, parseJson} from '../helpers/cli.ts'
import {makeRealFleet, terraformLog, type RealFleet} from '../helpers/real-fleet.ts'

/**
 * The environment terraform inherits, with the real terraform: what would make a result wrong is
 * refused (exit 2, naming the variable and the flag, never its value) or kept from terraform; the
 * rest passes with a warning; terraform.log never receives a debug log or a credential.
 */
describe('the environment terraform runs with (real terraform)', () => {
  let fleet: RealFleet
  before(async () => {
    fleet = await makeRealFleet(['acme', 'bravo'])
  })
  after(async () => {
    await fleet.close()
  })

  for (const [variable, value, flag] of [
    ['TF_CLI_ARGS_plan', '-target=terraform_data.r0', '-target'],
    ['TF_CLI_ARGS', '-destroy', '-destroy'],
    ['TF_CLI_ARGS_init', '-upgrade', '-upgrade'],
    ['TF_CLI_ARGS_apply', "-replace='terraform_data.r1'", '-replace'],
    ['TF_CLI_ARGS_plan', '-lock=false', '-lock'],
  ])
    it(`refuses ${variable}=${value} with exit 2, before terraform runs`, async () => {
      const result = await fleet.run(['plan', '--no-synth', '--json'], {[variable]: value})
      expect(result.exitCode).to.equal(2)
      const error = parseJson<ErrorJson>(result).error
      expect(error).to.include({code: 'TERRAFORM_ENV_CONFLICT'})
      expect(error.message).to.match(new RegExp(`^${variable} passes ${flag} to terraform: `))
      expect(error.suggestions![0]).to.contain(`Unset ${variable}`)
      expect(existsSync(join(fleet.stackDir('acme'), 'plan.tfplan'))).to.equal(false)
    })

  it('-refresh=false blinds --drift: refused there (exit 1, as every --drift error), passed with a warning elsewhere', async () => {
    const drift = await fleet.run(['plan', '--no-synth', '--drift', '--json'], {TF_CLI_ARGS_plan: '-refresh=false'})
    expect(drift.exitCode).to.equal(1)
    expect(parseJson<ErrorJson>(drift).error.message).to.contain('cannot see what changed outside terraform')
    const plain = await fleet.run(['plan', '--no-synth', '--json'], {TF_CLI_ARGS_plan: '-refresh=false -parallelism=2'})
    expect(plain.exitCode, plain.stderr).to.equal(0)
    expect(parseJson<PlanResult>(plain).warnings).to.include(
      'TF_CLI_ARGS_plan is set: terraform gets -refresh -parallelism on every plan seiketsu runs',
    )
  })

  it('refuses TF_WORKSPACE other than default (every stack would plan against another state)', async () => {
    const result = await fleet.run(['plan', '--no-synth', '--json'], {TF_WORKSPACE: 'staging'})
    expect(result.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(result).error.message).to.contain('TF_WORKSPACE=staging')
    expect((await fleet.run(['plan', '--no-synth'], {TF_WORKSPACE: 'default'})).exitCode).to.equal(0)
  })

  it('keeps an absolute TF_DATA_DIR from terraform: each stack keeps its own .terraform', async () => {
    const shared = await makeTempDir('seiketsu-data-dir-')
    const result = await fleet.run(['plan', '--no-synth', '--concurrency', '2', '--json'], {TF_DATA_DIR: shared})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(
      parseJson<PlanResult>(result).warnings.some((warning) => warning.startsWith('TF_DATA_DIR is set and not passed')),
    ).to.equal(true)
    expect(readdirSync(shared)).to.deep.equal([])
    for (const id of fleet.ids)
      expect(existsSync(join(fleet.stackDir(id), '.terraform', 'terraform.tfstate'))).to.equal(true)
  })

  it('keeps TF_LOG out of terraform.log (it can hold credentials); with TF_LOG_PATH the debug log goes there only', async () => {
    const quiet = await fleet.run(['plan', 'acme', '--no-synth', '--json'], {TF_LOG: 'trace'})
    expect(quiet.exitCode, quiet.stderr).to.equal(0)
    expect(
      parseJson<PlanResult>(quiet).warnings.some((warning) => warning.startsWith('TF_LOG is set and not passed')),
    ).to.equal(true)
    expect(await terraformLog(fleet, 'acme')).to.not.match(/\[(TRACE|DEBUG)\]/)

    const logFile = join(await makeTempDir('seiketsu-tf-log-'), 'debug.log')
    const kept = await fleet.run(['plan', 'acme', '--no-synth', '--json'], {TF_LOG: 'trace', TF_LOG_PATH: logFile})
    expect(kept.exitCode, kept.stderr).to.equal(0)
    expect(
      parseJson<PlanResult>(kept).warnings.some((warning) => warning.includes(`TF_LOG_PATH (${logFile})`)),
    ).to.equal(true)
    expect(readFileSync(logFile, 'utf8')).to.match(/\[TRACE\]/)
    expect(await terraformLog(fleet, 'acme')).to.not.match(/\[(TRACE|DEBUG)\]/)
  })

  it('redacts what looks like a credential from terraform.log', async () => {
    const key = 'AKIAABCDEFGHIJKLMNOP'
    await fleet.writeStack('bravo', {leaked: {input: `key=${key}`}})
    const result = await fleet.run(['plan', 'bravo', '--no-synth'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const log = await terraformLog(fleet, 'bravo')
    expect(log).to.contain('[redacted: an AWS access key id]')
    expect(log).to.not.contain(key)
  })
})
