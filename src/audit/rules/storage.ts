import type {Resource} from '../../configuration/model.ts'
import {references, resolve, resourcesOf} from '../../configuration/references.ts'
import {at, block, blocks, isFalse, isTrue, str} from '../../configuration/values.ts'
import {policyStatements, type Statement} from '../policies.ts'
import type {Rule, Stack} from '../types.ts'
import {regionOf} from './keys.ts'
import {customerKeyProblem, DESIGN, resourceRule, stackRule} from './kit.ts'
import {openToEveryone} from './principals.ts'

const BUCKET = ['aws_s3_bucket']
const PUBLIC_ACCESS_FLAGS = [
  'block_public_acls',
  'block_public_policy',
  'ignore_public_acls',
  'restrict_public_buckets',
]

/** Resources that configure a bucket: `bucket` references it, or names it literally. */
function configOf(stack: Stack, type: string, bucket: Resource): Resource[] {
  const name = str(bucket.values.bucket)
  return resourcesOf(stack, type).filter(
    (config) =>
      references(config.values.bucket).includes(bucket.address) ||
      (name !== undefined && config.values.bucket === name),
  )
}

export type BucketRole = 'data' | 'replica' | 'log'

const roleCache = new WeakMap<Stack, Map<string, BucketRole>>()

/**
 * What a bucket is for: a replication destination, a log destination (load balancer access logs,
 * server access logs, CloudTrail, flow logs) or data. Replicas and logs carry fewer obligations.
 */
export function bucketRole(stack: Stack, bucket: Resource): BucketRole {
  let roles = roleCache.get(stack)
  if (!roles) {
    roles = new Map()
    const mark = (value: unknown, role: BucketRole) => {
      for (const address of references(value))
        if (stack.byAddress.get(address)?.type === 'aws_s3_bucket') roles!.set(address, role)
      const name = str(value)
      if (name && !name.includes('${'))
        for (const candidate of resourcesOf(stack, 'aws_s3_bucket'))
          if (candidate.values.bucket === name || `arn:aws:s3:::${str(candidate.values.bucket)}` === name)
            roles!.set(candidate.address, role)
    }
    for (const lb of resourcesOf(stack, 'aws_lb', 'aws_alb')) mark(at(lb.values, 'access_logs', 'bucket'), 'log')
    for (const logging of resourcesOf(stack, 'aws_s3_bucket_logging')) mark(logging.values.target_bucket, 'log')
    for (const bucket of resourcesOf(stack, 'aws_s3_bucket')) mark(at(bucket.values, 'logging', 'target_bucket'), 'log')
    for (const trail of resourcesOf(stack, 'aws_cloudtrail')) mark(trail.values.s3_bucket_name, 'log')
    for (const log of resourcesOf(stack, 'aws_flow_log'))
      if (str(log.values.log_destination_type) === 's3') mark(log.values.log_destination, 'log')
    for (const replication of resourcesOf(stack, 'aws_s3_bucket_replication_configuration'))
      for (const rule of blocks(replication.values.rule)) mark(at(rule, 'destination', 'bucket'), 'replica')
    roleCache.set(stack, roles)
  }
  return roles.get(bucket.address) ?? 'data'
}

function encryptionRules(stack: Stack, bucket: Resource) {
  const inline = blocks(at(bucket.values, 'server_side_encryption_configuration', 'rule'))
  const split = configOf(stack, 'aws_s3_bucket_server_side_encryption_configuration', bucket).flatMap((config) =>
    blocks(config.values.rule),
  )
  return [...inline, ...split].map((rule) => block(rule.apply_server_side_encryption_by_default) ?? {})
}

function bucketPolicies(stack: Stack, bucket: Resource): {statements: Statement[]; unknown: boolean} {
  const sources = [
    bucket.values.policy,
    ...configOf(stack, 'aws_s3_bucket_policy', bucket).map((policy) => policy.values.policy),
  ]
  const statements: Statement[] = []
  let unknown = false
  for (const source of sources) {
    if (source === undefined) continue
    const result = policyStatements(stack, source)
    if (result.kind === 'statements') statements.push(...result.statements)
    else unknown = true
  }
  return {statements, unknown}
}

function deniesInsecureTransport(statement: Statement): boolean {
  return (
    statement.effect === 'Deny' &&
    statement.conditions.some(
      (condition) =>
        condition.variable === 'aws:SecureTransport' && condition.test === 'Bool' && condition.values.includes('false'),
    )
  )
}

const S3 = `${DESIGN}: Storage`

export const storageRules: Rule[] = [
  resourceRule({
    check(bucket, stack) {
      const defaults = encryptionRules(stack, bucket)
      const role = bucketRole(stack, bucket)
      if (defaults.length === 0) return 'no default encryption configuration'
      return defaults.flatMap((rule) => {
        const algorithm = str(rule.sse_algorithm)
        // Load balancers write access logs only to SSE-S3 buckets.
        if (role === 'log' && algorithm === 'AES256') return []
        if (algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse')
          return [`sse_algorithm is ${algorithm ?? '(unset)'}, not aws:kms`]
        const problem = customerKeyProblem(stack, rule.kms_master_key_id, 'kms_master_key_id')
        return problem ? [problem] : []
      })
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV_AWS_19', 'CKV_AWS_145'], trivy: ['AVD-AWS-0088', 'AVD-AWS-0132']},
    id: 'SKT-S3-001',
    remediation:
      'Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = "aws:kms" and kms_master_key_id = the client\'s key (log buckets of a load balancer: AES256).',
    requirement: `${S3} — client bucket with SSE-KMS (client key).`,
    resourceTypes: BUCKET,
    severity: 'high',
    title: "Buckets are encrypted with the client's key",
  }),
  resourceRule({
    check(bucket, stack) {
      const blocksFor = configOf(stack, 'aws_s3_bucket_public_access_block', bucket)
      if (blocksFor.length === 0) return 'no aws_s3_bucket_public_access_block'
      const missing = PUBLIC_ACCESS_FLAGS.filter((flag) => !blocksFor.some((config) => isTrue(config.values[flag])))
      return missing.length > 0 ? `public access block leaves ${missing.join(', ')} off` : undefined
    },
    domain: 'storage',
    equivalents: {
      checkov: ['CKV2_AWS_6', 'CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56'],
      trivy: ['AVD-AWS-0086', 'AVD-AWS-0087', 'AVD-AWS-0091', 'AVD-AWS-0093', 'AVD-AWS-0094'],
    },
    id: 'SKT-S3-002',
    remediation: `Add aws_s3_bucket_public_access_block with ${PUBLIC_ACCESS_FLAGS.join(', ')} all true.`,
    requirement: `${S3} — all four public-access blocks.`,
    resourceTypes: BUCKET,
    severity: 'critical',
    title: 'Buckets block every kind of public access',
  }),
  resourceRule({
    check(bucket, stack) {
      const problems: string[] = []
      const enforced = configOf(stack, 'aws_s3_bucket_ownership_controls', bucket).some(
        (controls) => str(at(controls.values, 'rule', 'object_ownership')) === 'BucketOwnerEnforced',
      )
      if (!enforced) problems.push('object ownership is not BucketOwnerEnforced, so ACLs still apply')
      if (bucket.values.acl !== undefined || configOf(stack, 'aws_s3_bucket_acl', bucket).length > 0)
        problems.push('an ACL is set')
      return problems
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV2_AWS_65'], trivy: []},
    id: 'SKT-S3-003',
    remediation: 'Add aws_s3_bucket_ownership_controls with object_ownership = "BucketOwnerEnforced" and drop any ACL.',
    requirement: `${S3} — ACLs disabled.`,
    resourceTypes: BUCKET,
    severity: 'medium',
    title: 'Bucket ACLs are disabled',
  }),
  resourceRule({
    check(bucket, stack) {
      if (bucketRole(stack, bucket) === 'log') return undefined
      const inline = isTrue(at(bucket.values, 'versioning', 'enabled'))
      const split = configOf(stack, 'aws_s3_bucket_versioning', bucket).some(
        (config) => str(at(config.values, 'versioning_configuration', 'status')) === 'Enabled',
      )
      return inline || split ? undefined : 'versioning is not enabled'
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV_AWS_21'], trivy: ['AVD-AWS-0090']},
    id: 'SKT-S3-004',
    remediation: 'Add aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" }.',
    requirement: `${S3} — versioning.`,
    resourceTypes: BUCKET,
    severity: 'medium',
    title: 'Buckets keep object versions',
  }),
  resourceRule({
    check(bucket, stack) {
      const {statements, unknown} = bucketPolicies(stack, bucket)
      if (unknown) return undefined
      return statements.some(deniesInsecureTransport)
        ? undefined
        : 'no bucket policy denies requests without TLS (aws:SecureTransport = false)'
    },
    domain: 'storage',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-S3-005',
    remediation:
      'Add a bucket policy statement: Deny s3:* on the bucket and its objects when Bool aws:SecureTransport = "false".',
    requirement: `${S3} — TLS-only bucket policy.`,
    resourceTypes: BUCKET,
    severity: 'high',
    title: 'Buckets refuse requests without TLS',
  }),
  resourceRule({
    check(bucket, stack) {
      if (bucketRole(stack, bucket) !== 'data') return undefined
      const rules = [
        ...blocks(bucket.values.lifecycle_rule),
        ...configOf(stack, 'aws_s3_bucket_lifecycle_configuration', bucket).flatMap((config) =>
          blocks(config.values.rule),
        ),
      ]
      const archives = rules.some(
        (rule) =>
          !isFalse(rule.enabled) &&
          str(rule.status) !== 'Disabled' &&
          (blocks(rule.transition).length > 0 || blocks(rule.noncurrent_version_transition).length > 0),
      )
      return archives ? undefined : 'no enabled lifecycle rule archives objects (transition)'
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV2_AWS_61'], trivy: []},
    id: 'SKT-S3-006',
    remediation:
      'Add aws_s3_bucket_lifecycle_configuration with an enabled rule that transitions objects to an archive class.',
    requirement: `${S3} — lifecycle archival; seed: S3 lifecycle policies for data archival.`,
    resourceTypes: BUCKET,
    severity: 'low',
    title: 'Client data is archived by lifecycle rules',
  }),
  resourceRule({
    check(bucket, stack) {
      if (bucketRole(stack, bucket) !== 'data') return undefined
      const configs = [
        ...configOf(stack, 'aws_s3_bucket_replication_configuration', bucket),
        ...(bucket.values.replication_configuration ? [bucket] : []),
      ]
      const rules = configs.flatMap((config) =>
        config === bucket
          ? blocks(at(bucket.values, 'replication_configuration', 'rules'))
          : blocks(config.values.rule),
      )
      const enabled = rules.filter((rule) => (str(rule.status) ?? 'Enabled') === 'Enabled')
      if (enabled.length === 0) return 'no enabled cross-region replication'
      const region = regionOf(stack, bucket)
      const sameRegion = enabled.every((rule) => {
        const target = resolve(stack, at(rule, 'destination', 'bucket'), BUCKET)
        return target !== undefined && regionOf(stack, target) === region
      })
      return sameRegion ? 'replication targets a bucket in the same region' : undefined
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV_AWS_144'], trivy: []},
    id: 'SKT-S3-007',
    remediation:
      "Add aws_s3_bucket_replication_configuration to a versioned, KMS-encrypted bucket in the client's DR region.",
    requirement: `${S3} — cross-region replication; seed: Application Data: cross-region S3 replication.`,
    resourceTypes: BUCKET,
    severity: 'medium',
    title: 'Client data is replicated to the DR region',
  }),
  resourceRule({
    check(resource, stack) {
      const bucket = resource.type === 'aws_s3_bucket' ? resource : undefined
      const result = policyStatements(stack, bucket ? bucket.values.policy : resource.values.policy)
      if (result.kind !== 'statements') return undefined
      return result.statements.flatMap((statement) => {
        const problem = openToEveryone(stack, statement)
        return problem ? [`bucket policy ${problem}`] : []
      })
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV_AWS_70'], trivy: []},
    id: 'SKT-S3-008',
    remediation:
      'Name the principals that need access; "*" only with a condition on aws:SourceAccount, aws:SourceArn, aws:PrincipalAccount or the VPC endpoint that names the client\'s own (aws:SecureTransport limits how, not who).',
    requirement: `${S3} — all four public-access blocks (no public bucket); seed: storage isolation.`,
    resourceTypes: ['aws_s3_bucket_policy', 'aws_s3_bucket'],
    severity: 'critical',
    title: 'Bucket policies grant nothing to everyone',
  }),
  resourceRule({
    check(queue, stack) {
      if (queue.values.kms_master_key_id === undefined && isTrue(queue.values.sqs_managed_sse_enabled))
        return "encrypted with an SQS-managed key, not the client's customer-managed key"
      return customerKeyProblem(stack, queue.values.kms_master_key_id, 'kms_master_key_id')
    },
    domain: 'storage',
    equivalents: {checkov: ['CKV_AWS_27'], trivy: ['AVD-AWS-0096', 'AVD-AWS-0135']},
    id: 'SKT-SQS-001',
    remediation: "Set kms_master_key_id = the client's key on every queue.",
    requirement: `${DESIGN}: Keys — a customer-managed KMS key per client; seed: AES-256 encryption of all data at rest.`,
    resourceTypes: ['aws_sqs_queue'],
    severity: 'medium',
    title: "Queues are encrypted with the client's key",
  }),
  stackRule({
    check(stack) {
      const data = resourcesOf(stack, 'aws_s3_bucket').filter((bucket) => bucketRole(stack, bucket) === 'data')
      return data.length > 0 ? [] : [{address: 'aws_s3_bucket', message: 'no client data bucket'}]
    },
    domain: 'storage',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-S3-009',
    remediation:
      'Create the client bucket (with its encryption, public-access block, ownership, versioning, policy, lifecycle and replication).',
    requirement: `${S3} — client bucket.`,
    resourceTypes: BUCKET,
    severity: 'medium',
    title: 'The client has its own bucket',
  }),
]
