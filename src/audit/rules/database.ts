import type {Resource} from '../../configuration/model.ts'
import {references, resolve, resourcesOf} from '../../configuration/references.ts'
import {blocks, isFalse, isTrue, num, str, strings} from '../../configuration/values.ts'
import {subnetGroupByName, subnetRouting, subnetsOf} from '../network-model.ts'
import type {Rule, Stack} from '../types.ts'
import {regionOf} from './keys.ts'
import {customerKeyProblem, DESIGN, resourceRule, stackRule} from './kit.ts'

const DB_TYPES = ['aws_db_instance']
const SEED_BACKUP = 'seed, Disaster Recovery: automated daily backups with 30-day retention'
const BACKUP_DAYS = 30

function isReplica(db: Resource): boolean {
  return Boolean(db.values.replicate_source_db)
}

function primaries(stack: Stack): Resource[] {
  return resourcesOf(stack, ...DB_TYPES).filter((db) => !isReplica(db))
}

function parameterGroup(stack: Stack, db: Resource): Resource | undefined {
  const value = db.values.parameter_group_name
  return (
    resolve(stack, value, ['aws_db_parameter_group']) ??
    resourcesOf(stack, 'aws_db_parameter_group').find((group) => str(group.values.name) === str(value))
  )
}

export const databaseRules: Rule[] = [
  resourceRule({
    check(db, stack) {
      if (!isTrue(db.values.storage_encrypted) && !isReplica(db)) return 'storage_encrypted is not true'
      return customerKeyProblem(stack, db.values.kms_key_id, 'kms_key_id')
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_16'], trivy: ['AVD-AWS-0080']},
    id: 'SKT-RDS-001',
    remediation: "Set storage_encrypted = true and kms_key_id = the client's key.",
    requirement: `${DESIGN}: Database — encrypted with the client key.`,
    resourceTypes: DB_TYPES,
    severity: 'high',
    title: "The database is encrypted with the client's key",
  }),
  resourceRule({
    check(db) {
      return isTrue(db.values.publicly_accessible) ? 'publicly_accessible = true' : undefined
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_17'], trivy: ['AVD-AWS-0180']},
    id: 'SKT-RDS-002',
    remediation: 'Set publicly_accessible = false.',
    requirement: `${DESIGN}: Database — not public.`,
    resourceTypes: DB_TYPES,
    severity: 'critical',
    title: 'The database is not publicly accessible',
  }),
  resourceRule({
    check(db, stack) {
      const groupValue = db.values.db_subnet_group_name
      if (!groupValue) return isReplica(db) ? undefined : 'no db_subnet_group_name: it would land in the default VPC'
      const group =
        resolve(stack, groupValue, ['aws_db_subnet_group']) ??
        subnetGroupByName(stack, 'aws_db_subnet_group', groupValue)
      if (!group) return undefined
      return subnetsOf(stack, group.values.subnet_ids)
        .filter((subnet) => subnetRouting(stack, subnet) !== 'isolated')
        .map(
          (subnet) =>
            `subnet ${subnet.address} of ${group.address} routes to the internet (${subnetRouting(stack, subnet)})`,
        )
    },
    domain: 'database',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-RDS-003',
    remediation: 'Put the database in a subnet group of isolated subnets (no route to an internet or NAT gateway).',
    requirement: `${DESIGN}: Database — in isolated subnets.`,
    resourceTypes: DB_TYPES,
    severity: 'high',
    title: 'The database lives in isolated subnets',
  }),
  resourceRule({
    check(db, stack) {
      if (!(str(db.values.engine) ?? '').includes('postgres') && !isReplica(db)) return undefined
      const group = parameterGroup(stack, db)
      if (!group) return 'no parameter group of this configuration: rds.force_ssl is left at its default'
      const forced = blocks(group.values.parameter).some(
        (parameter) => parameter.name === 'rds.force_ssl' && String(parameter.value) === '1',
      )
      return forced ? undefined : `parameter group ${group.address} does not set rds.force_ssl = 1`
    },
    domain: 'database',
    equivalents: {checkov: ['CKV2_AWS_69'], trivy: []},
    id: 'SKT-RDS-004',
    remediation: 'Use an aws_db_parameter_group with parameter { name = "rds.force_ssl", value = "1" }.',
    requirement: `${DESIGN}: Database — rds.force_ssl; seed: TLS for data in transit.`,
    resourceTypes: DB_TYPES,
    severity: 'high',
    title: 'The database refuses connections without TLS',
  }),
  resourceRule({
    check(db) {
      return isTrue(db.values.iam_database_authentication_enabled)
        ? undefined
        : 'iam_database_authentication_enabled is not true'
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_161'], trivy: ['AVD-AWS-0176']},
    id: 'SKT-RDS-005',
    remediation: 'Set iam_database_authentication_enabled = true.',
    requirement: `${DESIGN}: Database — IAM auth.`,
    resourceTypes: DB_TYPES,
    severity: 'medium',
    title: 'The database accepts IAM authentication',
  }),
  resourceRule({
    check(db) {
      const problems: string[] = []
      if (db.values.password !== undefined && db.values.password !== null)
        problems.push('a master password is set in Terraform')
      if (!isReplica(db) && !isTrue(db.values.manage_master_user_password))
        problems.push('manage_master_user_password is not true')
      return problems
    },
    domain: 'database',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-RDS-006',
    remediation:
      'Remove password and set manage_master_user_password = true (RDS keeps the credential in Secrets Manager).',
    requirement: `${DESIGN}: Database — RDS-managed master password (no password in Terraform).`,
    resourceTypes: DB_TYPES,
    severity: 'critical',
    title: 'RDS manages the master password',
  }),
  resourceRule({
    check(db) {
      return isTrue(db.values.deletion_protection) ? undefined : 'deletion_protection is not true'
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_293'], trivy: ['AVD-AWS-0177']},
    id: 'SKT-RDS-007',
    remediation: 'Set deletion_protection = true.',
    requirement: `${DESIGN}: Database — deletion protection.`,
    resourceTypes: DB_TYPES,
    severity: 'medium',
    title: 'The database has deletion protection',
  }),
  resourceRule({
    check(db) {
      if (isReplica(db)) return undefined
      const days = num(db.values.backup_retention_period)
      return days !== undefined && days >= BACKUP_DAYS
        ? undefined
        : `backups are kept ${days ?? 'the default 1'} day(s), not ${BACKUP_DAYS}`
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_133'], trivy: ['AVD-AWS-0077']},
    id: 'SKT-RDS-008',
    remediation: `Set backup_retention_period = ${BACKUP_DAYS} (point-in-time recovery covers the same window).`,
    requirement: `${DESIGN}: Database — PITR (≥ 7 days), daily backups kept 30 days; ${SEED_BACKUP}.`,
    resourceTypes: DB_TYPES,
    severity: 'high',
    title: 'Backups are kept 30 days',
  }),
  resourceRule({
    check(db, stack) {
      if (isReplica(db)) return undefined
      const copies = resourcesOf(stack, 'aws_db_instance_automated_backups_replication').filter((copy) =>
        references(copy.values.source_db_instance_arn).includes(db.address),
      )
      if (copies.length === 0) return 'its automated backups are not copied to the DR region'
      return copies.flatMap((copy) => {
        const problems: string[] = []
        const mainRegion = regionOf(stack, db)
        const copyRegion = regionOf(stack, copy)
        if (copyRegion === undefined || copyRegion === mainRegion)
          problems.push(`${copy.address} is not created in another region`)
        const key = customerKeyProblem(stack, copy.values.kms_key_id, `${copy.address} kms_key_id`)
        if (key) problems.push(key)
        return problems
      })
    },
    domain: 'database',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-RDS-009',
    remediation:
      'Add an aws_db_instance_automated_backups_replication through the DR-region provider, encrypted with the DR key.',
    requirement: `${DESIGN}: Database — daily backups copied to the DR region; ${SEED_BACKUP}.`,
    resourceTypes: DB_TYPES,
    severity: 'medium',
    title: 'Backups are copied to the DR region',
  }),
  resourceRule({
    check(db, stack) {
      const tier = stack.client?.tier
      if (!tier || isReplica(db)) return undefined
      const problems: string[] = []
      if (isTrue(db.values.multi_az) !== tier.database.multiAz)
        problems.push(`multi_az is ${isTrue(db.values.multi_az)}; the ${tier.name} tier sets ${tier.database.multiAz}`)
      const replicas = resourcesOf(stack, ...DB_TYPES).filter((candidate) =>
        references(candidate.values.replicate_source_db).includes(db.address),
      )
      if (replicas.length !== tier.database.readReplicas)
        problems.push(`${replicas.length} read replica(s); the ${tier.name} tier sets ${tier.database.readReplicas}`)
      return problems
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_157'], trivy: []},
    id: 'SKT-RDS-010',
    remediation: "Set multi_az and the number of read replicas (replicate_source_db) from the client's tier.",
    requirement: `${DESIGN}: Database — Multi-AZ and read replicas per tier.`,
    resourceTypes: DB_TYPES,
    severity: 'medium',
    title: 'Multi-AZ and read replicas follow the tier',
  }),
  resourceRule({
    check(db) {
      if (isFalse(db.values.auto_minor_version_upgrade)) return 'auto_minor_version_upgrade = false'
      const exports = strings(db.values.enabled_cloudwatch_logs_exports)
      return exports.includes('postgresql') ||
        !(str(db.values.engine) ?? 'postgres').includes('postgres') ||
        isReplica(db)
        ? undefined
        : 'PostgreSQL logs are not exported to CloudWatch (enabled_cloudwatch_logs_exports)'
    },
    domain: 'database',
    equivalents: {checkov: ['CKV_AWS_129', 'CKV_AWS_226'], trivy: []},
    id: 'SKT-RDS-011',
    remediation: 'Set enabled_cloudwatch_logs_exports = ["postgresql"] and keep automatic minor upgrades on.',
    requirement: `${DESIGN}: Observability — encrypted log groups with retention; seed: audit trails.`,
    resourceTypes: DB_TYPES,
    severity: 'low',
    title: 'Database logs are exported and minor upgrades are automatic',
  }),
  stackRule({
    check(stack) {
      const postgres = primaries(stack).filter((db) => (str(db.values.engine) ?? '').startsWith('postgres'))
      return postgres.length > 0 ? [] : [{address: 'aws_db_instance', message: 'no RDS PostgreSQL instance'}]
    },
    domain: 'database',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-RDS-012',
    remediation: 'Create the client database as an aws_db_instance with engine = "postgres".',
    requirement: `${DESIGN}: Database — RDS PostgreSQL.`,
    resourceTypes: DB_TYPES,
    severity: 'medium',
    title: 'The client has its own PostgreSQL database',
  }),
]
