import {isTrue} from '../../configuration/values.ts'
import type {Rule} from '../types.ts'
import {customerKeyProblem, resourceRule} from './kit.ts'

const PLATFORM =
  'DESIGN.md, platform stack: the organization CloudTrail; seed: audit trails (complete API and data access logging)'

export const trailRules: Rule[] = [
  resourceRule({
    check(trail) {
      return isTrue(trail.values.is_multi_region_trail) ? undefined : 'is_multi_region_trail is not true'
    },
    domain: 'trail',
    equivalents: {checkov: ['CKV_AWS_67'], trivy: ['AVD-AWS-0014']},
    id: 'SKT-TRL-001',
    remediation: 'Set is_multi_region_trail = true (and is_organization_trail = true for the platform trail).',
    requirement: PLATFORM,
    resourceTypes: ['aws_cloudtrail'],
    severity: 'medium',
    title: 'CloudTrail covers every region',
  }),
  resourceRule({
    check(trail) {
      return isTrue(trail.values.enable_log_file_validation) ? undefined : 'enable_log_file_validation is not true'
    },
    domain: 'trail',
    equivalents: {checkov: ['CKV_AWS_36'], trivy: ['AVD-AWS-0016']},
    id: 'SKT-TRL-002',
    remediation: 'Set enable_log_file_validation = true.',
    requirement: PLATFORM,
    resourceTypes: ['aws_cloudtrail'],
    severity: 'medium',
    title: 'CloudTrail log files can be validated',
  }),
  resourceRule({
    check(trail, stack) {
      return customerKeyProblem(stack, trail.values.kms_key_id, 'kms_key_id')
    },
    domain: 'trail',
    equivalents: {checkov: ['CKV_AWS_35'], trivy: ['AVD-AWS-0015']},
    id: 'SKT-TRL-003',
    remediation: 'Set kms_key_id to a customer-managed key of the platform account.',
    requirement: PLATFORM,
    resourceTypes: ['aws_cloudtrail'],
    severity: 'high',
    title: 'CloudTrail logs are encrypted with a customer-managed key',
  }),
]
