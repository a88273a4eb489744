/**
 * IAM policy documents as plain JSON text. Written out (not `jsonencode(...)`) so that the audit
 * and a reviewer read the statements as they are; ARNs only known after apply appear as terraform
 * references (`${aws_kms_key.keys_key.arn}`) inside the strings.
 */

export type Principal = {AWS: string | string[]} | {Service: string | string[]}

export interface PolicyStatement {
  Sid: string
  Effect?: 'Allow' | 'Deny'
  Principal?: Principal | '*'
  Action: string | string[]
  /** Absent only in trust policies. */
  Resource?: string | string[]
  Condition?: Record<string, Record<string, string | string[] | boolean>>
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    // A fixed key order, the way policies are usually read.
    Statement: statements.map(({Sid, Effect = 'Allow', Principal, Action, Resource, Condition}) => ({
      Sid,
      Effect,
      ...(Principal === undefined ? {} : {Principal}),
      Action,
      ...(Resource === undefined ? {} : {Resource}),
      ...(Condition === undefined ? {} : {Condition}),
    })),
    Version: '2012-10-17',
  })
}

/** The trust policy of a role that an AWS service assumes on behalf of this account only. */
export function serviceTrustPolicy(service: string, accountId: string): string {
  return policyDocument([
    {
      Action: 'sts:AssumeRole',
      Condition: {StringEquals: {'aws:SourceAccount': accountId}},
      Principal: {Service: service},
      Sid: 'ServiceAssumesRole',
    },
  ])
}

/**
 * The trust policy of a role assumed from roles of another account (the platform roles of the
 * management account): that account's root as the principal, narrowed to those roles by
 * `aws:PrincipalArn`. IAM accepts this form before the roles exist (a role ARN as principal is
 * refused until the role is created, and silently becomes a dangling id if it is ever recreated),
 * so client accounts can be set up in any order relative to the platform stack.
 */
export function roleTrustPolicy(accountId: string, roleArns: readonly string[]): string {
  return policyDocument([
    {
      Action: 'sts:AssumeRole',
      Condition: {ArnEquals: {'aws:PrincipalArn': roleArns.length === 1 ? roleArns[0]! : [...roleArns]}},
      Principal: {AWS: `arn:aws:iam::${accountId}:root`},
      Sid: 'PlatformRoleAssumesRole',
    },
  ])
}

/** Deny any request to a bucket that does not use TLS. */
export function tlsOnlyStatement(bucketArn: string): PolicyStatement {
  return {
    Action: 's3:*',
    Condition: {Bool: {'aws:SecureTransport': false}},
    Effect: 'Deny',
    Principal: '*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Sid: 'DenyInsecureTransport',
  }
}
