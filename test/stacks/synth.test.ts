import {readFile, readdir, stat} from 'node:fs/promises'
import {join, relative, sep} from 'node:path'

import {expect} from 'chai'

import {ExitCode} from '../../src/errors.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, removeDir, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {readStack, resourcesOf} from './helpers.ts'

const S3_STATE = `
  backend: s3
  bucket: seiketsu-tf-state
  region: us-east-2
  keyPrefix: fleet/`

describe('synthesizeStacks', () => {
  const clients = [
    draftClient('acme', {accountId: '222222222222'}),
    draftClient('bayview', {accountId: null, tier: 'bronze'}),
    draftClient('cascade', {accountId: '444444444444', tier: 'gold'}),
  ]
  let workspace: Workspace
  const cleanup: string[] = []

  before(async () => {
    workspace = await makeWorkspace({clients})
    cleanup.push(workspace.root)
  })
  after(() => Promise.all(cleanup.map((dir) => removeDir(dir))))

  it('writes cdktf.out/stacks/<id>/cdk.tf.json (and <id>/bootstrap/) for the selected clients and the platform, and nothing else', async () => {
    const registry = await loadRegistry(workspace)
    const stacks = await synthesizeStacks(workspace, registry.select(['acme']))
    const out = workspacePaths(workspace.root).out
    expect(stacks.map(({client, id, kind}) => ({client, id, kind}))).to.deep.equal([
      {client: 'acme', id: 'acme/bootstrap', kind: 'bootstrap'},
      {client: 'acme', id: 'acme', kind: 'client'},
      {client: undefined, id: 'platform', kind: 'platform'},
    ])
    const [bootstrap, client] = stacks
    expect(client!.file).to.equal(join(out, 'stacks', 'acme', 'cdk.tf.json'))
    expect(client!.dir).to.equal(join(out, 'stacks', 'acme'))
    expect(bootstrap!.file).to.equal(join(out, 'stacks', 'acme', 'bootstrap', 'cdk.tf.json'))
    expect((await readdir(join(out, 'stacks'))).sort()).to.deep.equal(['acme', 'platform'])
    const doc = await readStack(client!.file)
    const counted = Object.values(doc.resource).reduce((sum, byName) => sum + Object.keys(byName).length, 0)
    expect(client!.resources).to.equal(counted).and.to.be.greaterThan(90)
  })

  it('is deterministic: the same registry gives byte-identical files, whatever folder the workspace is in', async () => {
    const twin = await makeWorkspace({clients})
    cleanup.push(twin.root)
    const first = await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
    const again = await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
    const elsewhere = await synthesizeStacks(twin, (await loadRegistry(twin)).clients)
    // bayview has no account yet, so no bootstrap stack.
    expect(first.map((stack) => stack.id)).to.deep.equal([
      'acme/bootstrap',
      'acme',
      'bayview',
      'cascade/bootstrap',
      'cascade',
      'platform',
    ])
    for (const [index, stack] of first.entries()) {
      const text = await readFile(stack.file, 'utf8')
      expect(await readFile(again[index]!.file, 'utf8'), stack.id).to.equal(text)
      expect(await readFile(elsewhere[index]!.file, 'utf8'), stack.id).to.equal(text)
      expect(text).not.to.include(workspace.root)
      expect(text).not.to.match(/20\d\d-\d\d-\d\dT/) // no timestamps
    }
  })

  it('leaves an unchanged stack file untouched, so plans made from it stay current', async () => {
    const registry = await loadRegistry(workspace)
    const [, first] = await synthesizeStacks(workspace, registry.select(['cascade']), {includePlatform: false})
    const before = (await stat(first!.file)).mtimeMs
    await new Promise((resolve) => setTimeout(resolve, 20))
    await synthesizeStacks(workspace, registry.select(['cascade']), {includePlatform: false})
    expect((await stat(first!.file)).mtimeMs).to.equal(before)
  })

  it('builds no platform stack with includePlatform: false, and writes to outDir when given', async () => {
    const outDir = await makeTempDir()
    cleanup.push(outDir)
    const registry = await loadRegistry(workspace)
    const stacks = await synthesizeStacks(workspace, registry.select(['acme']), {
      includeBootstrap: false,
      includePlatform: false,
      outDir,
    })
    expect(stacks.map((stack) => stack.id)).to.deep.equal(['acme'])
    expect(await readdir(join(outDir, 'stacks'))).to.deep.equal(['acme'])
    const doc = await readStack(stacks[0]!.file)
    // The state stays in the workspace, addressed from wherever the stack was written.
    expect(doc.terraform.backend.local.path).to.match(/^(\.\.\/)+.*\.seiketsu\/state\/acme\/terraform\.tfstate$/)
  })

  it('refuses a client without an account at plan time, with the reason and the fix', async () => {
    const registry = await loadRegistry(workspace)
    const [stack] = await synthesizeStacks(workspace, registry.select(['bayview']), {includePlatform: false})
    const doc = await readStack(stack!.file)
    // The providers take the account from the variable whose validation refuses the plan: validate
    // still checks the whole stack, plan stops with the reason.
    expect(doc.provider.aws![0]!.allowed_account_ids).to.deep.equal(['${var.account_pending}'])
    expect(doc.provider.aws![0]!.assume_role[0].role_arn).to.equal(
      'arn:aws:iam::${var.account_pending}:role/SeiketsuClientProvisioner',
    )
    const [validation] = doc.variable!.account_pending!.validation
    expect(doc.variable!.account_pending!.default).to.equal('pending-bayview')
    expect(validation.condition).to.equal('${!startswith(var.account_pending, "pending-")}')
    expect(validation.error_message).to.include('accountId: null in clients/bayview.yaml')
    const acme = await readStack(join(workspacePaths(workspace.root).out, 'stacks', 'acme', 'cdk.tf.json'))
    expect(acme.variable).not.to.have.property('account_pending')
  })

  it('rejects clients the workspace cannot build (exit 2) and writes nothing', async () => {
    const registry = await loadRegistry(workspace)
    const outDir = await makeTempDir()
    cleanup.push(outDir)
    const broken = {...registry.get('acme'), tier: 'platinum'}
    const error = await synthesizeStacks(workspace, [broken], {allClients: [broken], outDir}).catch((caught) => caught)
    expect(error).to.include({exitCode: ExitCode.Usage})
    expect(error.message).to.include('Cannot synthesize')
    expect(JSON.stringify(error.details)).to.include("unknown tier 'platinum'")
    expect(await readdir(outDir)).to.deep.equal([])
  })

  it('uses one S3 state key per stack, encrypted and locked with a lock file', async () => {
    const s3 = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'})],
      configText: (text) => text.replace('  backend: local', S3_STATE),
    })
    cleanup.push(s3.root)
    const stacks = await synthesizeStacks(s3, (await loadRegistry(s3)).clients)
    for (const stack of stacks) {
      const doc = await readStack(stack.file)
      expect(doc.terraform.backend, stack.id).to.deep.equal({
        s3: {
          bucket: 'seiketsu-tf-state',
          encrypt: true,
          key: `fleet/${stack.id}/terraform.tfstate`,
          region: 'us-east-2',
          use_lockfile: true,
        },
      })
    }
    const platform = await readStack(stacks.find((stack) => stack.kind === 'platform')!.file)
    expect(resourcesOf(platform, 'aws_s3_bucket').state_bucket_bucket).to.deep.include({
      bucket: 'seiketsu-tf-state',
      provider: 'aws.state',
    })
    // State objects are SSE-KMS with the state key: the roles that run terraform must be able to use it.
    for (const role of ['platform_admin', 'provisioner']) {
      const policy = JSON.parse(resourcesOf(platform, 'aws_iam_role_policy')[`${role}_platform_policy`]!.policy)
      expect(policy.Statement, role).to.deep.include({
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: '${aws_kms_key.state_key.arn}',
        Sid: 'UseStateKey',
      })
    }
  })
})

describe('synthesizeStacks across worker threads', () => {
  it('writes a fleet through worker threads, byte-identical to stacks built one by one in this thread', async () => {
    const fleet = await makeWorkspace({
      clients: ['bronze', 'silver', 'gold', 'enterprise', 'bronze', 'silver', 'gold', 'enterprise', 'silver'].map(
        (tier, index) =>
          draftClient(`client-${index + 1}`, {accountId: index % 2 ? null : `${222222222220 + index}`, tier}),
      ),
    })
    try {
      const registry = await loadRegistry(fleet)
      const together = await synthesizeStacks(fleet, registry.clients) // 15 stacks: worker threads
      const clientStacks = together.filter((stack) => stack.kind === 'client')
      expect(clientStacks.map((stack) => stack.id)).to.deep.equal(registry.clients.map((c) => c.id))
      expect(together.filter((stack) => stack.kind === 'bootstrap')).to.have.length(5)
      const texts = await Promise.all(clientStacks.map((stack) => readFile(stack.file, 'utf8')))
      const outDir = await makeTempDir()
      try {
        for (const [index, client] of registry.clients.entries()) {
          const [alone] = await synthesizeStacks(fleet, [client], {
            includeBootstrap: false,
            includePlatform: false,
            outDir,
          })
          expect(alone!.resources).to.equal(clientStacks[index]!.resources)
          // Same backend path: both outputs sit at the same depth below their roots.
          expect(await readFile(alone!.file, 'utf8'), client.id).to.equal(
            texts[index]!.replace(
              '../../../.seiketsu/state/',
              relative(join(outDir, 'stacks', client.id), join(fleet.root, '.seiketsu', 'state'))
                .split(sep)
                .join('/') + '/',
            ),
          )
        }
      } finally {
        await removeDir(outDir)
      }
    } finally {
      await removeDir(fleet.root)
    }
  })
})

describe('seiketsu synth --out', () => {
  it('creates the whole output path', async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme', {accountId: '222222222222'})]})
    const result = await runCli(['synth', '--out', 'build/nested/stacks', '--json'], {cwd: workspace.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(await readdir(join(workspace.root, 'build', 'nested', 'stacks', 'stacks'))).to.include('acme')
  })
})

describe('seiketsu synth --json warnings', () => {
  it('carries the warning about clients without an account in the document', async () => {
    const workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: null})],
      settings: {alertsEmail: undefined, domain: undefined},
    })
    const result = await runCli(['synth', '--json'], {cwd: workspace.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    const {warnings} = JSON.parse(result.stdout) as {warnings: string[]}
    expect(warnings).to.have.length(4)
    expect(warnings[0]).to.match(/^Client without an AWS account yet \(acme\)/)
    // And what the workspace still lacks before clients serve, each naming its setting.
    expect(warnings.slice(1).map((warning) => /^No ([\w.]+)/.exec(warning)?.[1])).to.deep.equal([
      'image.digest',
      'alerts.email',
      'domain',
    ])
  })

  it('warns about nothing a workspace ready for production has', async () => {
    const workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'})],
      settings: {
        alertsEmail: 'oncall@seiketsu.example',
        domain: 'clients.seiketsu.example',
        imageDigest: `sha256:${'ab'.repeat(32)}`,
      },
    })
    const result = await runCli(['synth', '--json'], {cwd: workspace.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect((JSON.parse(result.stdout) as {warnings: string[]}).warnings).to.deep.equal([])
    await removeDir(workspace.root)
  })
})
