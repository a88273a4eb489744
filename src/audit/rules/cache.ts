import {resourcesOf} from '../../configuration/references.ts'
import {isTrue, str} from '../../configuration/values.ts'
import type {Rule} from '../types.ts'
import {customerKeyProblem, DESIGN, resourceRule, stackRule} from './kit.ts'

const CACHE_TYPES = ['aws_elasticache_replication_group']

export const cacheRules: Rule[] = [
  resourceRule({
    check(cache, stack) {
      if (!isTrue(cache.values.at_rest_encryption_enabled)) return 'at_rest_encryption_enabled is not true'
      return customerKeyProblem(stack, cache.values.kms_key_id, 'kms_key_id')
    },
    domain: 'cache',
    equivalents: {checkov: ['CKV_AWS_29', 'CKV_AWS_191'], trivy: ['AVD-AWS-0045']},
    id: 'SKT-RED-001',
    remediation: "Set at_rest_encryption_enabled = true and kms_key_id = the client's key.",
    requirement: `${DESIGN}: Cache — encrypted at rest (client key).`,
    resourceTypes: CACHE_TYPES,
    severity: 'high',
    title: "The cache is encrypted at rest with the client's key",
  }),
  resourceRule({
    check(cache) {
      if (!isTrue(cache.values.transit_encryption_enabled)) return 'transit_encryption_enabled is not true'
      // "preferred" is the migration mode: the cache still accepts plaintext connections.
      const mode = str(cache.values.transit_encryption_mode)
      return mode === undefined || mode === 'required'
        ? undefined
        : `transit_encryption_mode = "${mode}" accepts plaintext connections; it must be "required" (or absent)`
    },
    domain: 'cache',
    equivalents: {checkov: ['CKV_AWS_30', 'CKV_AWS_31'], trivy: ['AVD-AWS-0051']},
    id: 'SKT-RED-002',
    remediation: 'Set transit_encryption_enabled = true and leave transit_encryption_mode absent or "required".',
    requirement: `${DESIGN}: Cache — encrypted in transit.`,
    resourceTypes: CACHE_TYPES,
    severity: 'high',
    title: 'The cache is encrypted in transit',
  }),
  stackRule({
    check(stack) {
      return resourcesOf(stack, ...CACHE_TYPES).length > 0
        ? []
        : [{address: 'aws_elasticache_replication_group', message: 'no ElastiCache Redis replication group'}]
    },
    domain: 'cache',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-RED-003',
    remediation: 'Create the client cache as an aws_elasticache_replication_group (encryption needs one).',
    requirement: `${DESIGN}: Cache — ElastiCache Redis replication group.`,
    resourceTypes: CACHE_TYPES,
    severity: 'medium',
    title: 'The client has its own Redis replication group',
  }),
]
