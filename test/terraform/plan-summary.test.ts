import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {classifyActions, describeChange, summarizePlan} from '../../src/terraform/plan-summary.ts'
import {fixturesDir} from '../helpers/cli.ts'

const example = () =>
  JSON.parse(readFileSync(join(fixturesDir, 'plans', 'create-update-replace.json'), 'utf8')) as Record<string, unknown>

function resourceChange(address: string, actions: string[], extra: Record<string, unknown> = {}) {
  const [type, name] = address.split('.')
  return {address, change: {actions, after: {}, before: {}}, mode: 'managed', name, type, ...extra}
}

function plan(changes: unknown[], extra: Record<string, unknown> = {}) {
  return {applyable: true, complete: true, errored: false, format_version: '1.2', resource_changes: changes, ...extra}
}

function expectPlanError(action: () => unknown, pattern: RegExp) {
  try {
    action()
  } catch (error) {
    expect(isSeiketsuError(error) && error.exitCode).to.equal(4)
    expect((error as Error).message).to.match(pattern)
    return
  }
  expect.fail('expected the plan to be rejected')
}

describe('summarizePlan', () => {
  it('counts one create, one update and one replace in terraform’s documented example', () => {
    const summary = summarizePlan(example())
    expect(summary).to.include({add: 1, change: 1, destroy: 0, forget: 0, hasChanges: true, replace: 1})
    expect(summary.changes.map((change) => [change.address, change.action])).to.deep.equal([
      ['aws_db_instance.main', 'update'],
      ['aws_kms_key.data', 'replace'],
      ['aws_s3_bucket.assets', 'create'],
    ])
  })

  it('marks the replacement of a stateful resource destructive, with terraform’s reason and paths', () => {
    const summary = summarizePlan(example())
    expect(summary.destructive).to.have.length(1)
    expect(summary.destructive[0]).to.deep.include({
      actions: ['delete', 'create'],
      address: 'aws_kms_key.data',
      reason: 'replace_because_cannot_update',
      replacePaths: [['customer_master_key_spec']],
    })
    expect(describeChange(summary.destructive[0]!)).to.equal(
      'replace aws_kms_key.data (replace_because_cannot_update: customer_master_key_spec)',
    )
  })

  it('treats delete-then-create and create-then-delete alike, and deletes of stateful types as destructive', () => {
    const summary = summarizePlan(
      plan([
        resourceChange('aws_db_instance.main', ['create', 'delete']),
        resourceChange('aws_s3_bucket.logs', ['delete'], {action_reason: 'delete_because_no_resource_config'}),
        resourceChange('aws_elasticache_replication_group.cache', ['delete', 'create']),
        resourceChange('aws_secretsmanager_secret.twilio', ['delete']),
        resourceChange('aws_cloudwatch_log_group.app', ['delete', 'create']),
        resourceChange('aws_organizations_account.client', ['delete']),
      ]),
    )
    expect(summary).to.include({destroy: 3, replace: 3})
    expect(summary.destructive.map((change) => change.address)).to.have.members([
      'aws_db_instance.main',
      'aws_s3_bucket.logs',
      'aws_elasticache_replication_group.cache',
      'aws_secretsmanager_secret.twilio',
      'aws_cloudwatch_log_group.app',
      'aws_organizations_account.client',
    ])
  })

  it('calls a replacement destructive for every data-holding resource type the stacks create', () => {
    // Messages in the work queue and its dead-letter queue, operators' subscriptions to the alarm topic
    // (made outside terraform), the database, bucket, keys, cache, secrets, logs, account: gone with the old object.
    const holdingData = [
      'aws_db_instance.database',
      'aws_s3_bucket.data',
      'aws_kms_key.client',
      'aws_elasticache_replication_group.cache',
      'aws_secretsmanager_secret.twilio',
      'aws_cloudwatch_log_group.app',
      'aws_organizations_account.client',
      'aws_sqs_queue.queue',
      'aws_sqs_queue.deadLetterQueue',
      'aws_sns_topic.alarmTopic',
    ]
    const summary = summarizePlan(plan(holdingData.map((address) => resourceChange(address, ['delete', 'create']))))
    expect(summary.destructive.map((change) => change.address)).to.have.members(holdingData)
  })

  it('counts deletes and replacements of stateless resources without calling them destructive', () => {
    const summary = summarizePlan(
      plan([
        resourceChange('aws_security_group.app', ['delete', 'create']),
        resourceChange('aws_iam_role_policy.app', ['delete']),
        resourceChange('aws_db_instance.main', ['update']),
      ]),
    )
    expect(summary).to.include({change: 1, destroy: 1, replace: 1})
    expect(summary.destructive).to.deep.equal([])
  })

  it('leaves out no-ops and data-source reads, and counts forget separately', () => {
    const summary = summarizePlan(
      plan([
        resourceChange('aws_vpc.main', ['no-op']),
        {...resourceChange('data.aws_caller_identity.me', ['read']), mode: 'data', type: 'aws_caller_identity'},
        resourceChange('aws_s3_bucket.legacy', ['forget']),
      ]),
    )
    expect(summary).to.include({add: 0, change: 0, destroy: 0, forget: 1, replace: 0})
    expect(summary.changes.map((change) => change.address)).to.deep.equal(['aws_s3_bucket.legacy'])
    expect(summary.destructive).to.deep.equal([], 'forget keeps the object: not destructive')
  })

  it('reports a plan of no-ops as without changes, and output-only changes as changes', () => {
    expect(summarizePlan(plan([resourceChange('aws_vpc.main', ['no-op'])], {applyable: false})).hasChanges).to.equal(
      false,
    )
    const outputsOnly = summarizePlan(plan([], {output_changes: {vpc_id: {actions: ['create']}}}))
    expect(outputsOnly).to.include({hasChanges: true})
    expect(outputsOnly.outputChanges).to.deep.equal(['vpc_id'])
  })

  it('marks a deposed object being deleted and keeps the drift addresses', () => {
    const summary = summarizePlan(
      plan([resourceChange('aws_kms_key.data', ['delete'], {deposed: '00000001'})], {
        resource_drift: [resourceChange('aws_s3_bucket.assets', ['update'])],
      }),
    )
    expect(summary.destructive[0]).to.include({address: 'aws_kms_key.data', deposed: '00000001'})
    expect(summary.drift).to.deep.equal(['aws_s3_bucket.assets'])
  })

  it('accepts any 1.x format_version and rejects other majors and non-plans (exit 4)', () => {
    expect(summarizePlan({...example(), format_version: '1.0'}).add).to.equal(1)
    expect(summarizePlan({...example(), format_version: '1.9'}).add).to.equal(1)
    expectPlanError(() => summarizePlan({...example(), format_version: '2.0'}), /format_version 2\.0/)
    expectPlanError(() => summarizePlan({resource_changes: []}), /not a terraform plan/)
    expectPlanError(() => summarizePlan([]), /not a terraform plan/)
  })

  it('rejects an errored plan, and one with changes that terraform says cannot be applied', () => {
    expectPlanError(() => summarizePlan({...example(), errored: true}), /errored/)
    expectPlanError(() => summarizePlan({...example(), applyable: false}), /not applyable/)
  })
})

describe('classifyActions', () => {
  it('names terraform’s action lists', () => {
    expect(classifyActions(['create'])).to.equal('create')
    expect(classifyActions(['update'])).to.equal('update')
    expect(classifyActions(['delete', 'create'])).to.equal('replace')
    expect(classifyActions(['create', 'delete'])).to.equal('replace')
    expect(classifyActions(['delete'])).to.equal('delete')
    expect(classifyActions(['forget'])).to.equal('forget')
    expect(classifyActions(['read'])).to.equal('read')
    expect(classifyActions(['no-op'])).to.equal('no-op')
  })
})
