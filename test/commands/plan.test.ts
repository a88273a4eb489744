import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {PlanResult} from '../../src/commands/plan.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {FakeAws} from '../helpers/aws/fake-aws.ts'
import type {ErrorJson} from '../../src/base-command.ts'
import {parseJson, makeTempDir} from '../helpers/cli.ts'
import {invocationsOf, makeFleet} from '../helpers/fleet.ts'
import {CLIENT_STACK_RESOURCES, maxOverlap, standinPath, writePlatformStack} from '../helpers/terraform.ts'

const byId = (result: PlanResult) => Object.fromEntries(result.clients.map((client) => [client.id, client]))

describe('seiketsu plan', () => {
  it('inits, plans to a stable file and summarizes every client; --json gives the documented shape', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    const result = await fleet.run(['plan', '--no-synth', '--json'], {
      AWS_PROFILE: 'platform-ops',
      AWS_REGION: 'eu-west-1',
    })
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = parseJson<PlanResult>(result)
    expect(json.clients.map((client) => client.id)).to.deep.equal(['acme', 'bravo', 'carol'])
    for (const client of json.clients) {
      expect(client).to.include({
        add: CLIENT_STACK_RESOURCES,
        change: 0,
        destroy: 0,
        replace: 0,
        status: 'planned',
      })
      expect(client.destructive).to.deep.equal([])
      expect(client).to.not.have.property('error')
      expect(client.planFile).to.equal(join(fleet.root, 'cdktf.out', 'stacks', client.id, 'plan.tfplan'))
      expect(existsSync(client.planFile!)).to.equal(true)
      expect(client.changes.find((change) => change.address === 'aws_db_instance.database')).to.include({
        action: 'create',
      })
    }
    expect(json).to.include({exitCode: 0, interrupted: false})
    expect(json.terraform).to.include({path: standinPath, version: '1.10.5'})

    const invocations = await fleet.invocations()
    expect(invocationsOf(invocations, 'version')).to.have.length(1, 'the version is checked once per run')
    for (const invocation of invocations) {
      expect(invocation.env).to.include({AWS_PROFILE: 'platform-ops', AWS_REGION: 'eu-west-1', TF_IN_AUTOMATION: '1'})
      if (invocation.verb !== 'version') expect(invocation.env).to.include({TF_INPUT: '0'})
    }
    const acmePlan = invocationsOf(invocations, 'plan', 'acme')[0]!
    expect(acmePlan.cwd).to.equal(join(fleet.root, 'cdktf.out', 'stacks', 'acme'))
    expect(acmePlan.argv).to.deep.equal([
      'plan',
      '-input=false',
      '-no-color',
      '-lock-timeout=5m',
      '-detailed-exitcode',
      `-out=${join(acmePlan.cwd, 'plan.tfplan')}`,
    ])
    expect(invocationsOf(invocations, 'show', 'acme')[0]!.argv).to.deep.equal([
      'show',
      '-json',
      '-no-color',
      join(acmePlan.cwd, 'plan.tfplan'),
    ])
    expect(invocationsOf(invocations, 'init', 'acme')[0]!.argv.slice(0, 2)).to.deep.equal(['init', '-input=false'])
  })

  it('shares one plugin cache without racing: the first init fills it, the others init read-only in parallel', async () => {
    const fleet = await makeFleet(['cl-1', 'cl-2', 'cl-3', 'cl-4', 'cl-5', 'cl-6'])
    const result = await fleet.run(['plan', '--no-synth', '--concurrency', '6', '--json'], {
      TF_STANDIN_INSTALL_MS: '300',
    })
    expect(result.exitCode, result.stderr).to.equal(0)
    const inits = invocationsOf(await fleet.invocations(), 'init')
    expect(inits).to.have.length(6)
    const cacheDir = inits[0]!.env.TF_PLUGIN_CACHE_DIR
    expect(cacheDir).to.equal(join(fleet.root, '.seiketsu', 'cache', 'terraform-plugins', 'terraform'))
    expect(inits.every((init) => init.env.TF_PLUGIN_CACHE_DIR === cacheDir)).to.equal(true)
    const writers = inits.filter((init) => !init.argv.includes('-lockfile=readonly'))
    expect(writers).to.have.length(1)
    const readers = inits.filter((init) => init.argv.includes('-lockfile=readonly'))
    expect(readers.every((reader) => reader.start >= writers[0]!.end!)).to.equal(true)
    expect(maxOverlap(readers)).to.be.greaterThan(1, 'read-only inits run in parallel')
  })

  it('locks the plugin cache across processes: two seiketsu runs on one TF_PLUGIN_CACHE_DIR never write it at once', async () => {
    const one = await makeFleet(['one-a', 'one-b'])
    const two = await makeFleet(['two-a', 'two-b'])
    const cache = await makeTempDir()
    const env = {TF_PLUGIN_CACHE_DIR: cache, TF_STANDIN_INSTALL_MS: '600'}
    const results = await Promise.all([
      one.run(['plan', '--no-synth', '--json'], env),
      two.run(['plan', '--no-synth', '--json'], env),
    ])
    for (const result of results) expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    const inits = [...invocationsOf(await one.invocations(), 'init'), ...invocationsOf(await two.invocations(), 'init')]
    const writers = inits.filter((init) => !init.argv.includes('-lockfile=readonly'))
    expect(writers).to.have.length(2, 'one cache-writing init per run')
    expect(maxOverlap(writers)).to.equal(1, 'the writers took turns (the stand-in fails two at once: text file busy)')
    expect(readdirSync(cache)).to.not.include('.seiketsu-init.lock', 'the lock is gone once both are done')
  })

  it('reports a plan that replaces a stateful resource as destructive, with terraform’s reason, in JSON and the table', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    const env = {TF_STANDIN_REPLACE: 'bravo:aws_db_instance.database'}
    const json = parseJson<PlanResult>(await fleet.run(['plan', '--no-synth', '--json'], env))
    expect(byId(json).acme!.destructive).to.deep.equal([])
    expect(byId(json).bravo).to.include({add: CLIENT_STACK_RESOURCES - 1, replace: 1, status: 'planned'})
    expect(byId(json).bravo!.destructive).to.deep.equal(['aws_db_instance.database'])
    expect(byId(json).bravo!.changes.find((change) => change.address === 'aws_db_instance.database')).to.deep.include({
      actions: ['delete', 'create'],
      destructive: true,
      replacePaths: [['engine']],
    })

    const human = await fleet.run(['plan', '--no-synth'], env)
    expect(human.exitCode, human.stderr).to.equal(0)
    expect(human.stdout).to.match(/CLIENT\s+ADD\s+CHANGE\s+REPLACE\s+DESTROY\s+STATUS/)
    expect(human.stdout).to.match(/bravo\s+6\s+0\s+1\s+0\s+planned/)
    expect(human.stdout).to.match(/Destructive changes[^\n]*\n\s+bravo\s+replace aws_db_instance\.database/)
  })

  it('keeps planning the other clients when one fails, and exits 4 naming the failure', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    const result = await fleet.run(['plan', '--no-synth', '--concurrency', '1', '--json'], {
      TF_STANDIN_FAIL_PLAN: 'bravo',
    })
    expect(result.exitCode).to.equal(4)
    const clients = byId(parseJson<PlanResult>(result))
    expect(clients.acme!.status).to.equal('planned')
    expect(clients.carol!.status).to.equal('planned')
    expect(clients.bravo).to.include({status: 'failed', step: 'plan'})
    expect(clients.bravo!.error).to.contain('validating provider credentials')
    expect(clients.bravo!.error).to.contain(clients.bravo!.log)
    expect(clients.bravo).to.not.have.property('planFile')
    expect(existsSync(join(fleet.root, 'cdktf.out', 'stacks', 'bravo', 'plan.tfplan'))).to.equal(false)
    expect(readFileSync(clients.bravo!.log, 'utf8')).to.contain('InvalidClientTokenId')
  })

  it('with --fail-fast starts no client after the first failure', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol', 'delta'])
    const result = await fleet.run(['plan', '--no-synth', '--concurrency', '1', '--fail-fast', '--json'], {
      TF_STANDIN_FAIL_INIT: 'bravo',
    })
    expect(result.exitCode).to.equal(4)
    const clients = byId(parseJson<PlanResult>(result))
    expect(clients.acme!.status).to.equal('planned')
    expect(clients.bravo).to.include({status: 'failed', step: 'init'})
    expect(clients.carol!.status).to.equal('skipped')
    expect(clients.delta!.status).to.equal('skipped')
    const touched = new Set((await fleet.invocations()).map((invocation) => invocation.stack))
    expect(touched.has('carol') || touched.has('delta')).to.equal(false, 'terraform never ran for skipped clients')
  })

  it('never runs more terraform processes than --concurrency', async () => {
    const fleet = await makeFleet(['cl-1', 'cl-2', 'cl-3', 'cl-4', 'cl-5', 'cl-6'])
    for (const concurrency of [2, 4]) {
      await writeFile(fleet.logFile, '')
      const result = await fleet.run(['plan', '--no-synth', '--concurrency', String(concurrency), '--json'], {
        TF_STANDIN_PLAN_MS: '400',
      })
      expect(result.exitCode, result.stderr).to.equal(0)
      const stackWork = (await fleet.invocations()).filter((invocation) => invocation.verb !== 'version')
      expect(stackWork).to.have.length(18)
      // Reaching the bound shows it is the limit that held, not a lack of work.
      expect(maxOverlap(stackWork)).to.equal(concurrency)
    }
  })

  it('--detailed-exitcode follows terraform: 2 with changes, 0 without, 1 on any error', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    expect((await fleet.run(['plan', '--no-synth', '--detailed-exitcode'])).exitCode).to.equal(2)
    const applied = await fleet.run(['provision', '--yes'])
    expect(applied.exitCode, applied.stderr).to.equal(0)
    const unchanged = await fleet.run(['plan', '--no-synth', '--detailed-exitcode', '--json'])
    expect(unchanged.exitCode).to.equal(0)
    expect(parseJson<PlanResult>(unchanged).clients.map((client) => client.status)).to.deep.equal([
      'no-changes',
      'no-changes',
    ])
    // bravo has changes (drift), acme fails: the error wins.
    const mixed = await fleet.run(['plan', '--no-synth', '--detailed-exitcode'], {
      TF_STANDIN_DRIFT: 'bravo:aws_s3_bucket.data',
      TF_STANDIN_FAIL_PLAN: 'acme',
    })
    expect(mixed.exitCode).to.equal(1)
  })

  it('--drift plans every active client and exits 2 naming the ones that differ', async () => {
    const fleet = await makeFleet(['acme', 'bravo', 'carol'])
    expect((await fleet.run(['provision', '--yes'])).exitCode).to.equal(2, 'nothing planned yet')
    expect((await fleet.run(['plan', '--no-synth'])).exitCode).to.equal(0)
    expect((await fleet.run(['provision', '--yes'])).exitCode).to.equal(0)
    const clean = await fleet.run(['plan', '--no-synth', '--drift', '--json'])
    expect(clean.exitCode).to.equal(0)
    expect(parseJson<PlanResult>(clean).drifted).to.deep.equal([])

    const drifted = await fleet.run(['plan', '--no-synth', '--drift', '--json'], {
      TF_STANDIN_DRIFT: 'bravo:aws_s3_bucket.data',
    })
    expect(drifted.exitCode).to.equal(2)
    const json = parseJson<PlanResult>(drifted)
    expect(json.drifted).to.deep.equal(['bravo'])
    expect(byId(json).bravo).to.include({change: 1, hasChanges: true})
    expect(byId(json).bravo!.drift).to.deep.equal(['aws_s3_bucket.data'])
    const human = await fleet.run(['plan', '--no-synth', '--drift'], {TF_STANDIN_DRIFT: 'bravo:aws_s3_bucket.data'})
    expect(human.stdout).to.match(/bravo\s+0\s+1\s+0\s+0\s+drifted/)
  })

  it('--shard K/N splits the clients so that N runs cover each exactly once', async () => {
    const fleet = await makeFleet(['sh-1', 'sh-2', 'sh-3', 'sh-4', 'sh-5'])
    const seen: string[] = []
    for (const shard of ['1/3', '2/3', '3/3']) {
      const result = await fleet.run(['plan', '--no-synth', '--shard', shard, '--json'])
      expect(result.exitCode, result.stderr).to.equal(0)
      const json = parseJson<PlanResult>(result)
      expect(json.shard).to.deep.equal({count: 3, index: Number(shard[0])})
      seen.push(...json.clients.map((client) => client.id))
    }
    expect(seen.sort()).to.deep.equal(fleet.ids)
    const bad = await fleet.run(['plan', '--no-synth', '--shard', '4/3', '--json'])
    expect(bad.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(bad).error.code).to.equal('INVALID_SHARD')
    expect(parseJson<ErrorJson>(bad).error.message).to.match(/^--shard 4\/3: expected K\/N/)
  })

  it('refuses a terraform older than 1.10 and a missing binary with exit 2, naming where it came from', async () => {
    const fleet = await makeFleet(['acme'])
    const old = await fleet.run(['plan', '--no-synth', '--json'], {TF_STANDIN_VERSION: '1.9.8'})
    expect(old.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(old).error).to.include({code: 'TERRAFORM_TOO_OLD'})
    expect(parseJson<ErrorJson>(old).error.message).to.contain('1.9.8')

    const missing = await fleet.run(['plan', '--no-synth', '--terraform-bin', './no/such/terraform', '--json'])
    expect(missing.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(missing).error.message).to.contain('--terraform-bin = ./no/such/terraform')
    expect(invocationsOf(await fleet.invocations(), 'plan')).to.deep.equal([])
  })

  it('takes --terraform-bin over SEIKETSU_TERRAFORM_BIN, relative to where seiketsu runs', async () => {
    const fleet = await makeFleet(['acme'])
    const dir = await makeTempDir()
    // A symlink, not a copy: the stand-in resolves its dependencies (fflate) from where it really lives.
    await symlink(standinPath, join(dir, 'tofu'))
    const result = await fleet.run(['plan', '--no-synth', '--terraform-bin', join(dir, 'tofu'), '--json'], {
      SEIKETSU_TERRAFORM_BIN: '/nonexistent/terraform',
    })
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(parseJson<PlanResult>(result).terraform).to.include({flavor: 'opentofu', path: join(dir, 'tofu')})
  })

  it('--platform adds the platform stack (in shard 1 only), and provision --platform applies it', async () => {
    const fleet = await makeFleet(['acme', 'bravo'])
    await writePlatformStack(fleet.workspace, fleet.ids)
    const result = await fleet.run(['plan', '--no-synth', '--platform', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const platform = byId(parseJson<PlanResult>(result)).platform!
    expect(platform).to.include({add: 4, kind: 'platform', status: 'planned'})
    const second = parseJson<PlanResult>(
      await fleet.run(['plan', '--no-synth', '--platform', '--shard', '2/2', '--json']),
    )
    expect(second.clients.map((client) => client.id)).to.deep.equal(['bravo'])
    const first = parseJson<PlanResult>(
      await fleet.run(['plan', '--no-synth', '--platform', '--shard', '1/2', '--json']),
    )
    expect(first.clients.map((client) => client.id)).to.deep.equal(['acme', 'platform'])
    const applied = await fleet.run(['provision', 'acme', '--platform', '--yes', '--json'])
    expect(applied.exitCode, applied.stderr).to.equal(0)
    expect(
      invocationsOf(await fleet.invocations(), 'apply')
        .map((apply) => apply.stack)
        .sort(),
    ).to.deep.equal(['acme', 'platform'])
  })

  it('fails with exit 2 when a client has no synthesized stack', async () => {
    const fleet = await makeFleet(['acme'])
    const {rm} = await import('node:fs/promises')
    await rm(join(fleet.root, 'cdktf.out'), {force: true, recursive: true})
    const result = await fleet.run(['plan', '--no-synth', 'acme', '--json'])
    expect(result.exitCode).to.equal(2)
    expect(parseJson<ErrorJson>(result).error).to.include({code: 'NOT_SYNTHESIZED'})
  })

  describe('synthesizing first (the default)', () => {
    const resourcesIn = (file: string) =>
      Object.values(JSON.parse(readFileSync(file, 'utf8')).resource as Record<string, object>).reduce(
        (sum, byName) => sum + Object.keys(byName).length,
        0,
      )

    it('writes the selected stacks with seiketsu synth and plans those, each account’s bootstrap stack first', async () => {
      const fleet = await makeFleet(['acme', 'bravo', 'carol'], {domain: 'clients.example.com', withAccounts: true})
      const {rm} = await import('node:fs/promises')
      await rm(join(fleet.root, 'cdktf.out'), {force: true, recursive: true})
      // First day: the bootstrap stacks have changes, so the client stacks wait for them.
      const first = await fleet.run(['plan', 'acme', 'bravo', '--json'])
      expect(first.exitCode, first.stderr).to.equal(0)
      expect(
        parseJson<PlanResult>(first).clients.map((client) => [client.id, client.kind, client.status, client.code]),
      ).to.deep.equal([
        ['acme/bootstrap', 'bootstrap', 'planned', undefined],
        ['acme', 'client', 'skipped', 'WAITING_FOR_BOOTSTRAP'],
        ['bravo/bootstrap', 'bootstrap', 'planned', undefined],
        ['bravo', 'client', 'skipped', 'WAITING_FOR_BOOTSTRAP'],
      ])
      expect(
        invocationsOf(await fleet.invocations(), 'plan')
          .map((i) => i.stack)
          .sort(),
      ).to.deep.equal(['acme/bootstrap', 'bravo/bootstrap'])
      const waitingHuman = await fleet.run(['plan', 'acme'])
      expect(waitingHuman.stdout).to.match(
        /Waiting for their account's bootstrap stack:\n\s+acme\s+waiting for acme\/bootstrap/,
      )
      // Provision applies the bootstraps (the clients have no plan yet, on purpose: not an error).
      const bootstraps = await fleet.run(['provision', 'acme', 'bravo', '--yes', '--json'])
      expect(bootstraps.exitCode, bootstraps.stderr).to.equal(0)
      expect(
        parseJson<PlanResult>(bootstraps).clients.map((client) => [client.id, client.status, client.code]),
      ).to.deep.equal([
        ['acme/bootstrap', 'applied', undefined],
        ['acme', 'skipped', 'WAITING_FOR_BOOTSTRAP'],
        ['bravo/bootstrap', 'applied', undefined],
        ['bravo', 'skipped', 'WAITING_FOR_BOOTSTRAP'],
      ])
      const result = await fleet.run(['plan', 'acme', 'bravo', '--json'])
      expect(result.exitCode, result.stderr).to.equal(0)
      const json = parseJson<PlanResult>(result)
      expect(json.clients.map((client) => [client.id, client.kind, client.status])).to.deep.equal([
        ['acme/bootstrap', 'bootstrap', 'no-changes'],
        ['acme', 'client', 'planned'],
        ['bravo/bootstrap', 'bootstrap', 'no-changes'],
        ['bravo', 'client', 'planned'],
      ])
      for (const client of json.clients.filter((candidate) => candidate.kind === 'client')) {
        const file = join(fleet.root, 'cdktf.out', 'stacks', client.id, 'cdk.tf.json')
        expect(client.add).to.equal(resourcesIn(file), 'every synthesized resource is planned for creation')
        expect(client.add).to.be.greaterThan(50)
      }
      expect(existsSync(join(fleet.root, 'cdktf.out', 'stacks', 'carol'))).to.equal(false, 'only the selection')
      expect(existsSync(join(fleet.root, 'cdktf.out', 'stacks', 'platform'))).to.equal(false)
      // The service gate is part of each client's plan: closed here (no image digest in seiketsu.yaml).
      const plans = invocationsOf(await fleet.invocations(), 'plan').filter((i) => i.stack === 'acme')
      expect(plans.at(-1)!.argv).to.include('-var=service_enabled=false')
      expect(json.clients.find((client) => client.id === 'acme')!.service).to.deep.include({enabled: false})
      // No ECS cluster answers for the database user's setup task here: reported (exit 4), the stacks applied.
      const ecs = await FakeAws.start()
      const applied = await fleet
        .run(['provision', '--yes', 'acme', 'bravo', '--json'], {...FAKE_AWS_ENV, AWS_ENDPOINT_URL: ecs.url})
        .finally(() => ecs.close())
      expect(applied.exitCode, applied.stderr).to.equal(4)
      const appliedJson = parseJson<{clients: {id: string; status: string; databaseUser?: {status: string}}[]}>(applied)
      expect(appliedJson.clients.find((client) => client.id === 'acme')).to.deep.include({status: 'applied'})
      expect(appliedJson.clients.find((client) => client.id === 'acme')!.databaseUser).to.deep.include({
        status: 'failed',
      })
      expect(applied.stdout).to.not.contain('"PGPASSWORD"')
      const again = await fleet.run(['plan', 'acme', '--detailed-exitcode', '--json'])
      expect(again.exitCode, 'a fresh synth of an unchanged client plans no changes').to.equal(0)
    })

    it('without a domain: plan warns that the certificate can never be validated, provision refuses (exit 2)', async () => {
      const fleet = await makeFleet(['acme', 'bravo'], {withAccounts: true})
      await fleet.run(['plan', 'acme', '--json'])
      // The bootstrap stack has no certificate: it applies; the client stack is then planned.
      const bootstrap = await fleet.run(['provision', 'acme', '--yes', '--json'])
      expect(bootstrap.exitCode, bootstrap.stderr).to.equal(0)
      const planned = await fleet.run(['plan', 'acme', '--json'])
      expect(planned.exitCode, planned.stderr).to.equal(0)
      const json = parseJson<PlanResult>(planned)
      expect(byId(json).acme!.status).to.equal('planned')
      expect(json.warnings).to.have.length(1)
      expect(json.warnings[0]).to.match(
        /^acme: its certificate is for acme\.seiketsu\.invalid, .*domain in seiketsu\.yaml/,
      )
      const human = await fleet.run(['plan', 'acme'])
      expect(human.exitCode).to.equal(0)
      expect(human.stderr).to.match(/Warning: acme: its certificate is for acme\.seiketsu\.invalid/)
      expect(human.stdout).to.not.contain('acme.seiketsu.invalid')

      const refused = await fleet.run(['provision', 'acme', '--yes', '--json'])
      expect(refused.exitCode).to.equal(2)
      const error = parseJson<ErrorJson>(refused).error
      expect(error).to.include({code: 'NO_DOMAIN'})
      expect(error.message).to.contain('acme.seiketsu.invalid')
      expect(error.suggestions![0]).to.match(/^Set domain in seiketsu\.yaml/)
      expect(invocationsOf(await fleet.invocations(), 'apply').map((i) => i.stack)).to.deep.equal(['acme/bootstrap'])
      expect(existsSync(join(fleet.root, 'cdktf.out', 'stacks', 'acme', 'plan.tfplan'))).to.equal(true)
    })

    it('skips a client without an AWS account, so that the platform stack (which creates it) can be planned and applied', async () => {
      const fleet = await makeFleet(['acme', 'bravo'], {domain: 'voice.example.com', withAccounts: true})
      // bravo's account is not created yet: the platform stack will create it.
      await writeFile(
        join(fleet.root, 'clients', 'bravo.yaml'),
        readFileSync(join(fleet.root, 'clients', 'bravo.yaml'), 'utf8').replace(/^accountId: .*$/m, 'accountId: null'),
      )
      const result = await fleet.run(['plan', '--platform', '--json'])
      expect(result.exitCode, result.stderr).to.equal(0)
      const clients = byId(parseJson<PlanResult>(result))
      expect(clients['acme/bootstrap']!.status).to.equal('planned')
      expect(clients.acme).to.include({code: 'WAITING_FOR_BOOTSTRAP', status: 'skipped'})
      expect(clients.platform).to.include({kind: 'platform', status: 'planned'})
      expect(clients.bravo).to.include({status: 'skipped'})
      expect(clients.bravo!.error).to.contain('no AWS account yet')
      expect(invocationsOf(await fleet.invocations(), 'plan').map((i) => i.stack)).to.not.include('bravo')

      // `platform` alone names just the management-account stack, for planning and applying.
      const platformOnly = await fleet.run(['plan', 'platform', '--json'])
      expect(platformOnly.exitCode, platformOnly.stderr).to.equal(0)
      expect(parseJson<PlanResult>(platformOnly).clients.map((c) => c.id)).to.deep.equal(['platform'])
      const applied = await fleet.run(['provision', 'platform', '--yes', '--json'])
      expect(applied.exitCode, applied.stderr).to.equal(0)
      expect(parseJson<PlanResult>(applied).clients.map((c) => [c.id, c.status])).to.deep.equal([
        ['platform', 'applied'],
      ])
    })

    it('with --detailed-exitcode or --drift an error exits 1, never the 2 of "changes"', async () => {
      const fleet = await makeFleet(['acme'], {withAccounts: true})
      for (const flag of ['--detailed-exitcode', '--drift']) {
        const unknown = await fleet.run(['plan', 'nosuch', flag, '--json'])
        expect(unknown.exitCode, flag).to.equal(1)
        expect(parseJson<ErrorJson>(unknown).error).to.include({code: 'UNKNOWN_CLIENT', exitCode: 1})
      }
      const plain = await fleet.run(['plan', 'nosuch'])
      expect(plain.exitCode).to.equal(2)
    })
  })
})
