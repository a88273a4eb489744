import type {DataAwsOrganizationsOrganization} from '@cdktf/provider-aws/lib/data-aws-organizations-organization/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {Construct} from 'constructs'

import type {PlatformStackModel} from '../model.ts'
import {policyDocument, type PolicyStatement} from '../policy.ts'
import {managementRoleArn, managementRoot} from './management-account.ts'
import {roleWithPolicies} from './role.ts'

export interface PlatformRoles {
  admin: IamRole
  provisioner: IamRole
  monitoring: IamRole
}

/**
 * The three platform roles, assumed from the management account: the administrators' (MFA
 * required), the provisioner's (CI and seiketsu) and monitoring's (read only). Each reaches the role
 * of the same name in every client account, and state when the stacks keep it in S3.
 */
export function platformRoles(
  scope: Construct,
  model: Pick<
    PlatformStackModel,
    'bootstrapRole' | 'clientRoles' | 'dns' | 'managementAccountId' | 'region' | 'roles' | 'trail'
  >,
  deps: {
    organization: DataAwsOrganizationsOrganization
    /** StateStore.access: none with local state. */
    stateAccess: PolicyStatement[]
  },
): PlatformRoles {
  const {managementAccountId} = model
  const trust = (requireMfa: boolean) =>
    policyDocument([
      {
        Action: 'sts:AssumeRole',
        ...(requireMfa ? {Condition: {Bool: {'aws:MultiFactorAuthPresent': true}}} : {}),
        Principal: {AWS: managementRoot(managementAccountId)},
        Sid: 'ManagementAccountPrincipals',
      },
    ])
  // A role of the same name in every account of the organization: one statement whatever the size of
  // the fleet (a list of every client's role ARN reaches IAM's 10,240-character limit at ~170 clients).
  const assumeInOrganization = (sid: string, roles: string[]): PolicyStatement => ({
    Action: 'sts:AssumeRole',
    Condition: {StringEquals: {'aws:ResourceOrgID': deps.organization.id}},
    Resource: roles.map((role) => `arn:aws:iam::*:role/${role}`),
    Sid: sid,
  })
  const role = (id: string, name: string, description: string, requireMfa: boolean, statements: PolicyStatement[]) =>
    roleWithPolicies(scope, id, {
      description,
      maxSessionDuration: 3600,
      name,
      policies: {platform: statements},
      trust: trust(requireMfa),
    }).role
  return {
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
      ...deps.stateAccess,
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
        ? [
            {
              Action: 'sts:AssumeRole',
              Resource: managementRoleArn(managementAccountId, model.roles.dnsDelegation),
              Sid: 'DelegateClientZones',
            },
          ]
        : []),
      ...deps.stateAccess,
    ]),
  }
}
