import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {estimateStack, type StackEstimate} from '../../src/cost/estimate.ts'
import {amountText, decimal} from '../../src/cost/money.ts'
import {loadPriceTable, loadUsage, type PriceTable, type UsageAssumptions} from '../../src/cost/prices.ts'
import type {TerraformJson} from '../../src/configuration/model.ts'
import {loadTiers} from '../../src/tiers/tiers.ts'
import {fixturesDir} from '../helpers/cli.ts'

async function fixture(name: string): Promise<TerraformJson> {
  return JSON.parse(await readFile(join(fixturesDir, 'cost', name), 'utf8')) as TerraformJson
}

function usage(values: Record<keyof UsageAssumptions, string>): UsageAssumptions {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, decimal(value)]),
  ) as unknown as UsageAssumptions
}

function line(estimate: StackEstimate, component: string, region = estimate.region) {
  const found = estimate.components.find((entry) => entry.component === component && entry.region === region)
  if (!found) throw new Error(`no line '${component}' in ${region}: ${estimate.components.map((c) => c.component)}`)
  return {count: found.count, monthly: amountText(found.monthly), quantity: found.quantity.toFixed()}
}

describe('cost estimate: pricing a stack', () => {
  let usEast1: PriceTable

  before(async () => {
    usEast1 = await loadPriceTable(undefined, 'us-east-1')
  })

  it('prices every component of a Silver-sized stack exactly (checked by hand)', async () => {
    const estimate = estimateStack(await fixture('silver-stack.tf.json'), {
      prices: {'us-east-1': usEast1},
      usage: usage({
        albLcu: '1',
        logIngestedGb: '10',
        logNeverExpireMonths: '12',
        natGatewayDataGb: '50',
        s3StoredGbPerBucket: '50',
      }),
    })
    expect(estimate.region).to.equal('us-east-1')
    // 2 NAT gateways × 730 h = 1460 h × $0.045 = $65.70
    expect(line(estimate, 'NAT gateway hours')).to.deep.equal({count: 2, monthly: '65.70', quantity: '1460'})
    // 50 GB × $0.045 = $2.25
    expect(line(estimate, 'NAT data processed (usage)')).to.deep.equal({count: 2, monthly: '2.25', quantity: '50'})
    // 730 h × $0.0225 = $16.425; 1 LCU × 730 h × $0.008 = $5.84
    expect(line(estimate, 'load balancer hours').monthly).to.equal('16.425')
    expect(line(estimate, 'load balancer capacity units (usage)').monthly).to.equal('5.84')
    // max(desired 1, scaling minimum 1) = 1 task × 1 vCPU (1024 units) × 730 h = 730 × $0.04048 = $29.5504
    expect(line(estimate, 'Fargate vCPU (1 × 1 vCPU)')).to.deep.equal({count: 1, monthly: '29.5504', quantity: '730'})
    // 1 task × 2 GB (2048 MiB) × 730 h = 1460 GB-h × $0.004445 = $6.4897
    expect(line(estimate, 'Fargate memory (1 × 2 GB)')).to.deep.equal({count: 1, monthly: '6.4897', quantity: '1460'})
    // db.t4g.medium Multi-AZ: 730 h × $0.130 = $94.90; 50 GB gp3 Multi-AZ × $0.23 = $11.50
    expect(line(estimate, 'instance hours (db.t4g.medium, Multi-AZ)').monthly).to.equal('94.90')
    expect(line(estimate, 'gp3 storage (Multi-AZ)').monthly).to.equal('11.50')
    // 2 nodes × 730 h = 1460 × $0.032 = $46.72
    expect(line(estimate, 'node hours (2 × cache.t4g.small)').monthly).to.equal('46.72')
    // One key in us-east-1 and one in the DR region (no us-west-2 table: priced at us-east-1's $1.00)
    expect(line(estimate, 'customer-managed keys').monthly).to.equal('1.00')
    expect(line(estimate, 'customer-managed keys', 'us-west-2').monthly).to.equal('1.00')
    expect(estimate.notes).to.include('no price table for us-west-2: its resources are priced at us-east-1 prices')
    // 3 secrets × $0.40 = $1.20
    expect(line(estimate, 'secrets')).to.deep.equal({count: 3, monthly: '1.20', quantity: '3'})
    // 10 GB × $0.50 = $5.00; storage: each group keeps 365 × 24 / 730 = 12 months of its 5 GB share:
    // (5 × 12) + (5 × 12) = 120 GB-month × $0.03 = $3.60
    expect(line(estimate, 'ingestion (usage)').monthly).to.equal('5.00')
    expect(line(estimate, 'storage at retention (usage)')).to.deep.equal({count: 2, monthly: '3.60', quantity: '120'})
    // 2 buckets × 50 GB × $0.023 = $2.30 here, the replica's 50 GB × $0.023 = $1.15 in the DR region
    expect(line(estimate, 'Standard storage (usage)').monthly).to.equal('2.30')
    expect(line(estimate, 'Standard storage (usage)', 'us-west-2').monthly).to.equal('1.15')
    // 65.70 + 2.25 + 16.425 + 5.84 + 29.5504 + 6.4897 + 94.90 + 11.50 + 46.72 + 1.00 + 1.00 + 1.20
    //   + 5.00 + 3.60 + 2.30 + 1.15 = 294.6251
    expect(amountText(estimate.monthly)).to.equal('294.6251')
    expect(estimate.components).to.have.length(16)
  })

  it('follows scaling minimums, ARM64 tasks, read replicas, cluster-mode caches and log retention', async () => {
    const estimate = estimateStack(await fixture('gold-stack.tf.json'), {
      prices: {'us-east-1': usEast1},
      usage: usage({
        albLcu: '2',
        logIngestedGb: '25',
        logNeverExpireMonths: '12',
        natGatewayDataGb: '150',
        s3StoredGbPerBucket: '150',
      }),
    })
    // count = 3: 3 × 730 h = 2190 h × $0.045 = $98.55; 150 GB × $0.045 = $6.75
    expect(line(estimate, 'NAT gateway hours')).to.deep.equal({count: 3, monthly: '98.55', quantity: '2190'})
    expect(line(estimate, 'NAT data processed (usage)').monthly).to.equal('6.75')
    // their 3 Elastic IPs: 3 × 730 h = 2190 IP-hours × $0.005 = $10.95
    expect(line(estimate, 'public IPv4 address hours')).to.deep.equal({count: 3, monthly: '10.95', quantity: '2190'})
    // load_balancer_type defaults to application: 730 × $0.0225 = $16.425; 2 LCU × 730 × $0.008 = $11.68
    expect(line(estimate, 'load balancer hours').monthly).to.equal('16.425')
    expect(line(estimate, 'load balancer capacity units (usage)').monthly).to.equal('11.68')
    // desired 1 but scaling minimum 2: 2 × 1 vCPU × 730 h = 1460 × $0.03238 (ARM) = $47.2748
    expect(line(estimate, 'Fargate vCPU (2 × 1 vCPU)').monthly).to.equal('47.2748')
    // 2 × 2 GB × 730 h = 2920 × $0.00356 = $10.3952
    expect(line(estimate, 'Fargate memory (2 × 2 GB)').monthly).to.equal('10.3952')
    // primary Multi-AZ: 730 × $0.336 = $245.28; 100 GB × $0.23 = $23.00
    expect(line(estimate, 'instance hours (db.m7g.large, Multi-AZ)').monthly).to.equal('245.28')
    expect(line(estimate, 'gp3 storage (Multi-AZ)').monthly).to.equal('23.00')
    // replica Single-AZ: 730 × $0.168 = $122.64; storage inherited from its source: 100 GB × $0.115 = $11.50
    expect(line(estimate, 'read replica hours (db.m7g.large)').monthly).to.equal('122.64')
    expect(line(estimate, 'gp3 storage').monthly).to.equal('11.50')
    // 1 shard × (1 replica + 1 primary) = 2 nodes × 730 h = 1460 × $0.065 = $94.90
    expect(line(estimate, 'node hours (2 × cache.t4g.medium)').monthly).to.equal('94.90')
    // 25 GB × $0.50 = $12.50. Storage: 12.5 GB per group; 731 days = 731 × 24 / 730 = 24.0328767… months,
    // the group without retention keeps 12 months: 25 × (24.0328767… + 12) / 2 = 450.41095… → 450.411 GB-month
    // × $0.03 = $13.51233
    expect(line(estimate, 'storage at retention (usage)')).to.deep.equal({
      count: 2,
      monthly: '13.51233',
      quantity: '450.411',
    })
    // 98.55 + 6.75 + 10.95 + 16.425 + 11.68 + 47.2748 + 10.3952 + 245.28 + 23.00 + 122.64 + 11.50 + 94.90
    //   + 1.00 + 12.50 + 13.51233 = 726.35733
    expect(amountText(estimate.monthly)).to.equal('726.35733')
  })

  it('fails with exit 2 naming the price file and the missing entry', async () => {
    const stack = await fixture('gold-stack.tf.json')
    stack.resource!.aws_db_instance!.db!.instance_class = 'db.r7g.large'
    const run = () =>
      estimateStack(stack, {
        prices: {'us-east-1': usEast1},
        usage: usage({
          albLcu: '1',
          logIngestedGb: '1',
          logNeverExpireMonths: '1',
          natGatewayDataGb: '1',
          s3StoredGbPerBucket: '1',
        }),
      })
    expect(run).to.throw('templates/prices/us-east-1.yaml has no price for rds.postgres.instanceHour.db.r7g.large')
    try {
      run()
    } catch (error) {
      expect((error as {exitCode: number}).exitCode).to.equal(2)
    }
  })

  it('names the missing price file of an unknown region (exit 2)', async () => {
    const error = await loadPriceTable(undefined, 'ap-south-2').then(
      () => undefined,
      (caught: unknown) => caught as {exitCode: number; message: string},
    )
    expect(error?.exitCode).to.equal(2)
    expect(error?.message).to.contain('templates/prices/ap-south-2.yaml')
  })

  it('ships a price for every size of every shipped tier, in every shipped region', async () => {
    const tiers = await loadTiers()
    const catalog = await loadUsage(undefined)
    for (const region of ['us-east-1', 'eu-west-1']) {
      const table = await loadPriceTable(undefined, region)
      for (const tier of Object.values(tiers)) {
        expect(table.data.rds.postgres.instanceHour, `${region} ${tier.name}`).to.have.property(
          tier.database.instanceClass,
        )
        expect(table.data.elasticache.redis!.nodeHour, `${region} ${tier.name}`).to.have.property(tier.cache.nodeType)
        expect(catalog.forTier(tier.name).natGatewayDataGb.gt(0)).to.equal(true)
      }
    }
  })

  it('marks every eu-west-1 price unconfirmed, since none was read from a source', async () => {
    const table = await loadPriceTable(undefined, 'eu-west-1')
    const bases: string[] = []
    const walk = (node: unknown) => {
      if (!node || typeof node !== 'object') return
      const record = node as Record<string, unknown>
      if (typeof record.basis === 'string') bases.push(record.basis)
      else for (const value of Object.values(record)) walk(value)
    }
    walk(table.data)
    expect(bases.length).to.be.greaterThan(20)
    expect(new Set(bases)).to.deep.equal(new Set(['unconfirmed']))
  })
})
