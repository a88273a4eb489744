import {expect} from 'chai'

import type {CostActivateTagsResult} from '../../src/commands/cost/activate-tags.ts'
import {FakeCostAllocationTags} from '../helpers/aws/cost-explorer.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {startJsonService, type LoopbackService} from '../helpers/aws/protocol.ts'
import {parseJson, runCli} from '../helpers/cli.ts'

const KEYS = ['seiketsu:client', 'seiketsu:tier', 'seiketsu:managed-by']

describe('seiketsu cost activate-tags', () => {
  let billing: FakeCostAllocationTags
  let server: LoopbackService

  beforeEach(async () => {
    billing = new FakeCostAllocationTags()
    server = await startJsonService(billing.handlers())
  })

  afterEach(() => server.close())

  const env = {...FAKE_AWS_ENV, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent'}
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runCli(['cost', 'activate-tags', '--endpoint-url', server.url, ...args], {env: {...env, ...extraEnv}})
  const statuses = (result: CostActivateTagsResult) =>
    Object.fromEntries(result.keys.map((key) => [key.key, key.status]))
  const updates = () => server.calls.filter((call) => call.operation === 'UpdateCostAllocationTagsStatus')

  it('activates the inactive keys, leaves active ones alone, and warns (exit 0, complete: false) while Billing does not know a key yet', async () => {
    billing.learn('seiketsu:client')
    billing.learn('seiketsu:tier', 'Active')
    const result = await cli(['--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const report = parseJson<CostActivateTagsResult>(result)
    expect(statuses(report)).to.deep.equal({
      'seiketsu:client': 'activated',
      'seiketsu:managed-by': 'not-known-yet',
      'seiketsu:tier': 'already-active',
    })
    expect(report).to.deep.include({
      changed: true,
      complete: false,
      dryRun: false,
      notKnownYet: ['seiketsu:managed-by'],
      requests: 2,
      requestsCostUsd: '0.02',
    })
    // One list of exactly seiketsu's user-defined keys, one update of only the inactive one.
    const [list] = server.calls.filter((call) => call.operation === 'ListCostAllocationTags')
    expect(list!.body).to.deep.equal({TagKeys: KEYS, Type: 'UserDefined'})
    expect(String(list!.headers['x-amz-target'])).to.equal('AWSInsightsIndexService.ListCostAllocationTags')
    expect(updates().map((call) => call.body)).to.deep.equal([
      {CostAllocationTagsStatus: [{Status: 'Active', TagKey: 'seiketsu:client'}]},
    ])
    expect(billing.tag('seiketsu:client')!.status).to.equal('Active')

    // For people: each key, why one is missing, what to run later, what it cost.
    const human = await cli([])
    expect(human.exitCode, human.stderr).to.equal(0)
    expect(human.errorText).to.contain('Not known to Billing yet: seiketsu:managed-by')
    expect(human.stdout).to.match(/seiketsu:managed-by\s+not known to Billing yet/)
    expect(human.stdout).to.contain('up to 24 hours after the first resource carrying it exists')
    expect(human.stdout).to.contain('Run `seiketsu cost activate-tags` again tomorrow')
    expect(human.stdout).to.contain('Cost Explorer requests: 1 (billed $0.01 each: $0.01)')
  })

  it('a day later activates the rest (exit 0); once all are active a run changes nothing and says so', async () => {
    for (const key of KEYS) billing.learn(key)
    const first = await cli(['--json'])
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(Object.values(statuses(parseJson<CostActivateTagsResult>(first)))).to.deep.equal([
      'activated',
      'activated',
      'activated',
    ])
    expect(updates()).to.have.length(1)

    const again = await cli(['--json'])
    expect(again.exitCode, again.stderr).to.equal(0)
    const report = parseJson<CostActivateTagsResult>(again)
    expect(report).to.deep.include({changed: false, complete: true, requests: 1})
    expect(Object.values(statuses(report))).to.deep.equal(['already-active', 'already-active', 'already-active'])
    expect(updates()).to.have.length(1)
    const human = await cli([])
    expect(human.exitCode, human.stderr).to.equal(0)
    expect(human.stdout).to.contain('Nothing changed: all 3 keys already active.')
  })

  it('--dry-run lists what would change and changes nothing', async () => {
    billing.learn('seiketsu:client')
    billing.learn('seiketsu:tier')
    billing.learn('seiketsu:managed-by', 'Active')
    const result = await cli(['--dry-run', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const report = parseJson<CostActivateTagsResult>(result)
    expect(statuses(report)).to.deep.equal({
      'seiketsu:client': 'would-activate',
      'seiketsu:managed-by': 'already-active',
      'seiketsu:tier': 'would-activate',
    })
    expect(report).to.deep.include({changed: false, dryRun: true, requests: 1})
    expect(updates()).to.have.length(0)
    expect(billing.tag('seiketsu:client')!.status).to.equal('Inactive')
  })

  it('a key AWS refuses is failed with the API reason, in the result document, exit 4', async () => {
    for (const key of KEYS) billing.learn(key)
    billing.keyErrors.set('seiketsu:tier', {code: 'InternalError', message: 'Failed to update Cost Allocation Tag'})
    const result = await cli(['--json'])
    expect(result.exitCode).to.equal(4)
    const report = parseJson<CostActivateTagsResult>(result)
    expect(report.keys.find((key) => key.key === 'seiketsu:tier')).to.deep.include({
      reason: {code: 'InternalError', message: 'Failed to update Cost Allocation Tag'},
      status: 'failed',
    })
    expect(report.counts).to.deep.include({activated: 2, failed: 1})
  })

  it('throttling is retried within --max-attempts, each attempt counted; past them exit 4 with the requests made', async () => {
    for (const key of KEYS) billing.learn(key, 'Active')
    billing.throttle(1)
    const retried = await cli(['--json'])
    expect(retried.exitCode, retried.stderr).to.equal(0)
    expect(parseJson<CostActivateTagsResult>(retried).requests).to.equal(2)

    billing.throttle(2)
    const calls = server.calls.length
    const failed = await cli(['--json', '--max-attempts', '2'])
    expect(failed.exitCode).to.equal(4)
    const {error} = parseJson<{error: {code: string; message: string; details: {requests: number}}}>(failed)
    expect(error.code).to.equal('AWS_ERROR')
    expect(error.message).to.contain('LimitExceededException').and.contain('after 2 billed requests')
    expect(error.details.requests).to.equal(2)
    expect(server.calls.length - calls).to.equal(2)
  })

  it('a linked account is refused (exit 4 naming the permissions); AWS_ENDPOINT_URL_COST_EXPLORER and an unreachable endpoint', async () => {
    const denied = await startJsonService({
      ListCostAllocationTags: () => ({
        body: {
          __type: 'AccessDeniedException',
          Message: "Failed to list Cost Allocation Tags: Linked account doesn't have access to cost allocation tags.",
        },
        status: 400,
      }),
    })
    try {
      const result = await runCli(['cost', 'activate-tags', '--json'], {
        env: {...env, AWS_ENDPOINT_URL_COST_EXPLORER: denied.url},
      })
      expect(result.exitCode).to.equal(4)
      const {error} = parseJson<{error: {message: string; suggestions: string[]}}>(result)
      expect(error.message).to.contain("Linked account doesn't have access to cost allocation tags")
      expect(error.suggestions[0]).to.contain('ce:ListCostAllocationTags and ce:UpdateCostAllocationTagsStatus')
      expect(denied.calls).to.have.length(1)
    } finally {
      await denied.close()
    }
    const unreachable = await runCli(['cost', 'activate-tags', '--endpoint-url', 'http://127.0.0.1:9', '--json'], {
      env,
    })
    expect(unreachable.exitCode).to.equal(4)
    const failure = parseJson<{error: {message: string; details: {requests: number}}}>(unreachable).error
    expect(failure.message).to.contain('Cost Explorer is unreachable at http://127.0.0.1:9')
    expect(failure.details.requests).to.equal(0)
  })
})
