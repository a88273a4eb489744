import {execFile} from 'node:child_process'
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {chooseTerraformBinary, compareVersions, parseVersionJson} from '../../src/terraform/binary.ts'
import {summarizePlan} from '../../src/terraform/plan-summary.ts'
import {terraformEnv} from '../../src/terraform/session.ts'
import {standinPath, writeClientStacks} from '../helpers/terraform.ts'
import {makeWorkspace} from '../helpers/workspace.ts'

function terraform(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{code: number; stdout: string; stderr: string}>((resolve) =>
    execFile(standinPath, args, {cwd, env: {...process.env, ...env}}, (error, stdout, stderr) =>
      resolve({code: error ? Number(error.code) : 0, stderr, stdout}),
    ),
  )
}

// The stand-in must be honest for the tests built on it to mean anything: these check that it
// behaves like terraform where seiketsu's safety depends on it.
describe('the terraform stand-in', () => {
  it('breaks when two inits write the same package into a shared plugin cache at once', async () => {
    const workspace = await makeWorkspace()
    const stacks = await writeClientStacks(workspace, ['one-a', 'two-b'])
    const cache = join(workspace.root, 'cache')
    await mkdir(cache)
    const results = await Promise.all(
      stacks.map((stack) =>
        terraform(stack.dir, ['init', '-input=false'], {TF_PLUGIN_CACHE_DIR: cache, TF_STANDIN_INSTALL_MS: '400'}),
      ),
    )
    expect(results.map((result) => result.code).sort()).to.deep.equal([0, 1])
    expect(results.find((result) => result.code === 1)!.stderr).to.contain('text file busy')
  })

  it('emits plan JSON that terraform’s format rules accept, in terraform’s key order', async () => {
    const workspace = await makeWorkspace()
    const [stack] = await writeClientStacks(workspace, ['acme'])
    expect((await terraform(stack!.dir, ['init', '-input=false'])).code).to.equal(0)
    const plan = await terraform(stack!.dir, ['plan', '-input=false', '-detailed-exitcode', '-out=p.tfplan'])
    expect(plan.code).to.equal(2)
    const shown = await terraform(stack!.dir, ['show', '-json', 'p.tfplan'])
    const document = JSON.parse(shown.stdout) as Record<string, unknown>
    expect(Object.keys(document)).to.deep.equal([
      'format_version',
      'terraform_version',
      'planned_values',
      'resource_changes',
      'output_changes',
      'configuration',
      'timestamp',
      'applyable',
      'complete',
      'errored',
    ])
    expect(summarizePlan(document)).to.include({add: 7, hasChanges: true})
  })

  it('refuses unknown flags and apply without a plan file, as terraform does with -input=false', async () => {
    const workspace = await makeWorkspace()
    const [stack] = await writeClientStacks(workspace, ['acme'])
    expect((await terraform(stack!.dir, ['plan', '-auto-approve'])).stderr).to.contain('flag provided but not defined')
    const apply = await terraform(stack!.dir, ['apply', '-input=false'])
    expect(apply.code).to.equal(1)
    expect(apply.stderr).to.contain('Apply requires confirmation')
  })
})

describe('terraform binary and environment', () => {
  it('takes --terraform-bin, then SEIKETSU_TERRAFORM_BIN, then seiketsu.yaml', () => {
    const env = {SEIKETSU_TERRAFORM_BIN: '/opt/tofu'}
    expect(chooseTerraformBinary({config: 'terraform', env, flag: './tf'})).to.deep.equal({
      requested: './tf',
      source: 'flag',
    })
    expect(chooseTerraformBinary({config: 'terraform', env})).to.deep.equal({requested: '/opt/tofu', source: 'env'})
    expect(chooseTerraformBinary({config: 'tofu', env: {}})).to.deep.equal({requested: 'tofu', source: 'config'})
  })

  it('reads version -json of terraform and OpenTofu and compares versions numerically', () => {
    expect(parseVersionJson('{"terraform_version":"1.10.5","platform":"linux_amd64"}')).to.deep.equal({
      platform: 'linux_amd64',
      version: '1.10.5',
    })
    expect(parseVersionJson('Terraform v1.10.5')).to.equal(undefined)
    expect(compareVersions('1.10.0', '1.9.8')).to.be.greaterThan(0)
    expect(compareVersions('1.10.0-beta1', '1.10.0')).to.equal(0)
    expect(compareVersions('1.9.8', '1.10.0')).to.be.lessThan(0)
  })

  it('runs terraform in automation mode, never prompting, with the operator’s AWS settings', () => {
    const env = terraformEnv({AWS_PROFILE: 'ops', AWS_REGION: 'eu-west-1', PATH: '/bin'}, '/cache')
    expect(env).to.include({
      AWS_PROFILE: 'ops',
      AWS_REGION: 'eu-west-1',
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: '/cache',
    })
    expect(terraformEnv({TF_PLUGIN_CACHE_DIR: '/mine'}, '/cache').TF_PLUGIN_CACHE_DIR).to.equal('/mine')
  })
})
