import {expect} from 'chai'

import {auditWorkspace} from '../../src/audit/audit.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {baselineStackFor, writeClientStack} from './workspace-stacks.ts'

interface StackJson {
  resource: Record<string, Record<string, Record<string, unknown>>>
}

const SECURE_TRANSPORT = {Bool: {'aws:SecureTransport': true}}

function policy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({Statement: statements, Version: '2012-10-17'})
}

function openings(report: Awaited<ReturnType<typeof auditWorkspace>>): string[] {
  return report.findings.map((finding) => `${finding.ruleId} ${finding.address}`)
}

/**
 * What the rules know from the workspace: the client's account (its manifest) and the platform's
 * management account (seiketsu.yaml managementAccountId), on acme-realty's baseline stack.
 */
describe('audit context from the workspace', () => {
  let workspace: Workspace
  let baseline: string
  before(async () => {
    workspace = await makeWorkspace({clients: [draftClient('acme-realty', {accountId: '222222222222'})]})
    baseline = await baselineStackFor((await loadRegistry(workspace)).get('acme-realty'))
  })
  after(() => removeDir(workspace.root))
  afterEach(() => writeClientStack(workspace, 'acme-realty', baseline))

  async function auditWith(edit: (stack: StackJson) => void) {
    const stack = JSON.parse(baseline) as StackJson
    edit(stack)
    await writeClientStack(workspace, 'acme-realty', JSON.stringify(stack, null, 2))
    return auditWorkspace(workspace, {ids: ['acme-realty'], today: '2026-06-01'})
  }

  it('passes the baseline stack', async () => {
    expect(openings(await auditWith(() => {}))).to.deep.equal([])
  })

  it('reports "*" grants whose only condition is aws:SecureTransport (bucket, key, topic)', async () => {
    const report = await auditWith((stack) => {
      const bucketPolicy = stack.resource.aws_s3_bucket_policy!.data!
      const statements = JSON.parse(bucketPolicy.policy as string) as {Statement: unknown[]}
      statements.Statement.push({
        Action: 's3:GetObject',
        Condition: SECURE_TRANSPORT,
        Effect: 'Allow',
        Principal: '*',
        Resource: 'arn:aws:s3:::seiketsu-acme-realty-data-222222222222/*',
      })
      bucketPolicy.policy = JSON.stringify(statements)
      stack.resource.aws_kms_key!.client!.policy = policy(
        {Action: 'kms:*', Effect: 'Allow', Principal: {AWS: 'arn:aws:iam::222222222222:root'}, Resource: '*'},
        {Action: 'kms:Decrypt', Condition: SECURE_TRANSPORT, Effect: 'Allow', Principal: {AWS: '*'}, Resource: '*'},
      )
      stack.resource.aws_sns_topic!.alarms!.policy = policy({
        Action: 'sns:Subscribe',
        Condition: SECURE_TRANSPORT,
        Effect: 'Allow',
        Principal: {AWS: '*'},
        Resource: 'arn:aws:sns:us-east-1:222222222222:seiketsu-acme-realty-alarms',
      })
    })
    expect(openings(report)).to.have.members([
      'SKT-S3-008 aws_s3_bucket_policy.data',
      'SKT-KMS-002 aws_kms_key.client',
      'SKT-IAM-006 aws_sns_topic.alarms',
    ])
    const messages = report.findings.map((finding) => finding.message).join('\n')
    expect(messages).to.include("does not limit it to the client's account 222222222222")
  })

  it('accepts a "*" grant limited to the client\'s own account', async () => {
    const report = await auditWith((stack) => {
      stack.resource.aws_sns_topic!.alarms!.policy = policy({
        Action: 'sns:Subscribe',
        Condition: {StringEquals: {'aws:PrincipalAccount': '222222222222'}},
        Effect: 'Allow',
        Principal: {AWS: '*'},
        Resource: 'arn:aws:sns:us-east-1:222222222222:seiketsu-acme-realty-alarms',
      })
    })
    expect(openings(report)).to.deep.equal([])
  })

  it('reports a role trusting another account, or the management account as a whole', async () => {
    const report = await auditWith((stack) => {
      stack.resource.aws_iam_role!.admin!.assume_role_policy = policy({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: {AWS: 'arn:aws:iam::999999999999:root'},
      })
      stack.resource.aws_iam_role!.readonly!.assume_role_policy = policy({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: {AWS: 'arn:aws:iam::111111111111:root'},
      })
    })
    expect(openings(report)).to.have.members(['SKT-IAM-003 aws_iam_role.admin', 'SKT-IAM-003 aws_iam_role.readonly'])
    expect(report.findings[0]!.message).to.match(/roles of the management account 111111111111/)
  })

  it("takes the management account from seiketsu.yaml: another workspace's platform roles are foreign", async () => {
    const other = await makeWorkspace({
      clients: [draftClient('acme-realty', {accountId: '222222222222'})],
      settings: {managementAccountId: '123456789012'},
    })
    try {
      await writeClientStack(other, 'acme-realty', baseline)
      const report = await auditWorkspace(other, {ids: ['acme-realty'], today: '2026-06-01'})
      // The baseline's admin and read-only roles trust 111111111111's platform roles.
      expect(openings(report)).to.have.members(['SKT-IAM-003 aws_iam_role.admin', 'SKT-IAM-003 aws_iam_role.readonly'])
      // --path inside the workspace gets the same context.
      const paths = await auditWorkspace(other, {
        paths: ['cdktf.out/stacks/acme-realty/cdk.tf.json'],
        today: '2026-06-01',
      })
      expect(openings(paths)).to.include.members(['SKT-IAM-003 aws_iam_role.admin'])
    } finally {
      await removeDir(other.root)
    }
  })
})
