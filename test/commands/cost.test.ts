import {copyFile, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {CostEstimateResult} from '../../src/commands/cost/estimate.ts'
import type {CostReportResult} from '../../src/commands/cost/report.ts'
import {previousMonth} from '../../src/cost/cost-explorer.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {getCostAndUsage} from '../helpers/aws/cost-explorer.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {startJsonService, type LoopbackService} from '../helpers/aws/protocol.ts'
import {fixturesDir, makeTempDir, parseJson, repoRoot, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

async function placeStack(workspace: Workspace, id: string, fixture: string) {
  const dir = join(workspace.root, 'cdktf.out', 'stacks', id)
  await mkdir(dir, {recursive: true})
  await copyFile(join(fixturesDir, 'cost', fixture), join(dir, 'cdk.tf.json'))
}

describe('seiketsu cost estimate', () => {
  let workspace: Workspace

  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {tier: 'silver'}),
        draftClient('euro', {region: 'eu-central-1', residency: 'eu', tier: 'gold'}),
      ],
    })
    await placeStack(workspace, 'acme', 'silver-stack.tf.json')
  })

  it('--json: each client with its total, budget, tier price and priced components', async () => {
    const result = await runCli(['cost', 'estimate', 'acme', '--json'], {cwd: workspace.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    const {clients, currency} = parseJson<CostEstimateResult>(result)
    expect(currency).to.equal('USD')
    expect(clients).to.have.length(1)
    // the hand computation is in test/cost/estimate.test.ts
    expect(clients[0]).to.deep.include({
      budget: '1000.00',
      hypothetical: false,
      id: 'acme',
      margin: '1504.3749',
      monthly: '294.6251',
      overBudget: false,
      region: 'us-east-1',
      tier: 'silver',
      tierPrice: '1799.00',
    })
    expect(clients[0]!.components[0]).to.deep.equal({
      basis: 'primary',
      component: 'NAT gateway hours',
      count: 2,
      monthly: '65.70',
      price: '0.045',
      quantity: '1460',
      region: 'us-east-1',
      resource: 'aws_nat_gateway',
      unit: 'hour',
    })
    // The DR resources (backup key, replica bucket) are priced with the DR region's own table.
    expect(clients[0]!.priceFiles).to.deep.equal([
      'templates/prices/us-east-1.yaml',
      'templates/prices/us-west-2.yaml',
      'templates/prices/usage.yaml',
    ])
  })

  it('prints a table for people and CSV with exact amounts', async () => {
    const table = await runCli(['cost', 'estimate', 'acme'], {cwd: workspace.root})
    expect(table.exitCode, table.stderr).to.equal(0)
    expect(table.stdout).to.contain('acme (silver) in us-east-1: $294.63 a month, within budget (budget $1,000.00)')
    expect(table.stdout).to.match(
      /aws_db_instance\s+instance hours \(db\.t4g\.medium, Multi-AZ\)\s+730 instance-hour\s+\$0\.13\s+\$94\.90/,
    )
    const csv = await runCli(['cost', 'estimate', 'acme', '--format', 'csv'], {cwd: workspace.root})
    expect(csv.exitCode, csv.stderr).to.equal(0)
    const lines = csv.stdout.trim().split('\n')
    expect(lines[0]).to.equal('client,tier,region,resource,component,count,quantity,unit,price,monthly,basis')
    expect(lines).to.include(
      'acme,silver,us-east-1,aws_ecs_service,Fargate vCPU (1 × 1 vCPU),1,730,vCPU-hour,0.04048,29.5504,secondary',
    )
    expect(lines.at(-1)).to.equal('acme,silver,us-east-1,,total,,,,,294.6251,')
  })

  it('names the missing price file of a region seiketsu has no prices for (exit 2)', async () => {
    await placeStack(workspace, 'euro', 'gold-stack.tf.json')
    const result = await runCli(['cost', 'estimate', 'euro', '--json'], {cwd: workspace.root})
    expect(result.exitCode).to.equal(2)
    const {error} = parseJson<{error: {code: string; message: string}}>(result)
    expect(error.code).to.equal('NO_PRICE_TABLE')
    expect(error.message).to.contain('prices/eu-central-1.yaml')
    expect(error.message).to.contain('templates/prices/eu-central-1.yaml')
  })

  it("uses the workspace's prices/<region>.yaml for a region seiketsu ships no prices for", async () => {
    const other = await makeWorkspace({
      clients: [draftClient('euro', {region: 'eu-central-1', residency: 'eu', tier: 'gold'})],
    })
    const stack = JSON.parse(await readFile(join(fixturesDir, 'cost', 'gold-stack.tf.json'), 'utf8'))
    stack.provider.aws.region = 'eu-central-1'
    await mkdir(join(other.root, 'cdktf.out', 'stacks', 'euro'), {recursive: true})
    await writeFile(join(other.root, 'cdktf.out', 'stacks', 'euro', 'cdk.tf.json'), JSON.stringify(stack))
    await mkdir(join(other.root, 'prices'))
    const shipped = await readFile(join(repoRoot, 'templates', 'prices', 'eu-west-1.yaml'), 'utf8')
    await writeFile(
      join(other.root, 'prices', 'eu-central-1.yaml'),
      shipped.replace('region: eu-west-1', 'region: eu-central-1'),
    )
    const result = await runCli(['cost', 'estimate', 'euro', '--json'], {cwd: other.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    const [estimate] = parseJson<CostEstimateResult>(result).clients
    expect(estimate!.priceFiles).to.include('prices/eu-central-1.yaml')
    expect(estimate!.region).to.equal('eu-central-1')
    // NAT at the workspace file's $0.048: 3 × 730 h × 0.048 = $105.12
    expect(estimate!.components.find((line) => line.component === 'NAT gateway hours')?.monthly).to.equal('105.12')
    expect(estimate!.unconfirmedLines).to.equal(estimate!.components.length)
  })

  it('says how to rebuild a synthesized stack that is not valid JSON (exit 2)', async () => {
    const other = await makeWorkspace({clients: [draftClient('broken')]})
    await mkdir(join(other.root, 'cdktf.out', 'stacks', 'broken'), {recursive: true})
    await writeFile(join(other.root, 'cdktf.out', 'stacks', 'broken', 'cdk.tf.json'), '{"resource": ')
    const result = await runCli(['cost', 'estimate', '--json'], {cwd: other.root})
    expect(result.exitCode).to.equal(2)
    const {error} = parseJson<{error: {code: string; suggestions: string[]}}>(result)
    expect(error.code).to.equal('MALFORMED_FILE')
    expect(error.suggestions).to.deep.equal(['seiketsu synth broken'])
  })

  it('rejects client ids together with --tier, and an unknown tier (exit 2)', async () => {
    const both = await runCli(['cost', 'estimate', 'acme', '--tier', 'gold'], {cwd: workspace.root})
    expect(both.exitCode).to.equal(2)
    const unknown = await runCli(['cost', 'estimate', '--tier', 'platinum', '--json'], {cwd: workspace.root})
    expect(unknown.exitCode).to.equal(2)
    // The estimate names its input `tier`; the command says which flag that is.
    expect(parseJson<{error: {message: string}}>(unknown).error.message).to.match(/^--tier: unknown tier 'platinum'/)
    const region = await runCli(['cost', 'estimate', '--tier', 'gold', '--region', 'mars-1', '--json'], {
      cwd: workspace.root,
    })
    expect(region.exitCode).to.equal(2)
    expect(parseJson<{error: {message: string}}>(region).error.message).to.match(/^--region mars-1 is not a region/)
  })
})

describe('seiketsu cost report', () => {
  let workspace: Workspace
  let server: LoopbackService
  const month = previousMonth(new Date())

  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {accountId: '222222222222', tier: 'silver'}),
        draftClient('beta', {accountId: '333333333333', tier: 'bronze'}),
      ],
    })
    server = await startJsonService({
      GetCostAndUsage: getCostAndUsage({
        groups: [
          {amount: '512.3333', key: '222222222222'},
          {amount: '450.01', key: '333333333333'},
          {amount: '7.5', key: '999999999999', name: 'old sandbox'},
        ],
        pageSize: 2,
      }),
    })
  })

  after(() => server.close())

  const env = () => ({...FAKE_AWS_ENV})

  it('--json: clients with amount, budget and over-budget flag, the unallocated, total and requests', async () => {
    const result = await runCli(
      ['cost', 'report', '--month', month, '--endpoint-url', server.url, '--refresh', '--json'],
      {cwd: workspace.root, env: env()},
    )
    expect(result.exitCode, result.stderr).to.equal(0)
    const report = parseJson<CostReportResult>(result)
    expect(report).to.include({currency: 'USD', month, requests: 2, total: '969.8433'})
    expect(
      report.clients.map(({id, accountId, amount, budget, overBudget, estimated}) => ({
        accountId,
        amount,
        budget,
        estimated,
        id,
        overBudget,
      })),
    ).to.deep.equal([
      {
        accountId: '222222222222',
        amount: '512.3333',
        budget: '1000.00',
        estimated: false,
        id: 'acme',
        overBudget: false,
      },
      {accountId: '333333333333', amount: '450.01', budget: '450.00', estimated: false, id: 'beta', overBudget: true},
    ])
    expect(report.unallocated).to.deep.equal([{accountId: '999999999999', amount: '7.50', name: 'old sandbox'}])
  })

  it('finds the endpoint in AWS_ENDPOINT_URL_COST_EXPLORER and answers a final month from the cache', async () => {
    const cwd = workspace.root
    const first = await runCli(['cost', 'report', '--month', month, '--refresh', '--json'], {
      cwd,
      env: {...env(), AWS_ENDPOINT_URL_COST_EXPLORER: server.url},
    })
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(parseJson<CostReportResult>(first).requests).to.equal(2)
    const calls = server.calls.length
    // no endpoint at all this time: the cache answers, no request is made
    const second = await runCli(['cost', 'report', '--month', month], {cwd, env: env()})
    expect(second.exitCode, second.stderr).to.equal(0)
    expect(second.stdout).to.contain('Cost Explorer requests: 0 (final month read from the cache')
    expect(second.stdout).to.match(/beta\s+bronze\s+333333333333\s+\$450\.01\s+\$450\.00\s+100% OVER\s+█+/)
    expect(server.calls).to.have.length(calls)
  })

  it('--fail-over-budget: exit 3 with the report still on stdout', async () => {
    const result = await runCli(
      ['cost', 'report', '--month', month, '--endpoint-url', server.url, '--fail-over-budget', '--json'],
      {cwd: workspace.root, env: env()},
    )
    expect(result.exitCode).to.equal(3)
    expect(parseJson<CostReportResult>(result).clients.find((client) => client.id === 'beta')?.overBudget).to.equal(
      true,
    )
    const within = await runCli(['cost', 'report', 'acme', '--month', month, '--fail-over-budget', '--format', 'csv'], {
      cwd: workspace.root,
      env: env(),
    })
    expect(within.exitCode, within.stderr).to.equal(0)
    expect(within.stdout.trim().split('\n')).to.deep.equal([
      'month,kind,client,account_id,tag,name,tier,amount,budget,over_budget,estimated',
      `${month},client,acme,222222222222,,acme Realty,silver,512.3333,1000.00,false,false`,
      `${month},total,,,,,,512.3333,,,false`,
    ])
  })

  it('--profile selects the credentials; a profile without them and an unreachable endpoint bill nothing (exit 4)', async () => {
    const home = await makeTempDir()
    const noFiles = {
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      HOME: home,
    }
    const calls = server.calls.length
    const noProfile = await runCli(
      ['cost', 'report', '--month', month, '--endpoint-url', server.url, '--refresh', '--profile', 'payer', '--json'],
      {cwd: workspace.root, env: {...env(), ...noFiles}},
    )
    expect(noProfile.exitCode).to.equal(4)
    const {error} = parseJson<{error: {details: {requests: number}; suggestions: string[]}}>(noProfile)
    expect(error.suggestions[0]).to.contain("Profile 'payer' gave no credentials")
    expect(error.details.requests).to.equal(0)
    expect(server.calls).to.have.length(calls)
    await writeFile(
      join(home, 'credentials'),
      '[payer]\naws_access_key_id = AKIAIOSFODNN7PAYER01\naws_secret_access_key = payer-secret\n',
    )
    const withProfile = await runCli(
      ['cost', 'report', '--month', month, '--endpoint-url', server.url, '--refresh', '--profile', 'payer', '--json'],
      {cwd: workspace.root, env: {AWS_EC2_METADATA_DISABLED: 'true', ...noFiles}},
    )
    expect(withProfile.exitCode, withProfile.stderr).to.equal(0)
    expect(String(server.calls.at(-1)!.headers.authorization)).to.contain('Credential=AKIAIOSFODNN7PAYER01/')
    const unreachable = await runCli(
      ['cost', 'report', '--month', month, '--endpoint-url', 'http://127.0.0.1:9', '--refresh', '--json'],
      {cwd: workspace.root, env: env()},
    )
    expect(unreachable.exitCode).to.equal(4)
    const failure = parseJson<{error: {message: string; details: {requests: number}}}>(unreachable).error
    expect(failure.message).to.contain('Cost Explorer is unreachable at http://127.0.0.1:9')
    expect(failure.details.requests).to.equal(0)
  })

  it('an AWS failure is exit 4 with the service message; a bad month is exit 2', async () => {
    const failing = await startJsonService({
      GetCostAndUsage: getCostAndUsage({
        alwaysError: {message: 'User not enabled for cost explorer access', type: 'AccessDeniedException'},
        groups: [],
        pageSize: 1,
      }),
    })
    try {
      const result = await runCli(
        ['cost', 'report', '--month', month, '--endpoint-url', failing.url, '--refresh', '--json'],
        {
          cwd: workspace.root,
          env: env(),
        },
      )
      expect(result.exitCode).to.equal(4)
      const {error} = parseJson<{error: {code: string; message: string}}>(result)
      expect(error.code).to.equal('AWS_ERROR')
      expect(error.message).to.contain('User not enabled for cost explorer access')
    } finally {
      await failing.close()
    }
    const bad = await runCli(['cost', 'report', '--month', '2026-8'], {cwd: workspace.root, env: env()})
    expect(bad.exitCode).to.equal(2)
    expect(bad.errorText).to.contain('expected YYYY-MM')
  })
})
