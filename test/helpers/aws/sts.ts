import {randomUUID} from 'node:crypto'

import {
  awsJsonError,
  awsQueryError,
  signedBy,
  type AwsCall,
  type AwsReply,
  type QueryHandler,
  type XmlReply,
} from './protocol.ts'

/**
 * STS (query protocol). AssumeRole hands out `ASIA<account>FAKE` keys, so the other stand-ins tell
 * the account a call acts in from the key that signed it, and refuse a caller that did not go
 * through a role, as AWS would.
 */

const ZERO_REQUEST_ID = '00000000-0000-0000-0000-000000000000'

/** Fake temporary credentials of a role in `accountId`. */
export function assumedAccessKey(accountId: string): string {
  return `ASIA${accountId}FAKE`
}

/** The account whose role session signed the call, if one did. */
export function roleSessionAccount(call: AwsCall): string | undefined {
  return /^ASIA(\d{12})FAKE$/.exec(signedBy(call)?.accessKeyId ?? '')?.[1]
}

/** The account and region a call acts in, or the JSON-protocol refusal of a caller that did not assume a role. */
export function callerScope(call: AwsCall): {accountId: string; region: string} | AwsReply {
  const signer = signedBy(call)
  const accountId = roleSessionAccount(call)
  if (!signer || !accountId)
    return awsJsonError(
      'AccessDeniedException',
      `${signer?.accessKeyId ?? 'anonymous'} is not a role session of a client account`,
    )
  return {accountId, region: signer.region}
}

function stsResponse(operation: string, result: string, requestId = ZERO_REQUEST_ID): string {
  return `<${operation}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
}

function assumeRoleResult(role: {
  accountId: string
  roleName: string
  sessionName: string
  secretAccessKey: string
  sessionToken: string
  roleId: string
}): string {
  return `<Credentials><AccessKeyId>${assumedAccessKey(role.accountId)}</AccessKeyId><SecretAccessKey>${role.secretAccessKey}</SecretAccessKey><SessionToken>${role.sessionToken}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>${role.roleId}:${role.sessionName}</AssumedRoleId><Arn>arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${role.sessionName}</Arn></AssumedRoleUser>`
}

function parseRoleArn(roleArn: string): {accountId: string; roleName: string} | undefined {
  const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn)
  return match ? {accountId: match[1]!, roleName: match[2]!} : undefined
}

/** AssumeRole as AWS checks it: a valid role ARN and session name, and a role that may refuse the caller. */
export class FakeSts {
  readonly assumed: {roleArn: string; sessionName: string; signer?: string}[] = []
  /** Accounts whose role refuses the caller. */
  readonly deniedAccounts = new Set<string>()

  assumeRole(params: URLSearchParams, call: AwsCall): XmlReply {
    const roleArn = params.get('RoleArn') ?? ''
    const sessionName = params.get('RoleSessionName') ?? ''
    const role = parseRoleArn(roleArn)
    if (!role) return awsQueryError('ValidationError', `invalid RoleArn ${roleArn}`)
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) return awsQueryError('ValidationError', 'invalid RoleSessionName')
    if (this.deniedAccounts.has(role.accountId))
      return awsQueryError(
        'AccessDenied',
        `User: arn:aws:iam::111111111111:user/ops is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      )
    this.assumed.push({roleArn, sessionName, signer: signedBy(call)?.accessKeyId})
    const result = assumeRoleResult({
      ...role,
      roleId: 'AROAFAKE',
      secretAccessKey: `fake-secret-${role.accountId}`,
      sessionName,
      sessionToken: `fake-session-${role.accountId}`,
    })
    return {xml: stsResponse('AssumeRole', result, randomUUID())}
  }
}

/**
 * The STS the real provider configures itself with: AssumeRole of any role (recorded in
 * `assumed`), and GetCallerIdentity answering with the account of the key that signed the call
 * (`baseAccount` for the base credentials).
 */
export function providerStsHandlers(
  assumed: {roleArn: string; signer?: string}[],
  baseAccount: string,
): Record<string, QueryHandler> {
  return {
    AssumeRole: (params, call) => {
      const roleArn = params.get('RoleArn') ?? ''
      const role = parseRoleArn(roleArn)
      if (!role) return awsQueryError('ValidationError', `invalid RoleArn ${roleArn}`)
      assumed.push({roleArn, signer: signedBy(call)?.accessKeyId})
      const sessionName = params.get('RoleSessionName') ?? 'session'
      const result = assumeRoleResult({
        ...role,
        roleId: 'AROASTUB',
        secretAccessKey: 'stub-secret',
        sessionName,
        sessionToken: 'stub-session',
      })
      return {xml: stsResponse('AssumeRole', result)}
    },
    GetCallerIdentity: (_params, call) => {
      const account = roleSessionAccount(call) ?? baseAccount
      return {
        xml: stsResponse(
          'GetCallerIdentity',
          `<Arn>arn:aws:sts::${account}:assumed-role/stub/stub</Arn><UserId>AROASTUB:stub</UserId><Account>${account}</Account>`,
        ),
      }
    },
  }
}
