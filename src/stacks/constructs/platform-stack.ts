import {BudgetsBudget} from '@cdktf/provider-aws/lib/budgets-budget/index.js'
import {Cloudtrail} from '@cdktf/provider-aws/lib/cloudtrail/index.js'
import {DataAwsOrganizationsOrganization} from '@cdktf/provider-aws/lib/data-aws-organizations-organization/index.js'
import {EcrReplicationConfiguration} from '@cdktf/provider-aws/lib/ecr-replication-configuration/index.js'
import {EcrRepositoryCreationTemplate} from '@cdktf/provider-aws/lib/ecr-repository-creation-template/index.js'
import {EcrRepositoryPolicy} from '@cdktf/provider-aws/lib/ecr-repository-policy/index.js'
import {EcrRepository} from '@cdktf/provider-aws/lib/ecr-repository/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import {KmsAlias} from '@cdktf/provider-aws/lib/kms-alias/index.js'
import {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {OrganizationsAccount} from '@cdktf/provider-aws/lib/organizations-account/index.js'
import {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import {Route53Zone} from '@cdktf/provider-aws/lib/route53-zone/index.js'
import {SnsTopicPolicy} from '@cdktf/provider-aws/lib/sns-topic-policy/index.js'
import {SnsTopicSubscription} from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js'
import {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import {Fn, TerraformOutput, TerraformVariable} from 'cdktf'
import type {Construct} from 'constructs'

import {clientAccountAddress} from '../addresses.ts'
import type {StackBackend} from '../backend.ts'
import type {PlatformStackModel} from '../model.ts'
import {policyDocument, roleTrustPolicy, type PolicyStatement} from '../policy.ts'
import {HardenedBucket, archivalLifecycle} from './bucket.ts'
import {roleWithPolicies} from './role.ts'
import {SeiketsuStack} from './stack.ts'

/** The ECR actions a client account's task execution role needs to pull an image. */
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']

/**
 * The management-account side (DESIGN.md): Organizations accounts for clients that have none yet,
 * the platform roles, the organization CloudTrail, the state bucket (S3 backend), the voice-agent
 * image repository (replicated to every client region, pullable by the organization's accounts),
 * the platform's DNS zone and the role that delegates client zones from it, and each client's
 * monthly budget (the payer account is the one that sees the bill) with alerts to the on-call
 * destination. Client account ids it creates are referenced within this stack only; client stacks
 * learn them from their manifests, never from this stack's state.
 */
export class PlatformStack extends SeiketsuStack {
  readonly model: PlatformStackModel
  readonly accounts: Record<string, OrganizationsAccount> = {}
  readonly roles: {admin: IamRole; provisioner: IamRole; monitoring: IamRole; dnsDelegation?: IamRole}
  readonly trail: Cloudtrail
  readonly imageRepository: EcrRepository

  constructor(scope: Construct, model: PlatformStackModel, backend: StackBackend) {
    super(scope, model.id, backend, model.terraform)
    this.model = model
    const {managementAccountId} = model
    new AwsProvider(this, 'aws', {
      allowedAccountIds: [managementAccountId],
      defaultTags: [{tags: model.tags}],
      region: model.region,
    })

    const rootEmailTemplate = model.clients.some((client) => client.newAccount?.email === null)
      ? this.refuseWithoutRootEmails()
      : undefined
    for (const client of model.clients) {
      if (!client.newAccount) continue
      this.accounts[client.id] = new OrganizationsAccount(this, `account-${client.id}`, {
        closeOnDeletion: false,
        email: client.newAccount.email ?? Fn.replace(rootEmailTemplate!.stringValue, '{client}', client.id),
        // Budgets live in this (payer) account, so no role of the client account needs the bill.
        iamUserAccessToBilling: 'DENY',
        // AWS never reports the role name back, and an account's root email cannot change through
        // the API: ignoring both keeps plans clean and never replaces an account.
        lifecycle: {ignoreChanges: ['role_name', 'email'], preventDestroy: true},
        name: client.newAccount.name,
        roleName: model.bootstrapRole,
        tags: client.newAccount.tags,
      })
    }
    // Once a client's account id is in its manifest (or the client is gone), the account leaves this
    // stack: terraform forgets it rather than closing it. A no-op for accounts it never created.
    this.forget([...model.accountsToForget.map((id) => clientAccountAddress(id)), ...model.forgotten])
    const accountOf = (client: (typeof model.clients)[number]) => client.accountId ?? this.accounts[client.id]!.id

    const organization = new DataAwsOrganizationsOrganization(this, 'organization', {})
    const managementRoot = `arn:aws:iam::${managementAccountId}:root`
    const roleArn = (name: string) => `arn:aws:iam::${managementAccountId}:role/${name}`
    const trust = (requireMfa: boolean) =>
      policyDocument([
        {
          Action: 'sts:AssumeRole',
          ...(requireMfa ? {Condition: {Bool: {'aws:MultiFactorAuthPresent': true}}} : {}),
          Principal: {AWS: managementRoot},
          Sid: 'ManagementAccountPrincipals',
        },
      ])
    // A role of the same name in every account of the organization: one statement whatever the size of
    // the fleet (a list of every client's role ARN reaches IAM's 10,240-character limit at ~170 clients).
    const assumeInOrganization = (sid: string, roles: string[]): PolicyStatement => ({
      Action: 'sts:AssumeRole',
      Condition: {StringEquals: {'aws:ResourceOrgID': organization.id}},
      Resource: roles.map((role) => `arn:aws:iam::*:role/${role}`),
      Sid: sid,
    })
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
      roleWithPolicies(this, id, {
        description,
        maxSessionDuration: 3600,
        name,
        policies: {platform: statements},
        trust: trust(requireMfa),
      }).role
    this.roles = {
      admin: role('platformAdmin', model.roles.admin, 'Seiketsu platform administrators', true, [
        assumeInOrganization('AdministerClients', [model.clientRoles.admin]),
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
        // seiketsu cost activate-tags; Cost Explorer has no resource-level permissions.
        {
          Action: ['ce:ListCostAllocationTags', 'ce:UpdateCostAllocationTagsStatus'],
          Resource: '*',
          Sid: 'ActivateCostAllocationTags',
        },
        ...stateStatements,
      ]),
      monitoring: role('monitoring', model.roles.monitoring, 'Read-only monitoring of the platform', false, [
        assumeInOrganization('MonitorClients', [model.clientRoles.readOnly]),
        // Cost Explorer has no resource-level permissions.
        {Action: ['ce:GetCostAndUsage', 'ce:GetCostForecast'], Resource: '*', Sid: 'ReadCosts'},
      ]),
      provisioner: role('provisioner', model.roles.provisioner, 'Provisions client stacks (CI and seiketsu)', false, [
        // The client stacks through each account's provisioner role; the bootstrap stacks through the
        // role Organizations created (or the one named for an account the platform did not create).
        assumeInOrganization('ProvisionClients', [model.clientRoles.provisioner, model.bootstrapRole]),
        ...(model.dns
          ? [{Action: 'sts:AssumeRole', Resource: roleArn(model.roles.dnsDelegation), Sid: 'DelegateClientZones'}]
          : []),
        ...stateStatements,
      ]),
    }
    if (model.dns) this.roles.dnsDelegation = this.dnsDelegation(model, model.dns, roleArn)

    this.trail = this.organizationTrail(model, organization, managementRoot)
    this.imageRepository = this.voiceAgentImages(model, organization)
    this.budgets(model, accountOf, managementRoot)

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
  }

  /**
   * The platform's zone for `domain` (unless an existing one is named) and the role client stacks
   * assume to write their delegation into it: NS records for names under the domain, nothing else.
   */
  private dnsDelegation(
    model: PlatformStackModel,
    dns: NonNullable<PlatformStackModel['dns']>,
    roleArn: (name: string) => string,
  ): IamRole {
    const zone = dns.id
      ? undefined
      : new Route53Zone(this, 'zone', {comment: `${model.platform} client APIs`, name: dns.name})
    const zoneArn = zone ? zone.arn : `arn:aws:route53:::hostedzone/${dns.id}`
    if (zone)
      new TerraformOutput(this, 'zoneNameServers', {
        description: `Delegate ${dns.name} to these name servers at its registrar (or its parent zone).`,
        value: zone.nameServers,
      })
    return roleWithPolicies(this, 'dnsDelegation', {
      description: `Writes the delegation (NS) records of client zones under ${dns.name}`,
      maxSessionDuration: 3600,
      name: model.roles.dnsDelegation,
      policies: {
        'delegate-client-zones': [
          {
            Action: 'route53:ChangeResourceRecordSets',
            Condition: {
              'ForAllValues:StringEquals': {'route53:ChangeResourceRecordSetsRecordTypes': ['NS']},
              'ForAllValues:StringLike': {'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`*.${dns.name}`]},
            },
            Resource: zoneArn,
            Sid: 'WriteClientDelegations',
          },
          {
            Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets', 'route53:ListTagsForResource'],
            Resource: zoneArn,
            Sid: 'ReadPlatformZone',
          },
          {Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*', Sid: 'WaitForChanges'},
          // Finding the zone by name has no resource-level permission.
          {Action: 'route53:ListHostedZonesByName', Resource: '*', Sid: 'FindPlatformZone'},
        ],
      },
      trust: roleTrustPolicy(model.managementAccountId, [roleArn(model.roles.provisioner), roleArn(model.roles.admin)]),
    }).role
  }

  /**
   * The organization trail. CloudTrail can only create one once it has trusted access in
   * Organizations: a precondition refuses the plan with the fix instead of failing mid-apply.
   */
  private organizationTrail(
    model: PlatformStackModel,
    organization: DataAwsOrganizationsOrganization,
    managementRoot: string,
  ): Cloudtrail {
    const {managementAccountId, platform} = model
    const trailArns = `arn:aws:cloudtrail:*:${managementAccountId}:trail/*`
    const trailKey = new KmsKey(this, 'trailKey', {
      deletionWindowInDays: 30,
      description: `${platform}: organization CloudTrail logs`,
      enableKeyRotation: true,
      policy: policyDocument([
        {Action: 'kms:*', Principal: {AWS: managementRoot}, Resource: '*', Sid: 'ManagementAccountAdministersKey'},
        {
          Action: 'kms:GenerateDataKey*',
          Condition: {
            StringEquals: {'aws:SourceArn': model.trail.arn},
            StringLike: {'kms:EncryptionContext:aws:cloudtrail:arn': trailArns},
          },
          Principal: {Service: 'cloudtrail.amazonaws.com'},
          Resource: '*',
          Sid: 'CloudTrailEncryptsLogs',
        },
        // The trail bucket uses an S3 Bucket Key: CloudTrail needs Decrypt to create or update the trail.
        {
          Action: 'kms:Decrypt',
          Condition: {StringEquals: {'aws:SourceArn': model.trail.arn}},
          Principal: {Service: 'cloudtrail.amazonaws.com'},
          Resource: '*',
          Sid: 'CloudTrailDecryptsWithBucketKey',
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
    return new Cloudtrail(this, 'trail', {
      dependsOn: [trailBucket.policy],
      enableLogFileValidation: true,
      enableLogging: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: true,
      isOrganizationTrail: true,
      kmsKeyId: trailKey.arn,
      lifecycle: {
        precondition: [
          {
            condition: Fn.contains(organization.awsServiceAccessPrincipals, 'cloudtrail.amazonaws.com'),
            errorMessage:
              'CloudTrail has no trusted access in AWS Organizations, so the organization trail cannot be created. Enable it once from the management account: aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com (or CloudTrail console, Settings, Organization), then plan again.',
          },
        ],
      },
      name: model.trail.name,
      s3BucketName: trailBucket.bucket.id,
    })
  }

  /**
   * The workspace has no `accounts.rootEmailTemplate`, so the accounts this stack creates have no root
   * email: this variable's validation fails on every plan, with the fix, so terraform never creates an
   * account with a made-up address. The rest of the stack still validates.
   */
  private refuseWithoutRootEmails(): TerraformVariable {
    return new TerraformVariable(this, 'accountRootEmailTemplate', {
      default: '',
      description: 'Root email of the accounts this stack creates, with {client}: accounts.rootEmailTemplate.',
      type: 'string',
      validation: [
        {
          condition: '${var.account_root_email_template != ""}',
          errorMessage:
            "This stack creates AWS accounts, and seiketsu.yaml has no accounts.rootEmailTemplate to give them a platform-owned root email (never a client's own address). Set it, e.g. aws+{client}@ops.example.com, then run seiketsu synth again.",
        },
      ],
    })
  }

  /**
   * The voice-agent images: one repository in the platform region, immutable tags (clients pin a
   * digest), scanned on push, replicated to every other client region, and pullable by the accounts
   * of the organization only. A replicated repository is created by ECR itself: a creation template
   * in each region gives it the same settings and pull policy.
   */
  private voiceAgentImages(model: PlatformStackModel, organization: DataAwsOrganizationsOrganization): EcrRepository {
    const {imageRepository} = model
    const pullPolicy = policyDocument([
      {
        Action: PULL_ACTIONS,
        Condition: {StringEquals: {'aws:PrincipalOrgID': organization.id}},
        Principal: '*',
        Sid: 'OrganizationAccountsPull',
      },
    ])
    const repository = new EcrRepository(this, 'imageRepository', {
      encryptionConfiguration: [{encryptionType: 'AES256'}],
      imageScanningConfiguration: {scanOnPush: true},
      imageTagMutability: 'IMMUTABLE',
      name: imageRepository.name,
    })
    new EcrRepositoryPolicy(this, 'imageRepositoryPolicy', {policy: pullPolicy, repository: repository.name})
    if (imageRepository.replicaRegions.length > 0) {
      new EcrReplicationConfiguration(this, 'imageReplication', {
        replicationConfiguration: {
          rule: [
            {
              destination: imageRepository.replicaRegions.map((region) => ({
                region,
                registryId: model.managementAccountId,
              })),
              repositoryFilter: [{filter: imageRepository.name, filterType: 'PREFIX_MATCH'}],
            },
          ],
        },
      })
      for (const region of imageRepository.replicaRegions) {
        const provider = new AwsProvider(this, `aws-${region}`, {
          alias: region.replaceAll('-', '_'),
          allowedAccountIds: [model.managementAccountId],
          defaultTags: [{tags: model.tags}],
          region,
        })
        new EcrRepositoryCreationTemplate(this, `imageReplicaTemplate-${region}`, {
          appliedFor: ['REPLICATION'],
          description: `Replicas of ${imageRepository.name} in ${region}`,
          encryptionConfiguration: [{encryptionType: 'AES256'}],
          imageTagMutability: 'IMMUTABLE',
          prefix: imageRepository.name,
          provider,
          repositoryPolicy: pullPolicy,
        })
      }
    }
    new TerraformOutput(this, 'imageRepositoryUrl', {
      description: 'Push the voice-agent image here, then set image.digest in seiketsu.yaml to its digest.',
      value: repository.repositoryUrl,
    })
    return repository
  }

  /**
   * Each client's monthly cost budget, in the payer account (a linked-account filter), alerting the
   * platform's alerts topic at 80 % and 100 % of actual spend and 100 % of the forecast. Client
   * accounts deny billing access to roles, so a budget inside them could not be created at all.
   */
  private budgets(
    model: PlatformStackModel,
    accountOf: (client: PlatformStackModel['clients'][number]) => string,
    managementRoot: string,
  ): void {
    const alertsKey = new KmsKey(this, 'alertsKey', {
      deletionWindowInDays: 30,
      description: `${model.platform}: platform alerts (client budgets)`,
      enableKeyRotation: true,
      policy: policyDocument([
        {Action: 'kms:*', Principal: {AWS: managementRoot}, Resource: '*', Sid: 'ManagementAccountAdministersKey'},
        {
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: {StringEquals: {'aws:SourceAccount': model.managementAccountId}},
          Principal: {Service: 'budgets.amazonaws.com'},
          Resource: '*',
          Sid: 'BudgetsPublishToEncryptedTopic',
        },
      ]),
    })
    const topic = new SnsTopic(this, 'alertsTopic', {kmsMasterKeyId: alertsKey.arn, name: model.alertsTopic})
    new SnsTopicPolicy(this, 'alertsTopicPolicy', {
      arn: topic.arn,
      policy: policyDocument([
        {
          Action: 'sns:Publish',
          Condition: {StringEquals: {'aws:SourceAccount': model.managementAccountId}},
          Principal: {Service: 'budgets.amazonaws.com'},
          Resource: `arn:aws:sns:${model.region}:${model.managementAccountId}:${model.alertsTopic}`,
          Sid: 'BudgetsPublish',
        },
      ]),
    })
    if (model.alerts)
      new SnsTopicSubscription(this, 'alertsOnCall', {
        endpoint: model.alerts.endpoint,
        protocol: model.alerts.protocol,
        topicArn: topic.arn,
      })
    const notify = (notificationType: string, threshold: number) => ({
      comparisonOperator: 'GREATER_THAN',
      notificationType,
      subscriberSnsTopicArns: [topic.arn],
      threshold,
      thresholdType: 'PERCENTAGE',
    })
    for (const client of model.clients)
      new BudgetsBudget(this, `budget-${client.id}`, {
        budgetType: 'COST',
        costFilter: [{name: 'LinkedAccount', values: [accountOf(client)]}],
        limitAmount: String(client.budget.limitUsd),
        limitUnit: 'USD',
        name: client.budget.name,
        notification: [notify('ACTUAL', 80), notify('ACTUAL', 100), notify('FORECASTED', 100)],
        timeUnit: 'MONTHLY',
      })
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
