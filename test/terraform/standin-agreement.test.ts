import {execFile} from 'node:child_process'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {makeTempDir} from '../helpers/cli.ts'
import {rewritePlanEntry} from '../helpers/plan-file.ts'
import {emptyCliConfig} from '../helpers/real-fleet.ts'
import {realTerraformPath} from '../helpers/real-terraform.ts'
import {standinPath} from '../helpers/terraform.ts'

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** One binary under test: the real terraform or the stand-in, in its own folder. */
interface Binary {
  name: 'real' | 'stand-in'
  dir: string
  run: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Run>
}

async function binaries(): Promise<Binary[]> {
  const real = realTerraformPath()
  const cliConfig = await emptyCliConfig(await makeTempDir('seiketsu-agree-'))
  return Promise.all(
    (['real', 'stand-in'] as const).map(async (name) => {
      const dir = await makeTempDir(`seiketsu-agree-${name}-`)
      const base: NodeJS.ProcessEnv = {
        HOME: process.env.HOME,
        PATH: process.env.PATH,
        TF_CLI_CONFIG_FILE: cliConfig,
        TF_IN_AUTOMATION: '1',
        TF_INPUT: '0',
      }
      return {
        dir,
        name,
        run: (args: string[], env: NodeJS.ProcessEnv = {}) =>
          new Promise<Run>((resolve) =>
            execFile(
              name === 'real' ? real : standinPath,
              args,
              {cwd: join(dir, 'stack'), env: {...base, ...env}},
              (error, stdout, stderr) => resolve({code: error ? Number(error.code) : 0, stderr, stdout}),
            ),
          ),
      }
    }),
  )
}

const flat = (text: string) => text.replaceAll(/\s+/g, ' ')

async function writeConfig(binary: Binary, backendPath: string, inputs: Record<string, string>): Promise<void> {
  await mkdir(join(binary.dir, 'stack'), {recursive: true})
  const resources = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, {input}]))
  await writeFile(
    join(binary.dir, 'stack', 'main.tf.json'),
    JSON.stringify({resource: {terraform_data: resources}, terraform: {backend: {local: {path: backendPath}}}}),
  )
}

const stateNames = async (binary: Binary, path: string) =>
  (
    (JSON.parse(await readFile(join(binary.dir, 'stack', path), 'utf8')) as {resources: {name: string}[]}).resources ??
    []
  )
    .map((resource) => resource.name)
    .sort()

/**
 * The stand-in plays terraform where the real binary cannot run here; wherever both can answer,
 * they must answer alike. Each scenario runs against both, with the same files and arguments.
 */
describe('the stand-in agrees with the real terraform', () => {
  it('refuses a changed backend until -migrate-state (which copies the state) or -reconfigure', async () => {
    for (const binary of await binaries()) {
      await writeConfig(binary, '../one.tfstate', {a: '1', b: '2'})
      expect((await binary.run(['init', '-input=false', '-no-color'])).code, binary.name).to.equal(0)
      const applied = await binary.run(['plan', '-input=false', '-no-color', '-out=p.tfplan'])
      expect(applied.code, `${binary.name}: ${applied.stderr}`).to.equal(0)
      expect((await binary.run(['apply', '-input=false', '-no-color', 'p.tfplan'])).code, binary.name).to.equal(0)
      await writeConfig(binary, '../two.tfstate', {a: '1', b: '2'})
      const refused = await binary.run(['init', '-input=false', '-no-color'])
      expect(refused.code, binary.name).to.equal(1)
      expect(refused.stderr, binary.name).to.contain('Error: Backend configuration changed')
      expect(flat(refused.stderr), binary.name).to.contain('use "terraform init -migrate-state"')
      const planned = await binary.run(['plan', '-input=false', '-no-color'])
      expect(planned.code, binary.name).to.equal(1)
      expect(planned.stderr, binary.name).to.contain('Backend initialization required')
      const migrated = await binary.run(['init', '-input=false', '-no-color', '-migrate-state', '-force-copy'])
      expect(migrated.code, `${binary.name}: ${migrated.stderr}`).to.equal(0)
      expect(await stateNames(binary, '../two.tfstate'), binary.name).to.deep.equal(['a', 'b'])
      await writeConfig(binary, '../three.tfstate', {a: '1', b: '2'})
      expect((await binary.run(['init', '-input=false', '-no-color', '-reconfigure'])).code, binary.name).to.equal(0)
      const fresh = await binary.run(['plan', '-input=false', '-no-color', '-detailed-exitcode'])
      expect(fresh.code, `${binary.name}: -reconfigure starts from the new backend's (empty) state`).to.equal(2)
    }
  })

  it('refuses a stale saved plan, and a saved plan of another terraform version', async () => {
    for (const binary of await binaries()) {
      await writeConfig(binary, '../state.tfstate', {a: '1'})
      expect((await binary.run(['init', '-input=false', '-no-color'])).code).to.equal(0)
      expect((await binary.run(['plan', '-input=false', '-no-color', '-out=first.tfplan'])).code).to.equal(0)
      expect((await binary.run(['plan', '-input=false', '-no-color', '-out=second.tfplan'])).code).to.equal(0)
      expect((await binary.run(['apply', '-input=false', '-no-color', 'first.tfplan'])).code, binary.name).to.equal(0)
      const stale = await binary.run(['apply', '-input=false', '-no-color', 'second.tfplan'])
      expect(stale.code, binary.name).to.equal(1)
      expect(stale.stderr, binary.name).to.contain('Error: Saved plan is stale')

      await writeConfig(binary, '../state.tfstate', {a: '2'})
      const version = JSON.parse((await binary.run(['version', '-json'])).stdout).terraform_version as string
      const other = version.replace(/\d+$/, (patch) => String(Number(patch) + 1))
      if (binary.name === 'real') {
        expect((await binary.run(['plan', '-input=false', '-no-color', '-out=other.tfplan'])).code).to.equal(0)
        await rewritePlanEntry(join(binary.dir, 'stack', 'other.tfplan'), 'tfplan', (data) =>
          Buffer.from(data.toString('latin1').replace(version, other), 'latin1'),
        )
      } else {
        const made = await binary.run(['plan', '-input=false', '-no-color', '-out=other.tfplan'], {
          TF_STANDIN_VERSION: other,
        })
        expect(made.code, made.stderr).to.equal(0)
      }
      const refused = await binary.run(['apply', '-input=false', '-no-color', 'other.tfplan'])
      expect(refused.code, binary.name).to.equal(1)
      expect(flat(refused.stderr), binary.name).to.contain(
        `plan file was created by Terraform ${other}, but this is ${version}; plan files cannot be transferred between different Terraform versions`,
      )
    }
  })

  it('local state: state pull, the lock probe and force-unlock answer alike', async () => {
    for (const binary of await binaries()) {
      await writeConfig(binary, '../state.tfstate', {a: '1'})
      expect((await binary.run(['init', '-input=false', '-no-color'])).code).to.equal(0)
      expect((await binary.run(['state', 'pull'])).stdout.trim(), `${binary.name}: no state yet`).to.equal('')
      const probeArgs = ['state', 'rm', '-dry-run', '-lock-timeout=0s', '-no-color', 'terraform_data.x']
      const noState = await binary.run(probeArgs)
      expect(noState.code, binary.name).to.equal(1)
      expect(noState.stderr, binary.name).to.contain('No state file was found!')
      const unlock = await binary.run(['force-unlock', '-force', 'some-id'])
      expect(unlock.code, binary.name).to.equal(1)
      expect(unlock.stderr, binary.name).to.contain('LocalState not locked')
      expect((await binary.run(['plan', '-input=false', '-no-color', '-out=p.tfplan'])).code).to.equal(0)
      expect((await binary.run(['apply', '-input=false', '-no-color', 'p.tfplan'])).code).to.equal(0)
      const pulled = JSON.parse((await binary.run(['state', 'pull'])).stdout) as {lineage: string; serial: number}
      expect(pulled.lineage, binary.name).to.match(/^[\da-f-]{36}$/)
      expect(pulled.serial, binary.name).to.be.greaterThan(0)
      const probe = await binary.run(probeArgs)
      expect(probe.code, `${binary.name}: ${probe.stderr}`).to.equal(0)
      expect(probe.stdout, binary.name).to.contain('Would have removed nothing.')
      await rm(join(binary.dir, 'stack', 'p.tfplan'))
    }
  })
})
