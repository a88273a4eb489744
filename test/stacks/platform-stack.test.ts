import {expect} from 'chai'

import {updateClient} from '../../src/registry/changes.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {asList, listOf, readStack, resourceOf, resourcesOf, statementsOf, type StackDocument} from './helpers.ts'

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

  it('creates an Organizations account for each active client without one, with the provisioner role', () => {
    const accounts = resourcesOf(platform, 'aws_organizations_account')
    expect(Object.keys(accounts)).to.deep.equal(['account-bayview'])
    expect(accounts['account-bayview']).to.deep.include({
      close_on_deletion: false,
      email: 'aws@bayview.example',
      iam_user_access_to_billing: 'DENY',
      name: 'seiketsu-bayview',
      role_name: 'SeiketsuClientProvisioner',
    })
    expect(accounts['account-bayview']!.lifecycle).to.deep.include({prevent_destroy: true})
    expect(accounts['account-bayview']!.tags).to.deep.include({'seiketsu:client': 'bayview', 'seiketsu:tier': 'bronze'})
  })

  it('has the three platform roles, each reaching its role in every active client account', () => {
    const roles = resourcesOf(platform, 'aws_iam_role')
    const byName = Object.fromEntries(Object.values(roles).map((role) => [role.name, role]))
    expect(Object.keys(byName)).to.have.members([
      'SeiketsuPlatformAdmin',
      'SeiketsuClientProvisioner',
      'SeiketsuMonitoring',
    ])
    const assumable = (name: string) =>
      byName[name]!.inline_policy.flatMap((inline: {policy: string}) =>
        statementsOf(inline.policy)
          .filter((statement) => statement.Action === 'sts:AssumeRole')
          .flatMap((statement) => asList(statement.Resource)),
      )
    expect(assumable('SeiketsuClientProvisioner')).to.deep.equal([
      'arn:aws:iam::222222222222:role/SeiketsuClientProvisioner',
      'arn:aws:iam::${aws_organizations_account.account-bayview.id}:role/SeiketsuClientProvisioner',
    ])
    expect(assumable('SeiketsuPlatformAdmin')).to.deep.equal([
      'arn:aws:iam::222222222222:role/SeiketsuClientAdmin',
      'arn:aws:iam::${aws_organizations_account.account-bayview.id}:role/SeiketsuClientAdmin',
    ])
    expect(assumable('SeiketsuMonitoring')).to.have.length(2)
    for (const role of Object.values(roles))
      for (const inline of role.inline_policy)
        for (const statement of statementsOf(inline.policy))
          for (const action of asList(statement.Action)) expect(action, role.name).not.to.include('*')
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

  it('activates the seiketsu tags for cost allocation', () => {
    expect(listOf(platform, 'aws_ce_cost_allocation_tag')).to.have.deep.members([
      {status: 'Active', tag_key: 'seiketsu:client'},
      {status: 'Active', tag_key: 'seiketsu:tier'},
      {status: 'Active', tag_key: 'seiketsu:managed-by'},
    ])
  })

  it('forgets (never closes) an account once its id is in the manifest, or its client is offboarded', () => {
    const removed = (platform as unknown as {removed: unknown[]}).removed
    expect(removed).to.deep.equal([
      {from: 'aws_organizations_account.account-acme', lifecycle: {destroy: false}},
      {from: 'aws_organizations_account.account-cascade', lifecycle: {destroy: false}},
    ])
    // Beyond that, an offboarded client is not in the platform stack at all.
    expect(platform.text.split('cascade').length - 1).to.equal(1)
  })
})
