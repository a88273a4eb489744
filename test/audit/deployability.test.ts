import {join} from 'node:path'

import {expect} from 'chai'

import {auditStacks} from '../../src/audit/audit.ts'
import {identify} from '../../src/audit/inputs.ts'
import {buildStack} from '../../src/audit/stack.ts'
import type {Stack} from '../../src/audit/types.ts'
import {addressesOf, auditFixture, auditFixtures} from './helpers.ts'

/** A stack from Terraform JSON, identified as `seiketsu audit --path` identifies it. */
function stackOf(id: string, json: Record<string, unknown>): Stack {
  return identify(buildStack([{file: `${id}.tf.json`, json}], {id}), {managementAccountId: '111111111111'})
}

function provider(tags: Record<string, string>, roleArn?: string) {
  return {
    aws: [{region: 'us-east-1', ...(roleArn ? {assume_role: [{role_arn: roleArn}]} : {}), default_tags: [{tags}]}],
  }
}

const bootstrap = stackOf('bootstrap-acme', {
  provider: provider(
    {'seiketsu:client': 'acme', 'seiketsu:stack': 'bootstrap'},
    'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole',
  ),
  resource: {
    aws_iam_role: {
      provisioner: {
        assume_role_policy:
          '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/SeiketsuClientProvisioner"}, "Action": "sts:AssumeRole"}]}',
        name: 'SeiketsuClientProvisioner',
      },
    },
    aws_ssm_parameter: {
      bootstrap_token: {name: '/seiketsu/acme/bootstrap', password: 'hunter2-hunter2', type: 'String'},
    },
  },
})

const platform = stackOf('platform', {
  provider: provider({'seiketsu:stack': 'platform'}),
  resource: {aws_sns_topic: {oncall: {name: 'seiketsu-oncall'}}},
})

describe('audit: stacks of the apply order and the deployability rules', () => {
  it("tells a client account's bootstrap stack and the platform stack from client stacks by seiketsu:stack", () => {
    expect(bootstrap).to.include({kind: 'bootstrap'})
    expect(bootstrap.client).to.include({accountId: '222222222222', id: 'acme'})
    expect(platform.kind).to.equal('platform')
    expect(platform.client).to.equal(undefined)
  })

  it('judges a bootstrap stack by the rules for any Terraform, not as a client stack', () => {
    const report = auditStacks([bootstrap], {today: '2026-06-01'})
    const rules = new Set(report.findings.map((finding) => finding.ruleId))
    // A literal credential is reported wherever it is; a client stack's contents (keys, VPC, roles…) are not asked of it.
    expect(addressesOf(report, 'SKT-SEC-003')).to.deep.equal(['aws_ssm_parameter.bootstrap_token'])
    expect(rules).to.not.include.members(['SKT-IAM-005', 'SKT-PRV-001', 'SKT-KMS-001', 'SKT-NET-001'])
    expect(report.findings.every((finding) => finding.client === 'acme')).to.equal(true)
  })

  it('runs the deployability rules on a run without client stacks, the fleet-isolation rules not', () => {
    const report = auditStacks([platform], {today: '2026-06-01'})
    const checked = new Set(report.checks.map((check) => check.ruleId))
    expect(checked).to.include('SKT-DEP-004')
    expect(checked).to.not.include('SKT-FLT-001')
    expect(
      report.findings
        .filter((finding) => finding.ruleId.startsWith('SKT-DEP-'))
        .map((finding) => `${finding.ruleId} ${finding.stack} ${finding.address}`),
    ).to.deep.equal(['SKT-DEP-004 platform aws_sns_topic.oncall'])
  })

  it("compares stacks with one another: a subscription in another stack, by ARN, subscribes a topic (the platform's account from the management account)", () => {
    const client = stackOf('acme', {
      provider: provider({'seiketsu:client': 'acme'}, 'arn:aws:iam::222222222222:role/SeiketsuClientProvisioner'),
      resource: {
        aws_sns_topic_subscription: {
          oncall: {
            endpoint: 'https://pager.example/acme',
            protocol: 'https',
            topic_arn: 'arn:aws:sns:us-east-1:111111111111:seiketsu-oncall',
          },
        },
      },
    })
    const alone = auditStacks([platform], {today: '2026-06-01'})
    const together = auditStacks([platform, client], {today: '2026-06-01'})
    expect(addressesOf(alone, 'SKT-DEP-004')).to.deep.equal(['aws_sns_topic.oncall'])
    expect(addressesOf(together, 'SKT-DEP-004')).to.deep.equal([])
  })

  it('says at what fleet size a policy listing every client breaks, and how much it grows per client', async () => {
    const {report} = await auditFixture(join(auditFixtures, 'rules', 'deploy-policy-size'))
    const finding = report.findings.find(
      (candidate) => candidate.ruleId === 'SKT-DEP-007' && candidate.address === 'aws_iam_role.bad_lists_client_roles',
    )
    expect(finding?.message).to.match(
      /lists an entry per client \(2 now, about 53 characters each\): 364 characters today, about 26,758 at 500 clients, over IAM's limit of 10,240; it breaks at about 189 clients$/,
    )
    expect(finding?.severity).to.equal('medium')
  })

  it('says in each finding what fails and why: the repository, the secret and its service, the later stack, the race', async () => {
    const message = async (fixture: string, ruleId: string, address: string) => {
      const {report} = await auditFixture(join(auditFixtures, 'rules', fixture))
      return report.findings
        .filter((finding) => finding.ruleId === ruleId && finding.address === address)
        .map((finding) => finding.message)
        .join('\n')
    }
    expect(await message('deploy-images', 'SKT-DEP-001', 'aws_ecs_task_definition.bad_unreplicated_region')).to.match(
      /no stack of this run creates repository seiketsu\/voice-agent in account 111111111111 in eu-central-1, nor replicates it there/,
    )
    expect(await message('deploy-images', 'SKT-DEP-008', 'aws_ecs_task_definition.bad_half_gated')).to.match(
      /by the mutable tag "stable" in aws_ecs_service\.jobs, which starts tasks/,
    )
    expect(await message('deploy-secrets.tf.json', 'SKT-DEP-003', 'aws_ecs_task_definition.bad_literal_arn')).to.match(
      /injects TWILIO_CREDENTIALS from aws_secretsmanager_secret\.twilio, .*aws_ecs_service\.voice starts tasks without a gate/,
    )
    expect(await message('deploy-trust-order', 'SKT-DEP-005', 'aws_iam_role.bad_trusts_client_app')).to.match(
      /names arn:aws:iam::222222222222:role\/SeiketsuClientApp, which stack rules\/deploy-trust-order\/acme creates \(aws_iam_role\.app\), a client stack that applies after this bootstrap stack/,
    )
    expect(
      await message('deploy-replicas.tf', 'SKT-DEP-006', 'aws_db_instance_automated_backups_replication.ledger'),
    ).to.match(/at the same time as aws_db_instance\.ledger_replica2 \(neither waits for the other\)/)
    expect(
      await message('deploy-certificate.tf', 'SKT-DEP-002', 'aws_acm_certificate_validation.bad_no_records'),
    ).to.match(
      /no aws_route53_record writes the validation records of aws_acm_certificate\.bad_no_records .*waits out its create timeout \(45m\)/,
    )
  })
})
