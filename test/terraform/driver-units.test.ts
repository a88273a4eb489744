import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {backendConfigArgs, configuredBackend, effectiveBackend, sameBackend} from '../../src/terraform/backends.ts'
import {parseProviderMirror, renderCliConfig} from '../../src/terraform/cli-config.ts'
import {lockHintFor} from '../../src/terraform/diagnostics.ts'
import {checkTerraformEnvironment, splitArgs} from '../../src/terraform/environment.ts'
import {InitGate} from '../../src/terraform/init-gate.ts'
import {lockMismatches, parseLockFile, satisfies} from '../../src/terraform/lock-files.ts'
import {stateProblem} from '../../src/terraform/plan-files.ts'
import {summarizePlan} from '../../src/terraform/plan-summary.ts'
import {redactCredentials} from '../../src/terraform/session.ts'
import {stateMetaOf} from '../../src/terraform/state-meta.ts'
import {makeTempDir} from '../helpers/cli.ts'

const LOCK = `# This file is maintained automatically by "terraform init".

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.100.0"
  constraints = "5.100.0"
  hashes = [
    "h1:7JKBcKQVdnFcf27NBzJzEsMZy+Te77p8Si/fV0G6Hq0=",
  ]
}
`
const requiring = (version: string) => ({terraform: {required_providers: {aws: {source: 'hashicorp/aws', version}}}})

function expectUsageError(action: () => unknown, pattern: RegExp) {
  try {
    action()
  } catch (error) {
    expect(isSeiketsuError(error) && error.exitCode).to.equal(2)
    expect((error as Error).message).to.match(pattern)
    return
  }
  expect.fail('expected a usage error')
}

describe('the terraform environment check', () => {
  it('splits TF_CLI_ARGS like a shell and names flags, never their values', () => {
    expect(splitArgs(`-var 'a=b c' -target="x.y" plain\\ word`)).to.deep.equal([
      '-var',
      'a=b c',
      '-target=x.y',
      'plain word',
    ])
    const {warnings} = checkTerraformEnvironment({TF_CLI_ARGS_init: '-backend-config=secret_key=hunter2'})
    expect(warnings).to.deep.equal([
      'TF_CLI_ARGS_init is set: terraform gets -backend-config on every init seiketsu runs',
    ])
    expect(warnings.join()).to.not.contain('hunter2')
  })

  it('refuses what makes a result wrong for the commands it reaches, and only those', () => {
    expectUsageError(
      () => checkTerraformEnvironment({TF_CLI_ARGS_plan: '-target=a.b'}),
      /^TF_CLI_ARGS_plan passes -target/,
    )
    expectUsageError(() => checkTerraformEnvironment({TF_CLI_ARGS: '-upgrade'}), /passes -upgrade/)
    expectUsageError(() => checkTerraformEnvironment({TF_CLI_ARGS_apply: '-lock=false'}), /turns state locking off/)
    expectUsageError(() => checkTerraformEnvironment({TF_CLI_ARGS_plan: '-input=true'}), /answers nobody can give/)
    expectUsageError(() => checkTerraformEnvironment({TF_WORKSPACE: 'blue'}), /TF_WORKSPACE=blue/)
    // -upgrade means nothing to plan: TF_CLI_ARGS_plan cannot carry it into an init.
    expect(checkTerraformEnvironment({TF_CLI_ARGS_plan: '-upgrade'}).warnings).to.have.length(1)
    expect(checkTerraformEnvironment({TF_CLI_ARGS_plan: '-refresh=false'}).warnings).to.have.length(1)
    expectUsageError(() => checkTerraformEnvironment({TF_CLI_ARGS_plan: '-refresh=false'}, {drift: true}), /--drift/)
    expect(checkTerraformEnvironment({TF_CLI_ARGS_plan: ' ', TF_WORKSPACE: 'default'}).warnings).to.deep.equal([])
  })

  it('keeps TF_DATA_DIR and a TF_LOG without TF_LOG_PATH from terraform; keeps TF_LOG with TF_LOG_PATH', () => {
    const dropped = checkTerraformEnvironment({
      PATH: '/bin',
      TF_DATA_DIR: '/shared',
      TF_LOG: 'trace',
      TF_LOG_PROVIDER: 'debug',
    })
    expect(dropped.env).to.deep.equal({PATH: '/bin'})
    expect(dropped.warnings).to.have.length(2)
    const kept = checkTerraformEnvironment({TF_LOG: 'debug', TF_LOG_PATH: '/private/tf.log'})
    expect(kept.env).to.deep.equal({TF_LOG: 'debug', TF_LOG_PATH: '/private/tf.log'})
    expect(kept.warnings[0]).to.contain('never upload or share it')
  })

  it('redacts credential shapes from what goes into terraform.log', () => {
    expect(redactCredentials('key AKIAABCDEFGHIJKLMNOP and ASIAABCDEFGHIJKLMNOP ok')).to.equal(
      'key [redacted: an AWS access key id] and [redacted: an AWS access key id] ok',
    )
    expect(redactCredentials('no secrets here')).to.equal('no secrets here')
  })
})

describe('provider lock files', () => {
  it('reads terraform’s lock file and tells whether a locked version meets a constraint', () => {
    expect(parseLockFile(LOCK)).to.deep.equal([
      {
        address: 'registry.terraform.io/hashicorp/aws',
        constraints: '5.100.0',
        hashes: ['h1:7JKBcKQVdnFcf27NBzJzEsMZy+Te77p8Si/fV0G6Hq0='],
        version: '5.100.0',
      },
    ])
    expect(satisfies('5.100.0', '5.100.0')).to.equal(true)
    expect(satisfies('5.100.0', '= 5.100.1')).to.equal(false)
    expect(satisfies('5.100.0', '~> 5.100')).to.equal(true)
    expect(satisfies('6.0.0', '~> 5.100')).to.equal(false)
    expect(satisfies('5.101.0', '~> 5.100.0')).to.equal(false)
    expect(satisfies('5.100.3', '~> 5.100.0')).to.equal(true)
    expect(satisfies('5.100.0', '>= 5.0, < 6.0, != 5.99.0')).to.equal(true)
  })

  it('finds the locked providers a changed pin no longer allows', () => {
    const locked = parseLockFile(LOCK)
    expect(lockMismatches(requiring('5.100.0'), locked)).to.deep.equal([])
    expect(lockMismatches(requiring('~> 5.0'), locked)).to.deep.equal([])
    expect(lockMismatches(requiring('5.100.1'), locked)).to.deep.equal([
      {address: 'registry.terraform.io/hashicorp/aws', constraint: '5.100.1', locked: '5.100.0'},
    ])
    expect(
      lockMismatches({terraform: {required_providers: {aws: {source: 'aws', version: '6.0.0'}}}}, locked),
    ).to.have.length(1)
  })

  it('the init gate upgrades once for a changed pin, and its followers take the new lock file', async () => {
    const root = await makeTempDir()
    const dirs = ['a', 'b', 'c'].map((name) => join(root, name))
    for (const dir of dirs) {
      await mkdir(dir)
      await writeFile(join(dir, '.terraform.lock.hcl'), LOCK)
    }
    const gate = new InitGate()
    const roles: string[] = []
    const run = (dir: string) => async (role: string) => {
      roles.push(`${dir.slice(-1)}:${role}`)
      if (role === 'upgrade') await writeFile(join(dir, '.terraform.lock.hcl'), LOCK.replaceAll('5.100.0', '5.100.1'))
      return 0
    }
    const stackJson = requiring('5.100.1')
    await Promise.all(
      dirs.map((dir) => gate.init(dir, 'same', run(dir), (code) => code === 0, {stackId: dir.slice(-1), stackJson})),
    )
    expect(roles).to.deep.equal(['a:upgrade', 'b:follower', 'c:follower'])
    expect(gate.upgrades).to.deep.equal([
      {providers: [{address: 'registry.terraform.io/hashicorp/aws', from: '5.100.0', to: '5.100.1'}], stackId: 'a'},
    ])
    const {readFile} = await import('node:fs/promises')
    for (const dir of dirs) expect(await readFile(join(dir, '.terraform.lock.hcl'), 'utf8')).to.contain('"5.100.1"')
  })
})

describe('backends, states and plan records', () => {
  it('applies the workspace S3 endpoint settings as -backend-config and compares backends as terraform records them', () => {
    const stack = {
      terraform: {backend: {s3: {bucket: 'b', encrypt: true, key: 'clients/x/terraform.tfstate', region: 'us-east-1'}}},
    }
    const state = {
      backend: 's3' as const,
      bucket: 'b',
      endpoint: 'http://127.0.0.1:9000',
      keyPrefix: 'clients/',
      region: 'us-east-1',
      usePathStyle: true,
    }
    const backend = configuredBackend(stack)
    expect(backendConfigArgs(state, backend)).to.deep.equal([
      '-backend-config=endpoints={s3="http://127.0.0.1:9000"}',
      '-backend-config=use_path_style=true',
    ])
    expect(backendConfigArgs(state, configuredBackend({}))).to.deep.equal([], 'never for a local stack')
    const recorded = {
      config: {
        ...backend.config,
        endpoints: {iam: null, s3: 'http://127.0.0.1:9000'},
        kms_key_id: null,
        use_path_style: true,
      },
      type: 's3',
    }
    expect(sameBackend(effectiveBackend(backend, state), recorded)).to.equal(true)
    expect(sameBackend(backend, recorded)).to.equal(false)
  })

  it('reads a state’s lineage, serial, resources and content digest; an empty remote state is no state', () => {
    const state = (lineage: string, serial: number, input: string) =>
      JSON.stringify({
        lineage,
        resources: [{instances: [{attributes: {input}}], mode: 'managed', name: 'a', type: 'terraform_data'}],
        serial,
        version: 4,
      })
    const one = stateMetaOf(state('l-1', 3, 'x'))!
    expect(one).to.include({lineage: 'l-1', resources: 1, serial: 3})
    expect(stateMetaOf(state('l-2', 1, 'x'))!.digest).to.equal(one.digest, 'the same content under another lineage')
    expect(stateMetaOf(state('l-1', 3, 'y'))!.digest).to.not.equal(one.digest)
    expect(stateMetaOf('')).to.equal(undefined)
    expect(stateMetaOf(JSON.stringify({lineage: '', resources: [], serial: 0, version: 4}))).to.equal(undefined)
  })

  it('decides whether the state now is the one a plan was made against', () => {
    expect(stateProblem({lineage: 'l', serial: 2}, {lineage: 'l', serial: 2})).to.equal(undefined)
    expect(stateProblem({lineage: 'l', serial: 2}, {lineage: 'l', serial: 3})).to.equal('stale-state')
    expect(stateProblem({lineage: 'l', serial: 2}, {lineage: 'm', serial: 2})).to.equal('other-state')
    expect(stateProblem({lineage: 'l', serial: 2}, undefined)).to.equal('other-state')
    expect(stateProblem({lineage: '', serial: 0}, undefined)).to.equal(undefined)
    expect(stateProblem({lineage: '', serial: 0}, {lineage: 'n', serial: 1})).to.equal('stale-state')
    expect(stateProblem(null, {lineage: 'n', serial: 1})).to.equal(undefined)
  })

  it('gives lock advice true for the backend', () => {
    const lock = {created: '2026-01-01', id: 'abc-123', operation: 'OperationTypeApply', who: 'ci@runner'}
    const local = lockHintFor({config: {path: 'x.tfstate'}, type: 'local'}, {dir: '/w'}, undefined)
    expect(local.advice).to.match(/^nothing to do/)
    expect(local).to.not.have.property('unlock')
    const s3 = lockHintFor({config: {bucket: 'b', key: 'k/terraform.tfstate'}, type: 's3'}, {dir: '/w/s'}, lock)
    expect(s3).to.include({
      lockId: 'abc-123',
      lockObject: 's3://b/k/terraform.tfstate.tflock',
      unlock: 'terraform -chdir=/w/s force-unlock -force abc-123',
    })
    expect(s3.advice).to.contain('taken by ci@runner')
  })

  it('writes the CLI configuration of a filesystem or a network mirror', () => {
    expect(parseProviderMirror('vendor/providers', '/ws')).to.deep.equal({
      kind: 'filesystem',
      path: '/ws/vendor/providers',
    })
    expect(parseProviderMirror('/opt/mirror', '/ws')).to.deep.equal({kind: 'filesystem', path: '/opt/mirror'})
    expect(renderCliConfig({kind: 'network', url: 'https://m.example.com/p/'})).to.contain(
      'provider_installation {\n  network_mirror {\n    url = "https://m.example.com/p/"\n  }\n}',
    )
  })
})

describe('plan summaries beyond add, change and destroy', () => {
  const plan = (extra: Record<string, unknown>) => ({
    applyable: true,
    complete: true,
    errored: false,
    format_version: '1.2',
    ...extra,
  })
  const change = (address: string, actions: string[], extra: Record<string, unknown> = {}) => ({
    address,
    change: {actions, after: {}, before: {}, ...((extra.change as object) ?? {})},
    mode: 'managed',
    name: address.split('.')[1],
    type: address.split('.')[0],
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'change')),
  })

  it('keeps an action this seiketsu does not know (a newer terraform’s), counted and marked destructive only with a delete', () => {
    const summary = summarizePlan(
      plan({
        resource_changes: [
          change('aws_db_instance.main', ['frobnicate']),
          change('aws_s3_bucket.data', ['frobnicate', 'delete']),
        ],
      }),
    )
    expect(summary).to.include({hasChanges: true, other: 1, destroy: 1})
    expect(summary.changes.map((entry) => [entry.address, entry.action, entry.destructive])).to.deep.equal([
      ['aws_db_instance.main', 'other', false],
      ['aws_s3_bucket.data', 'delete', true],
    ])
  })

  it('reports a deferred plan as incomplete and action invocations as changes', () => {
    const deferred = summarizePlan(
      plan({
        complete: false,
        deferred_changes: [{reason: 'provider_config_unknown', resource_change: change('aws_vpc.main', ['create'])}],
        resource_changes: [change('aws_kms_key.k', ['create'])],
      }),
    )
    expect(deferred).to.include({add: 1, complete: false})
    expect(deferred.deferred).to.deep.equal([{address: 'aws_vpc.main', reason: 'provider_config_unknown'}])
    const actions = summarizePlan(
      plan({action_invocations: [{address: 'action.aws_lambda_invoke.x'}], resource_changes: []}),
    )
    expect(actions).to.include({complete: true, hasChanges: true})
    expect(actions.actionInvocations).to.deep.equal(['action.aws_lambda_invoke.x'])
  })

  it('counts an import with an update once in each, and a drift entry that only moved is not drift', () => {
    const summary = summarizePlan(
      plan({
        resource_drift: [
          change('aws_vpc.new', ['no-op'], {previous_address: 'aws_vpc.old'}),
          change('aws_s3_bucket.data', ['update']),
        ],
        resource_changes: [change('aws_vpc.imported', ['update'], {change: {importing: {id: 'vpc-1'}}})],
      }),
    )
    expect(summary).to.include({change: 1, import: 1, move: 0})
    expect(summary.changes[0]).to.deep.include({action: 'update', importing: {id: 'vpc-1'}})
    expect(summary.drift).to.deep.equal(['aws_s3_bucket.data'])
  })
})
