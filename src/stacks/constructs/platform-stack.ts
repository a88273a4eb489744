import {CeCostAllocationTag} from '@cdktf/provider-aws/lib/ce-cost-allocation-tag/index.js'
import {Cloudtrail} from '@cdktf/provider-aws/lib/cloudtrail/index.js'
import {DataAwsOrganizationsOrganization} from '@cdktf/provider-aws/lib/data-aws-organizations-organization/index.js'
import {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import {KmsAlias} from '@cdktf/provider-aws/lib/kms-alias/index.js'
import {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {OrganizationsAccount} from '@cdktf/provider-aws/lib/organizations-account/index.js'
import {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import type {Construct} from 'constructs'

import {clientAccountAddress} from '../addresses.ts'
import type {StackBackend} from '../backend.ts'
import type {PlatformStackModel} from '../model.ts'
import {policyDocument, type PolicyStatement} from '../policy.ts'
import {HardenedBucket, archivalLifecycle} from './bucket.ts'
import {SeiketsuStack} from './stack.ts'

/**
 * The management-account side (DESIGN.md): Organizations accounts for clients that have none yet,
 * the platform roles, the organization CloudTrail, the state bucket (S3 backend) and the
 * activation of the cost-allocation tags. Client account ids it creates are referenced within this
 * stack only; client stacks learn them from their manifests, never from this stack's state.
 */
export class PlatformStack extends SeiketsuStack {
  readonly model: PlatformStackModel
  readonly accounts: Record<string, OrganizationsAccount> = {}
  readonly roles: {admin: IamRole; provisioner: IamRole; monitoring: IamRole}
  readonly trail: Cloudtrail

  constructor(scope: Construct, model: PlatformStackModel, backend: StackBackend) {
    super(scope, model.id, backend, model.terraform)
    this.model = model
    const {managementAccountId, platform} = model
    new AwsProvider(this, 'aws', {
      allowedAccountIds: [managementAccountId],
      defaultTags: [{tags: model.tags}],
      region: model.region,
    })

    for (const client of model.clients) {
      if (!client.newAccount) continue
      this.accounts[client.id] = new OrganizationsAccount(this, `account-${client.id}`, {
        closeOnDeletion: false,
        email: client.newAccount.email,
        iamUserAccessToBilling: 'DENY',
        // AWS never reports the role name back; ignoring it keeps plans clean after the first apply.
        lifecycle: {ignoreChanges: ['role_name'], preventDestroy: true},
        name: client.newAccount.name,
        roleName: model.clientRoles.provisioner,
        tags: client.newAccount.tags,
      })
    }
    // Once a client's account id is in its manifest (or the client is gone), the account leaves this
    // stack: terraform forgets it rather than closing it. A no-op for accounts it never created.
    if (model.accountsToForget.length > 0)
      this.addOverride(
        'removed',
        model.accountsToForget.map((id) => ({
          from: clientAccountAddress(id),
          lifecycle: {destroy: false},
        })),
      )
    const accountOf = (client: (typeof model.clients)[number]) => client.accountId ?? this.accounts[client.id]!.id
    const clientRoleArns = (role: string) =>
      model.clients.map((client) => `arn:aws:iam::${accountOf(client)}:role/${role}`)

    const managementRoot = `arn:aws:iam::${managementAccountId}:root`
    const trust = (requireMfa: boolean) =>
      policyDocument([
        {
          Action: 'sts:AssumeRole',
          ...(requireMfa ? {Condition: {Bool: {'aws:MultiFactorAuthPresent': true}}} : {}),
          Principal: {AWS: managementRoot},
          Sid: 'ManagementAccountPrincipals',
        },
      ])
    const assume = (sid: string, role: string): PolicyStatement[] =>
      model.clients.length > 0 ? [{Action: 'sts:AssumeRole', Resource: clientRoleArns(role), Sid: sid}] : []
    // The state bucket's key comes first: the platform roles that read and write state need its ARN.
    const state = model.stateBucket ? createStateKey(this, model, model.stateBucket, managementRoot) : undefined
    const stateStatements: PolicyStatement[] = model.stateBucket
      ? [
          {Action: 's3:ListBucket', Resource: model.stateBucket.arn, Sid: 'ListState'},
          {
            Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
            Resource: `${model.stateBucket.arn}/${model.stateBucket.keyPrefix}*`,
            Sid: 'ReadWriteStateAndLocks',
          },
          // The state objects are encrypted with the state key (SSE-KMS): reading and writing them needs it.
          {
            Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
            Resource: state!.key.arn,
            Sid: 'UseStateKey',
          },
        ]
      : []
    const role = (id: string, name: string, description: string, requireMfa: boolean, statements: PolicyStatement[]) =>
      new IamRole(this, id, {
        assumeRolePolicy: trust(requireMfa),
        description,
        inlinePolicy: statements.length > 0 ? [{name: 'platform', policy: policyDocument(statements)}] : undefined,
        maxSessionDuration: 3600,
        name,
      })
    this.roles = {
      admin: role('platformAdmin', model.roles.admin, 'Seiketsu platform administrators', true, [
        ...assume('AdministerClients', model.clientRoles.admin),
        // Organizations' account listing has no resource-level permissions.
        {
          Action: ['organizations:DescribeOrganization', 'organizations:ListAccounts'],
          Resource: '*',
          Sid: 'ReadOrganization',
        },
        {
          Action: ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus'],
          Resource: `arn:aws:cloudtrail:${model.region}:${managementAccountId}:trail/${model.trail.name}`,
          Sid: 'ReadOrganizationTrail',
        },
        ...stateStatements,
      ]),
      monitoring: role('monitoring', model.roles.monitoring, 'Read-only monitoring of the platform', false, [
        ...assume('MonitorClients', model.clientRoles.readOnly),
        // Cost Explorer has no resource-level permissions.
        {Action: ['ce:GetCostAndUsage', 'ce:GetCostForecast'], Resource: '*', Sid: 'ReadCosts'},
      ]),
      provisioner: role('provisioner', model.roles.provisioner, 'Provisions client stacks (CI and seiketsu)', false, [
        ...assume('ProvisionClients', model.clientRoles.provisioner),
        ...stateStatements,
      ]),
    }

    const organization = new DataAwsOrganizationsOrganization(this, 'organization', {})
    const trailKey = new KmsKey(this, 'trailKey', {
      deletionWindowInDays: 30,
      description: `${platform}: organization CloudTrail logs`,
      enableKeyRotation: true,
      policy: policyDocument([
        {Action: 'kms:*', Principal: {AWS: managementRoot}, Resource: '*', Sid: 'ManagementAccountAdministersKey'},
        {
          Action: 'kms:GenerateDataKey',
          Condition: {StringEquals: {'aws:SourceArn': model.trail.arn}},
          Principal: {Service: 'cloudtrail.amazonaws.com'},
          Resource: '*',
          Sid: 'CloudTrailEncryptsLogs',
        },
        {
          Action: 'kms:DescribeKey',
          Principal: {Service: 'cloudtrail.amazonaws.com'},
          Resource: '*',
          Sid: 'CloudTrailDescribesKey',
        },
      ]),
    })
    new KmsAlias(this, 'trailKeyAlias', {name: model.trail.keyAlias, targetKeyId: trailKey.keyId})
    const sourceTrail = {StringEquals: {'aws:SourceArn': model.trail.arn}}
    const trailBucket = new HardenedBucket(this, 'trailBucket', {
      key: trailKey,
      lifecycle: archivalLifecycle({
        archiveAfterDays: 90,
        expireAfterDays: 2557,
        noncurrentExpireDays: 90,
        storageClass: 'GLACIER',
      }),
      name: model.trail.bucket,
      statements: [
        {
          Action: 's3:GetBucketAcl',
          Condition: sourceTrail,
          Principal: {Service: 'cloudtrail.amazonaws.com'},
          Resource: model.trail.bucketArn,
          Sid: 'CloudTrailChecksAcl',
        },
        {
          Action: 's3:PutObject',
          Condition: sourceTrail,
          Principal: {Service: 'cloudtrail.amazonaws.com'},
          Resource: [
            `${model.trail.bucketArn}/AWSLogs/${managementAccountId}/*`,
            `${model.trail.bucketArn}/AWSLogs/${organization.id}/*`,
          ],
          Sid: 'CloudTrailWritesLogs',
        },
      ],
    })
    this.trail = new Cloudtrail(this, 'trail', {
      dependsOn: [trailBucket.policy],
      enableLogFileValidation: true,
      enableLogging: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: true,
      isOrganizationTrail: true,
      kmsKeyId: trailKey.arn,
      name: model.trail.name,
      s3BucketName: trailBucket.bucket.id,
    })

    if (model.stateBucket) {
      const {stateBucket} = model
      new HardenedBucket(this, 'stateBucket', {
        key: state!.key,
        lifecycle: archivalLifecycle({
          archiveAfterDays: 365,
          noncurrentExpireDays: 90,
          storageClass: 'STANDARD_IA',
        }),
        name: stateBucket.bucket,
        provider: state!.provider,
      })
    }

    model.costAllocationTags.forEach(
      (tagKey, index) => new CeCostAllocationTag(this, `costTag${index + 1}`, {status: 'Active', tagKey}),
    )
  }
}

/** The state bucket's KMS key (and the provider of the state bucket's region when it differs). */
function createStateKey(
  scope: PlatformStack,
  model: PlatformStackModel,
  stateBucket: NonNullable<PlatformStackModel['stateBucket']>,
  managementRoot: string,
): {key: KmsKey; provider?: AwsProvider} {
  const provider =
    stateBucket.region === model.region
      ? undefined
      : new AwsProvider(scope, 'awsState', {
          alias: 'state',
          allowedAccountIds: [model.managementAccountId],
          defaultTags: [{tags: model.tags}],
          region: stateBucket.region,
        })
  const key = new KmsKey(scope, 'stateKey', {
    deletionWindowInDays: 30,
    description: `${model.platform}: terraform state`,
    enableKeyRotation: true,
    policy: policyDocument([
      {Action: 'kms:*', Principal: {AWS: managementRoot}, Resource: '*', Sid: 'ManagementAccountAdministersKey'},
    ]),
    provider,
  })
  new KmsAlias(scope, 'stateKeyAlias', {name: stateBucket.keyAlias, provider, targetKeyId: key.keyId})
  return {key, provider}
}
