import {readdir} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {monthPeriod} from '../../src/cost/cost-explorer.ts'
import {monthlyCostReport, type MonthlyReportOptions} from '../../src/cost/monthly-report.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {getCostAndUsage, type CostExplorerScript} from '../helpers/aws/cost-explorer.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {startJsonService, type LoopbackService} from '../helpers/aws/protocol.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const AUGUST = {
  groups: [
    {amount: '812.405', key: '222222222222', name: 'acme'},
    {amount: '2000.000000001', key: '333333333333', name: 'beta'},
    {amount: '45.10', key: '111111111111'},
    {amount: '0.1', key: '444444444444', name: 'sandbox'},
    {amount: '0.2', key: '555555555555'},
  ],
  pageSize: 2,
}

describe('cost report: Cost Explorer mapped to clients', () => {
  let workspace: Workspace
  let server: LoopbackService | undefined
  const savedEnv: NodeJS.ProcessEnv = {}

  before(async () => {
    for (const [key, value] of Object.entries(FAKE_AWS_ENV)) {
      savedEnv[key] = process.env[key]
      process.env[key] = value
    }
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {accountId: '222222222222', tier: 'silver'}),
        draftClient('beta', {accountId: '333333333333', tier: 'gold'}),
        draftClient('gamma', {tier: 'bronze'}),
      ],
    })
  })

  after(() => {
    for (const [key, value] of Object.entries(savedEnv))
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
  })

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  async function serve(script: CostExplorerScript) {
    server = await startJsonService({GetCostAndUsage: getCostAndUsage(script)})
    return server
  }

  function options(overrides: Partial<MonthlyReportOptions> = {}): MonthlyReportOptions {
    return {
      endpointUrl: server!.url,
      groupBy: 'account',
      ids: [],
      maxAttempts: 2,
      metric: 'UnblendedCost',
      month: '2026-08',
      now: new Date('2026-09-15T10:00:00Z'),
      refresh: true,
      ...overrides,
    }
  }

  it('follows every page, sums exactly and maps accounts to clients, budgets and the unallocated', async () => {
    const service = await serve(AUGUST)
    const report = await monthlyCostReport(workspace, options())
    // 5 groups in pages of 2: 3 pages, one billed request each
    expect(report.requests).to.equal(3)
    expect(service.calls).to.have.length(3)
    expect(service.calls.map((call) => call.body.NextPageToken)).to.deep.equal([undefined, 'page-2', 'page-4'])
    expect(service.calls[0]!.headers['x-amz-target']).to.equal('AWSInsightsIndexService.GetCostAndUsage')
    expect(String(service.calls[0]!.headers.authorization)).to.contain('/us-east-1/ce/aws4_request')
    expect(service.calls[0]!.body).to.deep.include({
      Granularity: 'MONTHLY',
      GroupBy: [{Key: 'LINKED_ACCOUNT', Type: 'DIMENSION'}],
      Metrics: ['UnblendedCost'],
      TimePeriod: {End: '2026-09-01', Start: '2026-08-01'},
    })
    expect(report.clients).to.deep.equal([
      {
        accountId: '333333333333',
        amount: '2000.000000001',
        budget: '2000.00',
        estimated: false,
        id: 'beta',
        name: 'beta Realty',
        overBudget: true,
        tier: 'gold',
      },
      {
        accountId: '222222222222',
        amount: '812.405',
        budget: '1000.00',
        estimated: false,
        id: 'acme',
        name: 'acme Realty',
        overBudget: false,
        tier: 'silver',
      },
      {
        accountId: null,
        amount: '0.00',
        budget: '450.00',
        estimated: false,
        id: 'gamma',
        name: 'gamma Realty',
        overBudget: false,
        tier: 'bronze',
      },
    ])
    expect(report.unallocated).to.deep.equal([
      {accountId: '111111111111', amount: '45.10', name: 'management account'},
      {accountId: '555555555555', amount: '0.20'},
      {accountId: '444444444444', amount: '0.10', name: 'sandbox'},
    ])
    // 2000.000000001 + 812.405 + 0 + 45.10 + 0.2 + 0.1 = 2857.805000001 (floats would drift)
    expect(report.total).to.equal('2857.805000001')
    expect(report).to.include({cached: false, currency: 'USD', estimated: false, month: '2026-08'})
  })

  it('keeps a final month in .seiketsu/cache and answers it again with 0 requests; --refresh asks again', async () => {
    const service = await serve(AUGUST)
    const first = await monthlyCostReport(workspace, options({refresh: false, month: '2026-07'}))
    expect(first.requests).to.equal(3)
    const cacheDir = join(workspacePaths(workspace.root).cache, 'cost-explorer')
    expect(await readdir(cacheDir)).to.include('2026-07.UnblendedCost.account.json')
    const second = await monthlyCostReport(workspace, options({refresh: false, month: '2026-07'}))
    expect(second).to.include({cached: true, requests: 0, total: first.total})
    expect(second.clients).to.deep.equal(first.clients)
    expect(service.calls).to.have.length(3)
    const refreshed = await monthlyCostReport(workspace, options({refresh: true, month: '2026-07'}))
    expect(refreshed).to.include({cached: false, requests: 3})
    expect(service.calls).to.have.length(6)
  })

  it('marks a month that is not final as estimated and never caches it', async () => {
    const service = await serve({...AUGUST, estimated: true})
    const running = {month: '2026-09', refresh: false}
    const report = await monthlyCostReport(workspace, options(running))
    expect(report.estimated).to.equal(true)
    expect(report.clients.every((client) => client.estimated)).to.equal(true)
    // the running month ends today + 1 (End is exclusive)
    expect(service.calls[0]!.body.TimePeriod).to.deep.equal({End: '2026-09-16', Start: '2026-09-01'})
    await monthlyCostReport(workspace, options(running))
    expect(service.calls).to.have.length(6)
    // a past month Cost Explorer still calls Estimated is not cached either
    await monthlyCostReport(workspace, options({month: '2026-06', refresh: false}))
    await monthlyCostReport(workspace, options({month: '2026-06', refresh: false}))
    expect(service.calls).to.have.length(12)
  })

  it('retries a throttled page within --max-attempts and counts every attempt as a request', async () => {
    const service = await serve({...AUGUST, errors: {2: {message: 'Rate exceeded', type: 'LimitExceededException'}}})
    const report = await monthlyCostReport(workspace, options())
    expect(report.requests).to.equal(4) // 3 pages + 1 retry of page 2
    expect(service.calls).to.have.length(4)
    expect(report.total).to.equal('2857.805000001')
  })

  it('stops after --max-attempts when throttling persists: exit 4 with the service message and the requests made', async () => {
    const service = await serve({...AUGUST, alwaysError: {message: 'Rate exceeded', type: 'LimitExceededException'}})
    const error = await monthlyCostReport(workspace, options({maxAttempts: 2})).then(
      () => undefined,
      (caught: unknown) => caught as {exitCode: number; message: string; details: {requests: number}},
    )
    expect(error?.exitCode).to.equal(4)
    expect(error?.message).to.contain('LimitExceededException: Rate exceeded')
    expect(error?.details.requests).to.equal(2)
    expect(service.calls).to.have.length(2)
  })

  it('reports DataUnavailableException as an AWS failure (exit 4) without retrying it', async () => {
    const service = await serve({
      ...AUGUST,
      alwaysError: {
        message: 'Data is not available. Please try to adjust the time period.',
        type: 'DataUnavailableException',
      },
    })
    const error = await monthlyCostReport(workspace, options({maxAttempts: 3})).then(
      () => undefined,
      (caught: unknown) => caught as {exitCode: number; message: string; suggestions: string[]},
    )
    expect(error?.exitCode).to.equal(4)
    expect(error?.message).to.contain('DataUnavailableException: Data is not available')
    expect(error?.suggestions.join(' ')).to.contain('24 hours')
    expect(service.calls).to.have.length(1)
  })

  it('groups by the seiketsu:client tag, with untagged and unknown tag values unallocated', async () => {
    const service = await serve({
      groups: [
        {amount: '10.50', key: 'acme'},
        {amount: '99.99', key: 'beta'},
        {amount: '3.333', key: ''},
        {amount: '1', key: 'old-client'},
      ],
      pageSize: 3,
    })
    const report = await monthlyCostReport(workspace, options({groupBy: 'tag'}))
    expect(service.calls[0]!.body.GroupBy).to.deep.equal([{Key: 'seiketsu:client', Type: 'TAG'}])
    expect(report.clients.map((client) => [client.id, client.amount])).to.deep.equal([
      ['beta', '99.99'],
      ['acme', '10.50'],
      ['gamma', '0.00'],
    ])
    expect(report.unallocated).to.deep.equal([
      {amount: '3.333', tag: ''},
      {amount: '1.00', tag: 'old-client'},
    ])
    expect(report.total).to.equal('114.823')
    expect(report.requests).to.equal(2)
  })

  it('lists only the named clients, and rejects an unknown one before any paid request', async () => {
    const service = await serve(AUGUST)
    const report = await monthlyCostReport(workspace, options({ids: ['acme']}))
    expect(report.clients.map((client) => client.id)).to.deep.equal(['acme'])
    expect(report.unallocated).to.deep.equal([])
    expect(report.total).to.equal('812.405')
    const calls = service.calls.length
    const error = await monthlyCostReport(workspace, options({ids: ['acme', 'nope']})).then(
      () => undefined,
      (caught: unknown) => caught as {exitCode: number},
    )
    expect(error?.exitCode).to.equal(2)
    expect(service.calls).to.have.length(calls)
  })

  it('computes the Cost Explorer time period of a month (End exclusive) and refuses a future month', () => {
    const now = new Date('2026-12-31T23:00:00Z')
    expect(monthPeriod('2026-12', now)).to.deep.equal({End: '2027-01-01', Start: '2026-12-01'})
    expect(monthPeriod('2026-02', now)).to.deep.equal({End: '2026-03-01', Start: '2026-02-01'})
    expect(() => monthPeriod('2027-01', now)).to.throw('has not started yet')
    expect(() => monthPeriod('2026-13', now)).to.throw('expected YYYY-MM')
  })
})
