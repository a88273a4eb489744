import {access} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {CostEstimateResult} from '../../src/commands/cost/estimate.ts'
import {estimateClients, type ClientCostEstimate} from '../../src/cost/client-estimate.ts'
import {decimal, sum} from '../../src/cost/money.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

/**
 * End to end: the clients of a workspace synthesized by the real stack code (issue 3), then priced.
 * The tier-driven lines are checked against hand arithmetic on templates/tiers.yaml and
 * templates/prices/us-east-1.yaml.
 */
describe('cost estimate of synthesized stacks', () => {
  let workspace: Workspace
  let estimates: Map<string, ClientCostEstimate>

  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('bronze-co', {accountId: '210000000001', tier: 'bronze'}),
        draftClient('enterprise-co', {accountId: '210000000004', tier: 'enterprise'}),
      ],
    })
    const clients = (await loadRegistry(workspace)).select()
    estimates = new Map((await estimateClients(workspace, clients)).map((estimate) => [estimate.id, estimate]))
  })

  const monthly = (id: string, component: string) => {
    const line = estimates.get(id)!.components.find((entry) => entry.component === component)
    if (!line) throw new Error(`${id} has no '${component}': ${estimates.get(id)!.components.map((c) => c.component)}`)
    return {count: line.count, monthly: line.monthly}
  }

  it('synthesizes the stacks it needs into cdktf.out, as seiketsu synth would', async () => {
    await access(join(workspace.root, 'cdktf.out', 'stacks', 'bronze-co', 'cdk.tf.json'))
    await access(join(workspace.root, 'cdktf.out', 'stacks', 'enterprise-co', 'cdk.tf.json'))
  })

  it('prices a Bronze stack from its tier sizes', () => {
    // natGateways 1: 730 h × $0.045 = $32.85
    expect(monthly('bronze-co', 'NAT gateway hours')).to.deep.equal({count: 1, monthly: '32.85'})
    // minTasks 1 × 512 CPU units (0.5 vCPU) × 730 h = 365 vCPU-h × $0.04048 = $14.7752
    expect(monthly('bronze-co', 'Fargate vCPU (1 × 0.5 vCPU)').monthly).to.equal('14.7752')
    // 1 × 1024 MiB (1 GB) × 730 h = 730 GB-h × $0.004445 = $3.24485
    expect(monthly('bronze-co', 'Fargate memory (1 × 1 GB)').monthly).to.equal('3.24485')
    // db.t4g.small Single-AZ: 730 × $0.032 = $23.36; 20 GB gp3 × $0.115 = $2.30
    expect(monthly('bronze-co', 'instance hours (db.t4g.small)').monthly).to.equal('23.36')
    expect(monthly('bronze-co', 'gp3 storage').monthly).to.equal('2.30')
    // 1 node cache.t4g.micro: 730 × $0.016 = $11.68
    expect(monthly('bronze-co', 'node hours (1 × cache.t4g.micro)').monthly).to.equal('11.68')
    const bronze = estimates.get('bronze-co')!
    expect(bronze).to.include({budget: '450.00', overBudget: false, tier: 'bronze', tierPrice: '799.00'})
  })

  it('prices an Enterprise stack: Multi-AZ primary, two replicas, three cache nodes, two 2-vCPU tasks', () => {
    // natGateways 3: 2190 h × $0.045 = $98.55
    expect(monthly('enterprise-co', 'NAT gateway hours')).to.deep.equal({count: 3, monthly: '98.55'})
    // 2 tasks × 2 vCPU × 730 h = 2920 vCPU-h × $0.04048 = $118.2016
    expect(monthly('enterprise-co', 'Fargate vCPU (2 × 2 vCPU)').monthly).to.equal('118.2016')
    // 2 × 4 GB × 730 h = 5840 GB-h × $0.004445 = $25.9588
    expect(monthly('enterprise-co', 'Fargate memory (2 × 4 GB)').monthly).to.equal('25.9588')
    // db.m7g.xlarge Multi-AZ 730 × $0.672 = $490.56; 200 GB × $0.23 = $46.00
    expect(monthly('enterprise-co', 'instance hours (db.m7g.xlarge, Multi-AZ)').monthly).to.equal('490.56')
    expect(monthly('enterprise-co', 'gp3 storage (Multi-AZ)').monthly).to.equal('46.00')
    // readReplicas 2: 2 × 730 × $0.336 = $490.56; their storage 2 × 200 GB × $0.115 = $46.00
    expect(monthly('enterprise-co', 'read replica hours (db.m7g.xlarge)')).to.deep.equal({count: 2, monthly: '490.56'})
    expect(monthly('enterprise-co', 'gp3 storage')).to.deep.equal({count: 2, monthly: '46.00'})
    // 3 nodes cache.m7g.large: 2190 × $0.158 = $346.02
    expect(monthly('enterprise-co', 'node hours (3 × cache.m7g.large)').monthly).to.equal('346.02')
  })

  it('totals every line exactly', () => {
    for (const estimate of estimates.values())
      expect(estimate.monthly).to.equal(sum(estimate.components.map((line) => decimal(line.monthly))).toFixed())
  })

  it('re-synthesizes a stack older than its manifest: a tier change shows in the next estimate', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20)) // a later modification time than the stack's
    const update = await runCli(['clients', 'update', 'bronze-co', '--tier', 'silver', '--json'], {
      cwd: workspace.root,
    })
    expect(update.exitCode, update.stderr).to.equal(0)
    const result = await runCli(['cost', 'estimate', 'bronze-co', '--json'], {cwd: workspace.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    const [estimate] = parseJson<CostEstimateResult>(result).clients
    expect(estimate).to.include({budget: '1000.00', tier: 'silver'})
    // Silver has 2 NAT gateways: 1460 h × $0.045 = $65.70
    expect(estimate!.components.find((line) => line.component === 'NAT gateway hours')?.monthly).to.equal('65.70')
  })

  it('--tier: what a new client would cost, synthesized without touching cdktf.out', async () => {
    const fresh = await makeWorkspace()
    const result = await runCli(['cost', 'estimate', '--tier', 'bronze', '--json'], {cwd: fresh.root})
    expect(result.exitCode, result.stderr).to.equal(0)
    const [estimate] = parseJson<CostEstimateResult>(result).clients
    expect(estimate).to.deep.include({hypothetical: true, id: 'new-bronze', region: 'us-east-1', tier: 'bronze'})
    // the same tier sizes as an onboarded Bronze client: 1 NAT gateway, db.t4g.small
    expect(estimate!.components.find((line) => line.component === 'NAT gateway hours')?.monthly).to.equal('32.85')
    // every integration that holds credentials gets a secret
    expect(estimate!.notes.join(' ')).to.contain('elevenlabs, twilio, mls')
    const missing = await access(join(fresh.root, 'cdktf.out')).then(
      () => false,
      () => true,
    )
    expect(missing).to.equal(true)
    const eu = await runCli(['cost', 'estimate', '--tier', 'gold', '--region', 'eu-west-1', '--json'], {
      cwd: fresh.root,
    })
    expect(eu.exitCode, eu.stderr).to.equal(0)
    const [euEstimate] = parseJson<CostEstimateResult>(eu).clients
    expect(euEstimate).to.include({region: 'eu-west-1'})
    expect(euEstimate!.unconfirmedLines).to.be.greaterThan(0)
  })
})
