import {expect} from 'chai'

import {
  activateCostAllocationTags,
  tagActivationExitCode,
  UPDATE_BATCH_LIMIT,
} from '../../src/cost/cost-allocation-tags.ts'
import {SeiketsuError} from '../../src/errors.ts'
import {FakeCostAllocationTags} from '../helpers/aws/cost-explorer.ts'
import {useFakeAwsEnvironment} from '../helpers/aws/env.ts'
import {startJsonService, type LoopbackService} from '../helpers/aws/protocol.ts'

describe('activateCostAllocationTags against a loopback Cost Explorer', () => {
  let billing: FakeCostAllocationTags
  let server: LoopbackService
  let restoreEnv: () => void

  beforeEach(async () => {
    restoreEnv = useFakeAwsEnvironment()
    billing = new FakeCostAllocationTags()
    server = await startJsonService(billing.handlers())
  })

  afterEach(async () => {
    await server.close()
    restoreEnv()
  })

  const activate = (keys: string[], dryRun = false) =>
    activateCostAllocationTags(keys, {dryRun, endpointUrl: server.url, maxAttempts: 1})
  const callsOf = (operation: string) => server.calls.filter((call) => call.operation === operation)

  it('follows NextToken through every page and bills each one', async () => {
    billing.pageSize = 1
    for (const key of ['a', 'b', 'c']) billing.learn(key, 'Active')
    const result = await activate(['a', 'b', 'c'])
    expect(result.keys.map((key) => key.status)).to.deep.equal(['already-active', 'already-active', 'already-active'])
    expect(callsOf('ListCostAllocationTags').map((call) => call.body.NextToken)).to.deep.equal([
      undefined,
      'tags-1',
      'tags-2',
    ])
    expect(result.requests).to.equal(3)
    expect(callsOf('UpdateCostAllocationTagsStatus')).to.have.length(0)
  })

  it(`activates at most ${UPDATE_BATCH_LIMIT} keys per UpdateCostAllocationTagsStatus`, async () => {
    const keys = Array.from({length: 45}, (_, index) => `team:${index}`)
    for (const key of keys) billing.learn(key)
    const result = await activate(keys)
    expect(result.counts.activated).to.equal(45)
    expect(
      callsOf('UpdateCostAllocationTagsStatus').map((call) => (call.body.CostAllocationTagsStatus as []).length),
    ).to.deep.equal([20, 20, 5])
    expect(billing.tags.every((tag) => tag.status === 'Active')).to.equal(true)
    expect(result.requests).to.equal(1 + 3)
  })

  it("a key listed as inactive that the update does not find is 'not known yet', with the API's reason", async () => {
    billing.learn('seiketsu:client')
    // Billing forgets it between the list and the update.
    const handlers = billing.handlers()
    await server.close()
    server = await startJsonService({
      ...handlers,
      UpdateCostAllocationTagsStatus: (body, call) => {
        billing.tags.splice(0)
        return handlers.UpdateCostAllocationTagsStatus!(body, call)
      },
    })
    const result = await activate(['seiketsu:client'])
    expect(result.keys[0]).to.deep.include({
      reason: {code: 'TagKeysNotFoundException', message: 'Failed to update Cost Allocation Tag: seiketsu:client'},
      status: 'not-known-yet',
    })
    expect(tagActivationExitCode(result)).to.equal(0)
    expect(result.complete).to.equal(false)
  })

  it('the exit code: 4 when a key failed; a key not known yet is incomplete, not a failure', async () => {
    billing.learn('a')
    billing.learn('b')
    billing.keyErrors.set('b', {code: 'InternalError', message: 'try again'})
    expect(tagActivationExitCode(await activate(['a', 'b', 'unknown']))).to.equal(4)
    const early = await activate(['a', 'unknown'])
    expect([tagActivationExitCode(early), early.complete]).to.deep.equal([0, false])
    const done = await activate(['a'])
    expect([tagActivationExitCode(done), done.complete]).to.deep.equal([0, true])
  })

  it('a NextToken that repeats stops the loop (exit 4) instead of billing forever', async () => {
    await server.close()
    server = await startJsonService({
      ListCostAllocationTags: () => ({body: {CostAllocationTags: [], NextToken: 'same'}}),
    })
    const error = await activate(['a']).then(
      () => expect.fail('should have failed'),
      (caught: unknown) => caught,
    )
    expect(error).to.be.instanceOf(SeiketsuError)
    expect((error as SeiketsuError).exitCode).to.equal(4)
    expect((error as SeiketsuError).code).to.equal('AWS_PAGINATION')
    expect(server.calls).to.have.length(2)
  })
})
