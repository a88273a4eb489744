import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import {Route53Zone} from '@cdktf/provider-aws/lib/route53-zone/index.js'
import {TerraformOutput} from 'cdktf'
import type {Construct} from 'constructs'

import type {ParentZone, PlatformStackModel} from '../model.ts'
import {roleTrustPolicy} from '../policy.ts'
import {managementRoleArn} from './management-account.ts'
import {roleWithPolicies} from './role.ts'

/**
 * The platform's zone for `domain` (unless an existing one is named) and the role client stacks
 * assume to write their delegation into it: NS records for names under the domain, nothing else.
 */
export function dnsDelegation(
  scope: Construct,
  model: Pick<PlatformStackModel, 'managementAccountId' | 'platform' | 'roles'>,
  dns: ParentZone,
): IamRole {
  const zone = dns.id
    ? undefined
    : new Route53Zone(scope, 'zone', {comment: `${model.platform} client APIs`, name: dns.name})
  const zoneArn = zone ? zone.arn : `arn:aws:route53:::hostedzone/${dns.id}`
  if (zone)
    new TerraformOutput(scope, 'zoneNameServers', {
      description: `Delegate ${dns.name} to these name servers at its registrar (or its parent zone).`,
      value: zone.nameServers,
    })
  const {managementAccountId, roles} = model
  return roleWithPolicies(scope, 'dnsDelegation', {
    description: `Writes the delegation (NS) records of client zones under ${dns.name}`,
    maxSessionDuration: 3600,
    name: roles.dnsDelegation,
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
    trust: roleTrustPolicy(managementAccountId, [
      managementRoleArn(managementAccountId, roles.provisioner),
      managementRoleArn(managementAccountId, roles.admin),
    ]),
  }).role
}
