import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {ErrorJson} from '../../src/base-command.ts'
import type {PlanResult} from '../../src/commands/plan.ts'
import {makeTempDir, parseJson} from '../helpers/cli.ts'
import {dataResources, makeRealFleet, terraformLog, type RealFleet} from '../helpers/real-fleet.ts'
import {realTerraformPath, runTerraform, writeVersionedMirror} from '../helpers/real-terraform.ts'
import {standinPath} from '../helpers/terraform.ts'

const AWS = 'registry.terraform.io/hashicorp/aws'
const requireAws = (version: string) => ({
  terraform: {required_providers: {aws: {source: 'hashicorp/aws', version}}},
})
const lockedVersion = (fleet: RealFleet, id: string) =>
  /version\s*=\s*"([^"]+)"/.exec(readFileSync(join(fleet.stackDir(id), '.terraform.lock.hcl'), 'utf8'))?.[1]

/**
 * Providers with the real terraform and the real hashicorp/aws binary: installed from the mirror that
 * seiketsu.yaml `terraform.providerMirror` names (the machine's own TF_CLI_CONFIG_FILE names a file
 * that does not exist, and nothing here reaches the registry), and a pin change upgraded once for
 * the fleet instead of failing every stack's init.
 */
describe('providers with the real terraform: terraform.providerMirror and a provider pin change', () => {
  let fleet: RealFleet
  let mirror: string
  before(async () => {
    mirror = await writeVersionedMirror(await makeTempDir('seiketsu-mirror-'), ['5.100.0', '5.100.1'])
    fleet = await makeRealFleet(['acme', 'bravo'], {terraformSettings: {providerMirror: mirror}})
    for (const id of fleet.ids) await fleet.writeStack(id, dataResources(1), requireAws('5.100.0'))
  })
  after(async () => {
    await fleet.close()
  })

  it('installs the aws provider from terraform.providerMirror through the CLI configuration seiketsu writes', async () => {
    const missing = join(fleet.root, 'no-such.tfrc')
    const result = await fleet.run(['plan', '--no-synth', '--concurrency', '2', '--json'], {
      TF_CLI_CONFIG_FILE: missing,
    })
    expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    const json = parseJson<PlanResult>(result)
    expect(json.clients.map((client) => [client.id, client.status, client.add])).to.deep.equal([
      ['acme', 'planned', 1],
      ['bravo', 'planned', 1],
    ])
    expect(json.warnings.some((warning) => warning.startsWith(`TF_CLI_CONFIG_FILE=${missing} is replaced`))).to.equal(
      true,
    )
    const configs = readdirSync(join(fleet.root, '.seiketsu', 'cache', 'terraform-cli-config'))
    expect(configs).to.have.length(1)
    const config = await readFile(join(fleet.root, '.seiketsu', 'cache', 'terraform-cli-config', configs[0]!), 'utf8')
    expect(config).to.contain(`filesystem_mirror {\n    path = ${JSON.stringify(mirror)}`)
    const logs = (await terraformLog(fleet, 'acme')) + (await terraformLog(fleet, 'bravo'))
    expect(logs).to.match(/Installed hashicorp\/aws v5\.100\.0 \(unauthenticated\)/, 'from the filesystem mirror')
    for (const id of fleet.ids) {
      expect(lockedVersion(fleet, id)).to.equal('5.100.0')
      expect(existsSync(join(fleet.stackDir(id), '.terraform', 'providers', AWS, '5.100.0'))).to.equal(true)
    }
  })

  it('a changed pin is upgraded once for the fleet (init -upgrade), its lock file shared and reported', async () => {
    for (const id of fleet.ids) await fleet.writeStack(id, dataResources(1), requireAws('5.100.1'))
    // What happens without seiketsu's upgrade path: terraform refuses the old lock file in every stack.
    const refused = await runTerraform(['init', '-input=false', '-no-color'], {
      cwd: fleet.stackDir('bravo'),
      env: {...fleet.env(), TF_CLI_CONFIG_FILE: await mirrorConfig(mirror)},
    })
    expect(refused.exitCode).to.equal(1)
    expect(refused.stderr.replaceAll(/\s+/g, ' ')).to.contain(
      `locked provider ${AWS} 5.100.0 does not match configured version constraint 5.100.1; must use terraform init -upgrade`,
    )

    const result = await fleet.run(['plan', '--no-synth', '--concurrency', '2', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    const json = parseJson<PlanResult>(result)
    expect(json.clients.map((client) => client.status)).to.deep.equal(['planned', 'planned'])
    expect(json.providerUpgrades).to.have.length(1)
    expect(json.providerUpgrades[0]!.providers).to.deep.equal([{address: AWS, from: '5.100.0', to: '5.100.1'}])
    for (const id of fleet.ids) expect(lockedVersion(fleet, id)).to.equal('5.100.1')
    const upgrades = [await terraformLog(fleet, 'acme'), await terraformLog(fleet, 'bravo')].map(
      (log) =>
        log.split('\n').filter((line) => line.startsWith(`$ ${realTerraformPath()} init`) && line.includes('-upgrade'))
          .length,
    )
    expect(upgrades.sort()).to.deep.equal([0, 1], 'one init -upgrade for the fleet; the other stack got its lock file')

    // The stand-in refuses the same stale lock file the same way (and the fleet path upgrades it there too).
    const standin = await makeRealFleet(['acme'])
    await standin.writeStack('acme', dataResources(1), requireAws('5.100.0'))
    const env = {SEIKETSU_TERRAFORM_BIN: standinPath}
    expect((await standin.run(['plan', '--no-synth'], env)).exitCode).to.equal(0)
    await standin.writeStack('acme', dataResources(1), requireAws('5.100.1'))
    const direct = await runStandin(['init', '-input=false', '-no-color'], standin.stackDir('acme'))
    expect(direct.code).to.equal(1)
    expect(direct.stderr.replaceAll(/\s+/g, ' ')).to.contain(
      `locked provider ${AWS} 5.100.0 does not match configured version constraint 5.100.1; must use terraform init -upgrade`,
    )
    const upgraded = await standin.run(['plan', '--no-synth'], env)
    expect(upgraded.exitCode, upgraded.stderr).to.equal(0)
    expect(upgraded.stdout).to.contain(`Provider pins changed`)
    expect(upgraded.stdout).to.contain(`${AWS} 5.100.0 → 5.100.1 (in acme)`)
    const second = parseJson<PlanResult>(await standin.run(['plan', '--no-synth', '--json'], env))
    expect(second.providerUpgrades).to.deep.equal([], 'nothing to upgrade the second time')
    await standin.close()
  })

  it('refuses a bad terraform.providerMirror with exit 2 naming the setting, before any terraform runs', async () => {
    const target = await makeRealFleet(['acme'])
    const config = join(target.root, 'seiketsu.yaml')
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace(
        /^terraform:\n/m,
        'terraform:\n  providerMirror: http://mirror.example.com/providers/\n',
      ),
    )
    const insecure = await target.run(['plan', '--no-synth', '--json'])
    expect(insecure.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(insecure).error.message).to.match(
      /seiketsu\.yaml:\d+: terraform\.providerMirror: a network mirror must be an https URL ending with \//,
    )
    await target.close()
    const missing = await makeRealFleet(['acme'], {terraformSettings: {providerMirror: 'vendor/providers'}})
    const absent = await missing.run(['plan', '--no-synth', '--json'])
    expect(absent.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(absent).error).to.include({code: 'INVALID_PROVIDER_MIRROR'})
    expect(parseJson<ErrorJson>(absent).error.message).to.contain(
      `terraform.providerMirror: ${join(missing.root, 'vendor', 'providers')} is not a folder`,
    )
    expect(existsSync(join(missing.stackDir('acme'), 'terraform.log'))).to.equal(false)
    await missing.close()
  })
})

async function mirrorConfig(mirror: string): Promise<string> {
  const file = join(await makeTempDir('seiketsu-rc-'), 'mirror.tfrc')
  await writeFile(
    file,
    `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
  )
  return file
}

async function runStandin(args: string[], cwd: string): Promise<{code: number; stderr: string}> {
  const {execFile} = await import('node:child_process')
  return new Promise((resolve) =>
    execFile(standinPath, args, {cwd, env: {...process.env, TF_PLUGIN_CACHE_DIR: ''}}, (error, _stdout, stderr) =>
      resolve({code: error ? Number(error.code) : 0, stderr}),
    ),
  )
}
