import type {Resource} from '../../configuration/model.ts'
import {resolve, resourcesOf} from '../../configuration/references.ts'
import {arnAccount, blocks, str, strings} from '../../configuration/values.ts'
import {CLIENT_ROLES, PLATFORM_ROLES, PROVISIONER_ROLE} from '../../naming.ts'
import {hasWildcardPrincipal, policyStatements, type Statement} from '../policies.ts'
import type {Rule, Stack} from '../types.ts'
import {DESIGN, none, ownAccount, resourceRule, stackRule} from './kit.ts'
import {foreignTrustedPrincipals, openToEveryone} from './principals.ts'

const POLICY_TYPES = [
  'aws_iam_policy',
  'aws_iam_role_policy',
  'aws_iam_user_policy',
  'aws_iam_group_policy',
  'aws_iam_role',
]
const ATTACHMENT_TYPES = [
  'aws_iam_role_policy_attachment',
  'aws_iam_policy_attachment',
  'aws_iam_user_policy_attachment',
  'aws_iam_group_policy_attachment',
  'aws_iam_role_policy_attachments_exclusive',
  'aws_iam_role',
]
/** Resource policies outside S3 and KMS (which have rules of their own). */
const RESOURCE_POLICY_TYPES = [
  'aws_sns_topic_policy',
  'aws_sns_topic',
  'aws_sqs_queue_policy',
  'aws_sqs_queue',
  'aws_secretsmanager_secret_policy',
  'aws_secretsmanager_secret',
  'aws_ecr_repository_policy',
  'aws_cloudwatch_log_resource_policy',
]
const ADMIN_POLICIES = /:policy\/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$/
/**
 * AWS-managed policies that grant a whole service (or all of it but IAM): `AmazonS3FullAccess`,
 * `SecretsManagerReadWrite`, `AWSLambda_FullAccess`, `AWSKeyManagementServicePowerUser`… They name no
 * resource, so a role holding one reaches every bucket, secret or key of the account.
 */
const BROAD_AWS_POLICIES =
  /^arn:aws[\w-]*:iam::aws:policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]*(FullAccess|ReadWrite|ReadWriteAccess|PowerUser)(_v\d+)?$/

/**
 * The bootstrap stack's provisioner role: it creates every resource of the client stack (IAM roles
 * included), so it holds administrator rights in the client's account; acceptable only when its
 * trust admits the platform's provisioner role in the management account and nobody else.
 */
function isBootstrapProvisioner(stack: Stack, attachment: Resource): boolean {
  if (stack.kind !== 'bootstrap' || attachment.type === 'aws_iam_role') return false
  const role = resolve(stack, attachment.values.role, ['aws_iam_role'])
  if (!role || str(role.values.name) !== PROVISIONER_ROLE) return false
  const management = stack.client?.managementAccountId
  const trust = policyStatements(stack, role.values.assume_role_policy)
  if (trust.kind !== 'statements' || trust.statements.length === 0) return false
  return trust.statements.every((statement) => {
    const trusted = trustedRoleArns(statement)
    return (
      statement.effect === 'Allow' &&
      trusted.length > 0 &&
      trusted.every(
        (arn) => arn.endsWith(`:role/${PLATFORM_ROLES[1]}`) && (!management || arnAccount(arn) === management),
      )
    )
  })
}

/** The role ARNs a trust statement admits: named principals, or an account root narrowed by aws:PrincipalArn. */
function trustedRoleArns(statement: Statement): string[] {
  const principals = statement.principals.flatMap((principal) =>
    principal.type === 'AWS' ? principal.identifiers : ['(not an IAM principal)'],
  )
  const narrowed = statement.conditions
    .filter((condition) => /^Arn(Equals|Like)$|^StringEquals$/.test(condition.test))
    .filter((condition) => condition.variable.toLowerCase() === 'aws:principalarn')
    .flatMap((condition) => condition.values)
  return principals.flatMap((principal) => (/:root$/.test(principal) && narrowed.length > 0 ? narrowed : [principal]))
}

/** The policy attribute of a resource-policy resource. */
function resourcePolicyOf(resource: Resource): unknown {
  return resource.type === 'aws_cloudwatch_log_resource_policy'
    ? resource.values.policy_document
    : resource.values.policy
}

/** The managed policy ARNs a role or an attachment attaches. */
function attachedPolicyArns(resource: Resource): string[] {
  if (resource.type === 'aws_iam_role') return strings(resource.values.managed_policy_arns)
  if (resource.type === 'aws_iam_role_policy_attachments_exclusive') return strings(resource.values.policy_arns)
  return strings(resource.values.policy_arn)
}

/**
 * Actions that AWS authorizes only on Resource "*" (they have no resource-level permissions): a
 * wildcard resource is the only way to grant them.
 */
const RESOURCELESS_ACTIONS = [
  /^ecr:GetAuthorizationToken$/,
  /^cloudwatch:(PutMetricData|GetMetricData|GetMetricStatistics|ListMetrics|DescribeAlarms?\w*)$/,
  /^logs:(DescribeLogGroups|DescribeQueries|GetLogDelivery|ListLogDeliveries|DescribeResourcePolicies)$/,
  /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/,
  /^ec2:Describe\w+$/,
  /^sts:GetCallerIdentity$/,
  /^kms:ListAliases$/,
  /^secretsmanager:(ListSecrets|GetRandomPassword)$/,
  /^s3:ListAllMyBuckets$/,
  /^tag:GetResources$/,
  /^ce:\w+$/,
  /^ecs:(DescribeClusters|ListClusters|CreateCluster|RegisterTaskDefinition|DeregisterTaskDefinition|DescribeTaskDefinition|ListTaskDefinitions)$/,
  /^elasticloadbalancing:Describe\w+$/,
  /^rds:Describe\w+$/,
  /^elasticache:Describe\w+$/,
  /^application-autoscaling:Describe\w+$/,
  /^route53:(ListHostedZones|ListHostedZonesByName|GetHostedZoneCount|ListHealthChecks)$/,
  /^organizations:(DescribeOrganization|ListAccounts|ListRoots|ListCreateAccountStatus|ListAWSServiceAccessForOrganization|ListDelegatedAdministrators|ListPolicies|CreateAccount|EnableAWSServiceAccess)$/,
]

/** Policy-bearing resources with rules elsewhere (keys, buckets). */
const OTHER_POLICY_TYPES = ['aws_kms_key', 'aws_kms_replica_key', 'aws_s3_bucket_policy', 'aws_s3_bucket']

/** Every policy a resource carries, by attribute: what SKT-IAM-008 makes sure the other rules could read. */
function policyAttributes(resource: Resource): {attribute: string; value: unknown}[] {
  if (resource.type === 'aws_iam_role')
    return [
      {attribute: 'assume_role_policy', value: resource.values.assume_role_policy},
      ...blocks(resource.values.inline_policy).map((inline, index) => ({
        attribute: `inline_policy[${index}].policy`,
        value: inline.policy,
      })),
    ]
  if (resource.type === 'aws_cloudwatch_log_resource_policy')
    return [{attribute: 'policy_document', value: resource.values.policy_document}]
  return [{attribute: 'policy', value: resource.values.policy}]
}

/** A value, cut short for a message. */
function brief(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

/** The policy documents a resource carries (inline role policies included). */
function policiesOf(resource: Resource): unknown[] {
  if (resource.type === 'aws_iam_role') return blocks(resource.values.inline_policy).map((inline) => inline.policy)
  return [resource.values.policy]
}

function allowStatements(stack: Stack, resource: Resource): Statement[] {
  return policiesOf(resource).flatMap((policy) => {
    const result = policyStatements(stack, policy)
    return result.kind === 'statements' ? result.statements.filter((statement) => statement.effect === 'Allow') : []
  })
}

/** Who a client role may trust, as the stack's context knows it. */
function trusted(stack: Stack): string {
  const own = ownAccount(stack)
  const management = stack.client?.managementAccountId
  const parts = [
    own ? `the client's account ${own}` : undefined,
    management ? `roles of the management account ${management}` : 'the platform roles',
  ].filter(Boolean)
  return `only ${parts.join(' or ')} may`
}

export const iamRules: Rule[] = [
  resourceRule({
    check(resource, stack) {
      return allowStatements(stack, resource).flatMap((statement) => {
        // `s3:Get*` and `secretsmanager:*Secret*` grant actions nobody listed, as `s3:*` does.
        const wild = statement.actions.filter((action) => action.includes('*') || action.includes('?'))
        const problems = wild.length > 0 ? [`allows wildcard action(s) ${wild.join(', ')}`] : []
        if (statement.notActions.length > 0) problems.push('allows NotAction: every action but the listed ones')
        return problems
      })
    },
    domain: 'iam',
    equivalents: {checkov: ['CKV_AWS_62', 'CKV_AWS_63', 'CKV_AWS_289'], trivy: ['AVD-AWS-0057']},
    id: 'SKT-IAM-001',
    remediation: 'List the actions each role needs; no wildcard: not "*", "<service>:*" nor "<service>:Get*".',
    requirement: `${DESIGN}: IAM — SeiketsuClientAdmin, SeiketsuClientApp, SeiketsuClientReadOnly with explicit resource ARNs, no wildcards.`,
    resourceTypes: POLICY_TYPES,
    severity: 'high',
    title: 'IAM policies name their actions',
  }),
  resourceRule({
    check(resource, stack) {
      return allowStatements(stack, resource).flatMap((statement) => {
        if (!statement.resources.includes('*') && statement.notResources.length === 0) return []
        if (statement.notResources.length > 0) return ['allows NotResource: every resource but the listed ones']
        const scoped = statement.actions.filter(
          (action) => !RESOURCELESS_ACTIONS.some((pattern) => pattern.test(action)),
        )
        return scoped.length > 0 ? [`allows ${scoped.join(', ')} on Resource "*"`] : []
      })
    },
    domain: 'iam',
    equivalents: {checkov: ['CKV_AWS_355', 'CKV_AWS_290'], trivy: ['AVD-AWS-0057']},
    id: 'SKT-IAM-002',
    remediation:
      'Name the resource ARNs (the client bucket, key, secrets, log groups); "*" only for actions that support nothing else.',
    requirement: `${DESIGN}: IAM — explicit resource ARNs, no wildcards.`,
    resourceTypes: POLICY_TYPES,
    severity: 'high',
    title: 'IAM policies name their resources',
  }),
  resourceRule({
    check(role, stack) {
      const result = policyStatements(stack, role.values.assume_role_policy)
      if (result.kind !== 'statements') return undefined
      return result.statements
        .filter((statement) => statement.effect === 'Allow')
        .flatMap((statement) => {
          const problems: string[] = []
          if (hasWildcardPrincipal(statement))
            problems.push('the trust policy lets any principal ("*") assume the role')
          const services = statement.principals.filter((p) => p.type === 'Service').flatMap((p) => p.identifiers)
          if (services.some((service) => service.includes('*')))
            problems.push('the trust policy trusts a wildcard service')
          const foreign = foreignTrustedPrincipals(stack, statement)
          if (foreign.length > 0)
            problems.push(`the trust policy lets ${foreign.join(', ')} assume the role: ${trusted(stack)}`)
          return problems
        })
    },
    domain: 'iam',
    equivalents: {checkov: ['CKV_AWS_60', 'CKV_AWS_61'], trivy: []},
    id: 'SKT-IAM-003',
    remediation:
      "Trust named principals only: the service (with aws:SourceAccount), the client's own account, or a role of the platform's management account.",
    requirement: `${DESIGN}: IAM — least privilege; seed: IAM Security Model.`,
    resourceTypes: ['aws_iam_role'],
    severity: 'high',
    title: 'Role trust policies name who may assume them',
  }),
  resourceRule({
    check(resource, stack) {
      if (isBootstrapProvisioner(stack, resource)) return undefined
      return attachedPolicyArns(resource)
        .filter((arn) => ADMIN_POLICIES.test(arn))
        .map((arn) => `attaches ${arn}`)
    },
    domain: 'iam',
    equivalents: {checkov: ['CKV_AWS_274', 'CKV2_AWS_40', 'CKV2_AWS_56'], trivy: []},
    id: 'SKT-IAM-004',
    remediation:
      "Replace the AWS-managed admin policy with a policy listing the actions and resources the role needs. (The one exception: a bootstrap stack's SeiketsuClientProvisioner, which creates the whole client stack and may be assumed by the platform's provisioner role only.)",
    requirement: `${DESIGN}: IAM — explicit resource ARNs, no wildcards.`,
    resourceTypes: ATTACHMENT_TYPES,
    severity: 'critical',
    title: 'No administrator-equivalent managed policies',
  }),
  resourceRule({
    check(resource, stack) {
      const result = policyStatements(stack, resourcePolicyOf(resource))
      if (result.kind !== 'statements') return undefined
      return result.statements.flatMap((statement) => {
        const problem = openToEveryone(stack, statement)
        return problem ? [`the resource policy ${problem}`] : []
      })
    },
    domain: 'iam',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-IAM-006',
    remediation:
      'Name the principals (a service with aws:SourceAccount, or the client\'s roles); "*" only with a condition on aws:SourceAccount, aws:SourceArn, aws:PrincipalAccount or the VPC endpoint that names the client\'s own.',
    requirement: `${DESIGN}: IAM — least privilege; seed: complete data separation.`,
    resourceTypes: RESOURCE_POLICY_TYPES,
    severity: 'critical',
    title: 'Resource policies grant nothing to everyone',
  }),
  resourceRule({
    check(resource) {
      return attachedPolicyArns(resource)
        .filter((arn) => BROAD_AWS_POLICIES.test(arn) && !ADMIN_POLICIES.test(arn))
        .map((arn) => `attaches ${arn}: every resource of the service, not the client's own`)
    },
    domain: 'iam',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-IAM-007',
    remediation:
      'Replace the AWS-managed …FullAccess / …ReadWrite / …PowerUser policy with a policy listing the actions and the client resource ARNs the role needs.',
    requirement: `${DESIGN}: IAM — explicit resource ARNs, no wildcards.`,
    resourceTypes: ATTACHMENT_TYPES,
    severity: 'high',
    title: 'No service-wide AWS-managed policies',
  }),
  resourceRule({
    check(resource, stack) {
      const unreadable = policyAttributes(resource).filter(
        ({value}) => policyStatements(stack, value).kind === 'unknown',
      )
      return unreadable.map(({attribute, value}) =>
        stack.fromPlan
          ? `${attribute} is only known after apply (${brief(value)}), so who and what it allows cannot be verified`
          : `${attribute} cannot be verified statically (${brief(value)}); audit the plan with --plan-json`,
      )
    },
    domain: 'iam',
    equivalents: none,
    id: 'SKT-IAM-008',
    remediation:
      'Write the policy as JSON text or an aws_iam_policy_document of the configuration, or audit `terraform show -json` of the plan (--plan-json), where the policy is a value.',
    requirement: `${DESIGN}: IAM — explicit resource ARNs, no wildcards; Keys — key policy naming only that client's account.`,
    resourceTypes: [...new Set([...POLICY_TYPES, ...RESOURCE_POLICY_TYPES, ...OTHER_POLICY_TYPES])],
    severity: 'medium',
    title: 'Policies can be read by the audit',
  }),
  stackRule({
    check(stack) {
      const names = resourcesOf(stack, 'aws_iam_role').map((role) => str(role.values.name) ?? '')
      return CLIENT_ROLES.filter((role) => !names.includes(role)).map((role) => ({
        address: 'aws_iam_role',
        message: `no ${role} role`,
      }))
    },
    domain: 'iam',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-IAM-005',
    remediation: `Create the client roles ${CLIENT_ROLES.join(', ')} with explicit, least-privilege policies.`,
    requirement: `${DESIGN}: IAM — SeiketsuClientAdmin, SeiketsuClientApp, SeiketsuClientReadOnly.`,
    resourceTypes: ['aws_iam_role'],
    severity: 'medium',
    title: 'The client roles exist',
  }),
]
