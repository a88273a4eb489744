import {IamRolePoliciesExclusive} from '@cdktf/provider-aws/lib/iam-role-policies-exclusive/index.js'
import {IamRolePolicy} from '@cdktf/provider-aws/lib/iam-role-policy/index.js'
import {IamRolePolicyAttachment} from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js'
import {IamRole, type IamRoleConfig} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import type {Construct} from 'constructs'

import {policyDocument, type PolicyStatement} from '../policy.ts'

export interface RoleProps {
  name: string
  description: string
  /** The trust policy document (JSON text). */
  trust: string
  /** Inline policies by name: each one an aws_iam_role_policy, and these the only inline policies of the role. */
  policies: Record<string, PolicyStatement[]>
  managedPolicyArns?: string[]
  maxSessionDuration?: number
  permissionsBoundary?: string
  provider?: AwsProvider
  dependsOn?: IamRoleConfig['dependsOn']
}

export interface Role {
  role: IamRole
  policies: IamRolePolicy[]
}

/**
 * An IAM role with its inline policies as `aws_iam_role_policy` resources and
 * `aws_iam_role_policies_exclusive` making them the only ones (the role's own `inline_policy` is
 * deprecated since provider 5.68). The role keeps the address `<scope>_<id>`, so moving a role's
 * policies here replaces nothing: PutRolePolicy overwrites a policy of the same name in place.
 */
export function roleWithPolicies(scope: Construct, id: string, props: RoleProps): Role {
  const {provider} = props
  const role = new IamRole(scope, id, {
    assumeRolePolicy: props.trust,
    dependsOn: props.dependsOn,
    description: props.description,
    maxSessionDuration: props.maxSessionDuration,
    name: props.name,
    permissionsBoundary: props.permissionsBoundary,
    provider,
  })
  const entries = Object.entries(props.policies).filter(([, statements]) => statements.length > 0)
  const policies = entries.map(
    ([name, statements]) =>
      new IamRolePolicy(scope, `${id}${pascalCase(name)}Policy`, {
        name,
        policy: policyDocument(statements),
        provider,
        role: role.name,
      }),
  )
  new IamRolePoliciesExclusive(scope, `${id}InlinePolicies`, {
    // The names, not the resources' attributes: the set is known at plan time and never churns.
    policyNames: entries.map(([name]) => name),
    provider,
    roleName: role.name,
    dependsOn: policies.length > 0 ? policies : undefined,
  })
  for (const [index, arn] of (props.managedPolicyArns ?? []).entries())
    new IamRolePolicyAttachment(scope, `${id}ManagedPolicy${index + 1}`, {policyArn: arn, provider, role: role.name})
  return {policies, role}
}

/** `start-tasks` → `StartTasks`: construct ids stay camelCase, so addresses stay snake_case. */
function pascalCase(name: string): string {
  return name.replaceAll(/(^|[-_])([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase())
}
