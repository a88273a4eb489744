import {expect} from 'chai'

import {updateClient} from '../../src/registry/changes.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {
  asList,
  listOf,
  readStack,
  resourceOf,
  resourcesOf,
  rolePolicyStatements,
  statementsOf,
  type StackDocument,
} from './helpers.ts'

describe('platform stack', () => {
  let workspace: Workspace
  let platform: StackDocument

  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {accountId: '222222222222'}),
        draftClient('bayview', {accountId: null, email: 'aws@bayview.example', tier: 'bronze'}),
        draftClient('cascade', {accountId: null, tier: 'gold'}),
      ],
    })
    await updateClient(workspace, 'cascade', {status: 'offboarding'}, {command: 'test'})
    await updateClient(workspace, 'cascade', {status: 'offboarded'}, {command: 'test'})
    const registry = await loadRegistry(workspace)
    // Only acme is selected: the platform stack still covers the whole registry.
    const stacks = await synthesizeStacks(workspace, registry.select(['acme']), {allClients: registry.clients})
    platform = await readStack(stacks.find((stack) => stack.kind === 'platform')!.file)
  })
  after(() => removeDir(workspace.root))

  it('runs in the management account only, with local state under the workspace', () => {
    expect(platform.provider.aws).to.have.length(1)
    expect(platform.provider.aws![0]).to.deep.include({allowed_account_ids: ['111111111111'], region: 'us-east-1'})
    expect(platform.provider.aws![0]).not.to.have.property('assume_role')
    expect(platform.terraform.backend).to.deep.equal({
      local: {path: '../../../.seiketsu/state/platform/terraform.tfstate'},
    })
  })

  it('creates an Organizations account for each active client without one, with a platform-owned root email and the bootstrap role', () => {
    const accounts = resourcesOf(platform, 'aws_organizations_account')
    expect(Object.keys(accounts)).to.deep.equal(['account-bayview'])
    expect(accounts['account-bayview']).to.deep.include({
      close_on_deletion: false,
      // Never the client's own address (aws@bayview.example): the workspace's template.
      email: 'aws+bayview@seiketsu.example',
      iam_user_access_to_billing: 'DENY',
      name: 'seiketsu-bayview',
      role_name: 'OrganizationAccountAccessRole',
    })
    // An earlier account's email and role name stay as they were: changing them would replace the account.
    expect(accounts['account-bayview']!.lifecycle).to.deep.include({
      ignore_changes: ['role_name', 'email'],
      prevent_destroy: true,
    })
    expect(accounts['account-bayview']!.tags).to.deep.include({'seiketsu:client': 'bayview', 'seiketsu:tier': 'bronze'})
  })

  it('without accounts.rootEmailTemplate, refuses to plan the accounts it creates rather than make up their root email', async () => {
    const bare = await makeWorkspace({
      clients: [draftClient('bayview', {accountId: null, email: 'aws@bayview.example'})],
      settings: {accountEmailTemplate: undefined},
    })
    try {
      const stacks = await synthesizeStacks(bare, (await loadRegistry(bare)).clients)
      const doc = await readStack(stacks.find((stack) => stack.kind === 'platform')!.file)
      // Never the client's own address: the email comes from a variable whose validation fails on plan.
      expect(resourceOf(doc, 'aws_organizations_account', 'account-bayview').email).to.equal(
        '${replace(var.account_root_email_template, "{client}", "bayview")}',
      )
      const variable = (doc.variable as Record<string, {default: string; validation: {error_message: string}[]}>)
        .account_root_email_template!
      expect(variable.default).to.equal('')
      expect(variable.validation[0]!.error_message).to.include('accounts.rootEmailTemplate')
    } finally {
      await removeDir(bare.root)
    }
  })

  it('has the three platform roles, each reaching its role in every active client account', () => {
    const roles = resourcesOf(platform, 'aws_iam_role')
    const byName = Object.fromEntries(Object.values(roles).map((role) => [role.name, role]))
    expect(Object.keys(byName)).to.have.members([
      'SeiketsuPlatformAdmin',
      'SeiketsuClientProvisioner',
      'SeiketsuMonitoring',
      'SeiketsuDnsDelegation',
    ])
    const addressOf = (name: string) =>
      `aws_iam_role.${Object.entries(roles).find(([, role]) => role.name === name)![0]}`
    const assume = (name: string) =>
      rolePolicyStatements(platform, addressOf(name)).filter((statement) => statement.Action === 'sts:AssumeRole')
    // One statement scoped to the organization, whatever the size of the fleet (IAM caps a role's inline
    // policies at 10,240 characters: a list of every client's role ARN broke at about 170 clients).
    const organization = {StringEquals: {'aws:ResourceOrgID': '${data.aws_organizations_organization.organization.id}'}}
    expect(assume('SeiketsuClientProvisioner')).to.deep.equal([
      {
        Action: 'sts:AssumeRole',
        Condition: organization,
        Effect: 'Allow',
        Resource: [
          'arn:aws:iam::*:role/SeiketsuClientProvisioner',
          'arn:aws:iam::*:role/OrganizationAccountAccessRole',
        ],
        Sid: 'ProvisionClients',
      },
      // Client stacks write their zone's delegation through the DNS role of this account.
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Resource: 'arn:aws:iam::111111111111:role/SeiketsuDnsDelegation',
        Sid: 'DelegateClientZones',
      },
    ])
    expect(assume('SeiketsuPlatformAdmin')[0]).to.deep.include({
      Condition: organization,
      Resource: ['arn:aws:iam::*:role/SeiketsuClientAdmin'],
    })
    expect(assume('SeiketsuMonitoring')[0]).to.deep.include({Resource: ['arn:aws:iam::*:role/SeiketsuClientReadOnly']})
    for (const role of Object.values(roles)) expect(role).not.to.have.property('inline_policy')
    for (const policy of listOf(platform, 'aws_iam_role_policy'))
      for (const statement of statementsOf(policy.policy))
        for (const action of asList(statement.Action)) expect(action, policy.name).not.to.include('*')
    expect(statementsOf(byName.SeiketsuPlatformAdmin!.assume_role_policy)[0]!.Condition).to.deep.equal({
      Bool: {'aws:MultiFactorAuthPresent': true},
    })
  })

  it('keeps an organization trail over all regions, with log validation and a KMS key', () => {
    expect(resourceOf(platform, 'aws_cloudtrail', 'trail')).to.deep.include({
      enable_log_file_validation: true,
      is_multi_region_trail: true,
      is_organization_trail: true,
      kms_key_id: '${aws_kms_key.trail_key.arn}',
      name: 'seiketsu-organization',
      s3_bucket_name: '${aws_s3_bucket.trail_bucket_bucket.id}',
    })
    expect(resourceOf(platform, 'aws_kms_key', 'trail_key').enable_key_rotation).to.equal(true)
    const writes = statementsOf(resourceOf(platform, 'aws_s3_bucket_policy', 'trail_bucket_policy').policy).find(
      (statement) => statement.Sid === 'CloudTrailWritesLogs',
    )
    expect(writes!.Resource).to.deep.equal([
      'arn:aws:s3:::seiketsu-111111111111-cloudtrail/AWSLogs/111111111111/*',
      'arn:aws:s3:::seiketsu-111111111111-cloudtrail/AWSLogs/${data.aws_organizations_organization.organization.id}/*',
    ])
  })

  it('creates no state bucket with local state', () => {
    expect(listOf(platform, 'aws_s3_bucket').map((bucket) => bucket.bucket)).to.deep.equal([
      'seiketsu-111111111111-cloudtrail',
    ])
  })

  it('leaves cost-allocation tags to seiketsu cost activate-tags, and forgets (never deactivates) those it once held', () => {
    // Billing knows a tag key only up to 24 h after a tagged resource exists: the first apply would fail.
    expect(platform.resource).not.to.have.property('aws_ce_cost_allocation_tag')
    expect(platform.removed).to.deep.include.members(
      [1, 2, 3].map((index) => ({from: `aws_ce_cost_allocation_tag.cost_tag${index}`, lifecycle: {destroy: false}})),
    )
  })

  it("keeps each active client's monthly budget, on its linked account, alerting the platform alerts topic", () => {
    const budgets = resourcesOf(platform, 'aws_budgets_budget')
    expect(Object.keys(budgets).sort()).to.deep.equal(['budget-acme', 'budget-bayview'])
    expect(budgets['budget-acme']).to.deep.include({
      budget_type: 'COST',
      cost_filter: [{name: 'LinkedAccount', values: ['222222222222']}],
      limit_amount: '1000',
      name: 'seiketsu-acme-monthly',
      time_unit: 'MONTHLY',
    })
    // The account this stack creates, by reference; bronze's budget.
    expect(budgets['budget-bayview']).to.deep.include({
      cost_filter: [{name: 'LinkedAccount', values: ['${aws_organizations_account.account-bayview.id}']}],
      limit_amount: '450',
    })
    for (const notification of budgets['budget-acme']!.notification)
      expect(notification.subscriber_sns_topic_arns).to.deep.equal(['${aws_sns_topic.alerts_topic.arn}'])
    expect(resourceOf(platform, 'aws_sns_topic', 'alerts_topic').kms_master_key_id).to.equal(
      '${aws_kms_key.alerts_key.arn}',
    )
  })

  it('forgets (never closes) an account once its id is in the manifest, or its client is offboarded', () => {
    const removed = platform.removed!.filter((block) => String(block.from).startsWith('aws_organizations_account'))
    expect(removed).to.deep.equal([
      {from: 'aws_organizations_account.account-acme', lifecycle: {destroy: false}},
      {from: 'aws_organizations_account.account-cascade', lifecycle: {destroy: false}},
    ])
    // Beyond that, an offboarded client is not in the platform stack at all.
    expect(platform.text.split('cascade').length - 1).to.equal(1)
  })
})
