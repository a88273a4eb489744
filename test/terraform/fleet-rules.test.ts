import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {guardDestructive, parseAllowDestroy} from '../../src/terraform/destroy-guard.ts'
import {planExitCode, provisionExitCode, type PlanStatus} from '../../src/terraform/exit-codes.ts'
import type {ResourceChange} from '../../src/terraform/plan-summary.ts'
import {parseShard, selectShard} from '../../src/terraform/shard.ts'

function usageFailure(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    expect(isSeiketsuError(error) && error.exitCode).to.equal(2)
    return (error as Error).message
  }
  return expect.fail('expected exit 2')
}

describe('--shard K/N', () => {
  const ids = Array.from({length: 23}, (_, index) => ({id: `client-${String(index).padStart(2, '0')}`}))

  it('puts every client in exactly one shard, with shard sizes differing by at most one', () => {
    for (let count = 1; count <= 8; count++) {
      const shards = Array.from({length: count}, (_, index) => selectShard(ids, {count, index: index + 1}))
      const all = shards.flat().map((item) => item.id)
      expect(all).to.have.length(ids.length)
      expect(new Set(all).size).to.equal(ids.length)
      const sizes = shards.map((shard) => shard.length)
      expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1)
    }
  })

  it('depends only on the set of ids, not the order they were given in', () => {
    const shuffled = [...ids].reverse()
    expect(selectShard(shuffled, {count: 3, index: 2})).to.deep.equal(selectShard(ids, {count: 3, index: 2}))
  })

  it('parses K/N and refuses anything else with exit 2', () => {
    expect(parseShard('2/4')).to.deep.equal({count: 4, index: 2})
    expect(parseShard('1/1')).to.deep.equal({count: 1, index: 1})
    for (const bad of ['0/4', '5/4', '4', '1/0', 'a/b', '-1/2', '1/2/3'])
      expect(usageFailure(() => parseShard(bad))).to.contain(`shard ${bad}: expected K/N`)
  })
})

describe('exit codes', () => {
  const result = (status: PlanStatus, hasChanges = status === 'planned') => ({hasChanges, status})

  it('plan: 0 when every stack planned (changes or not), 4 when terraform failed for any, 130 interrupted', () => {
    expect(planExitCode([result('planned'), result('no-changes')])).to.equal(0)
    expect(planExitCode([result('planned'), result('failed')])).to.equal(4)
    expect(planExitCode([result('failed'), result('interrupted')])).to.equal(130)
    expect(planExitCode([result('planned')], {interrupted: true})).to.equal(130)
  })

  it('plan: 1 when the only failures are stacks another seiketsu run held; a terraform failure still 4', () => {
    const busy = {...result('failed'), step: 'lock'}
    expect(planExitCode([result('planned'), busy])).to.equal(1)
    expect(planExitCode([busy, {...result('failed'), step: 'plan'}])).to.equal(4)
    expect(planExitCode([busy], {detailedExitcode: true})).to.equal(1)
  })

  it('plan --detailed-exitcode: terraform’s codes aggregated with precedence 1 > 2 > 0', () => {
    const detailed = {detailedExitcode: true}
    expect(planExitCode([result('no-changes'), result('no-changes')], detailed)).to.equal(0)
    expect(planExitCode([result('no-changes'), result('planned')], detailed)).to.equal(2)
    expect(planExitCode([result('planned'), result('failed'), result('no-changes')], detailed)).to.equal(1)
    expect(planExitCode([], detailed)).to.equal(0)
  })

  it('plan --drift: 2 when any stack differs, failures still 4', () => {
    expect(planExitCode([result('no-changes')], {drift: true})).to.equal(0)
    expect(planExitCode([result('no-changes'), result('planned')], {drift: true})).to.equal(2)
    expect(planExitCode([result('planned'), result('failed')], {drift: true})).to.equal(4)
  })

  it('provision: 130 > 4 (terraform failed) > 3 (blocked) > 0', () => {
    expect(provisionExitCode([{status: 'applied'}, {status: 'no-changes'}])).to.equal(0)
    expect(provisionExitCode([{status: 'applied'}, {status: 'blocked'}])).to.equal(3)
    expect(provisionExitCode([{status: 'blocked'}, {status: 'failed'}])).to.equal(4)
    expect(provisionExitCode([{status: 'failed'}], true)).to.equal(130)
  })
})

describe('the destroy guard', () => {
  const change = (address: string): ResourceChange => ({
    action: 'replace',
    actions: ['delete', 'create'],
    address,
    destructive: true,
    type: address.split('.')[0]!,
  })

  it('blocks every destructive change that no --allow-destroy names', () => {
    const allowances = parseAllowDestroy(['aws_kms_key.client'], ['acme'])
    const decision = guardDestructive(
      'acme',
      [change('aws_kms_key.client'), change('aws_db_instance.main')],
      allowances,
    )
    expect(decision.allowed.map((allowed) => allowed.address)).to.deep.equal(['aws_kms_key.client'])
    expect(decision.blocked.map((blocked) => blocked.address)).to.deep.equal(['aws_db_instance.main'])
  })

  it('scopes CLIENT:ADDRESS to that client; a bare address holds for every client', () => {
    const allowances = parseAllowDestroy(['acme:aws_db_instance.main', 'aws_s3_bucket.data'], ['acme', 'bravo'])
    expect(guardDestructive('acme', [change('aws_db_instance.main')], allowances).blocked).to.deep.equal([])
    expect(guardDestructive('bravo', [change('aws_db_instance.main')], allowances).blocked).to.have.length(1)
    expect(guardDestructive('bravo', [change('aws_s3_bucket.data')], allowances).blocked).to.deep.equal([])
  })

  it('keeps addresses whose index keys hold a colon as bare addresses', () => {
    const [allowance] = parseAllowDestroy(['aws_s3_bucket.logs["eu:west"]'], ['acme'])
    expect(allowance).to.deep.equal({address: 'aws_s3_bucket.logs["eu:west"]', text: 'aws_s3_bucket.logs["eu:west"]'})
  })

  it('refuses an unknown client and things that are not addresses (exit 2)', () => {
    expect(usageFailure(() => parseAllowDestroy(['zulu:aws_s3_bucket.data'], ['acme']))).to.contain("'zulu'")
    expect(usageFailure(() => parseAllowDestroy(['everything'], ['acme']))).to.contain('not a resource address')
    expect(usageFailure(() => parseAllowDestroy(['acme:bucket'], ['acme']))).to.contain('not a resource address')
  })
})
