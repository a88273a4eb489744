import {randomUUID} from 'node:crypto'

import type {ErrorCodeFor} from '../error-codes.ts'
import {ExitCode, SeiketsuError, usageError} from '../errors.ts'
import {defaultTokenAudience, defaultTokenIssuer} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {loadRegistry} from '../registry/registry.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents} from './audit.ts'
import {noAccountError} from '../aws/errors.ts'
import {formatDuration, parseDuration} from './duration.ts'
import {keyInState, publicJwk, SIGNING_ALG, verificationKeys, type KeySet} from './key-set.ts'
import {clientRoles, loadRbac, rbacViolation, type Rbac, type Role} from './rbac.ts'
import {loadSigningKeys, signingKeysOnFirstUse, withAwsSession, type KeyOperationOptions} from './signing-keys.ts'

/** The JOSE `typ` header of a ClientToken (RFC 8725 §3.11 explicit typing): no other JWT passes for one. */
export const TOKEN_TYPE = 'client-token+jwt'

/** The default lifetime of a token when --ttl is not given (capped by the role's maxTtl). */
export const DEFAULT_TTL_SECONDS = 15 * 60

/** The seed's ClientToken, plus the registered claims that make it checkable. */
export interface ClientTokenClaims {
  iss: string
  sub: string
  aud: string
  iat: number
  nbf: number
  exp: number
  jti: string
  client_id: string
  user_id: string
  role: string
  permissions: string[]
  account_id: string
}

export interface TokenSettings {
  issuer: string
  audience: string
  clockSkewSeconds: number
}

/** Issuer, audience and skew of a client's tokens: from seiketsu.yaml `tokens:`, or derived from the platform name. */
export function tokenSettings(workspace: Workspace, clientId: string): TokenSettings {
  const {platform, tokens} = workspace.config
  return {
    audience: tokens.audience ?? defaultTokenAudience(platform),
    clockSkewSeconds: parseDuration(tokens.clockSkew)!,
    issuer: tokens.issuer ? tokens.issuer.replaceAll('{client}', clientId) : defaultTokenIssuer(platform, clientId),
  }
}

export interface IssueRequest {
  user: string
  role: string
  /** A duration such as 30s, 15m or 1h; at most the role's maxTtl. */
  ttl?: string
}

export interface IssuedToken {
  token: string
  kid: string
  expiresAt: string
  claims: ClientTokenClaims
}

/** Checks role, user and TTL of a token request against the RBAC data (exit 2 naming the field). */
export function checkIssueRequest(rbac: Rbac, request: IssueRequest): {role: Role; ttlSeconds: number} {
  const roles = clientRoles(rbac)
  const role = rbac.roles[request.role]
  if (!role || role.scope !== 'client')
    throw usageError(
      role
        ? `role ${request.role}: ${role.displayName} is a platform role; ClientTokens carry client roles (${roles.map((r) => r.name).join(', ')})`
        : `role: unknown role '${request.role}' (allowed: ${roles.map((r) => r.name).join(', ')})`,
      {code: 'INVALID_ROLE', details: {allowed: roles.map((r) => r.name)}, input: 'role'},
    )
  const user = request.user.trim()
  if (user === '' || user.length > 256 || /\p{Cc}/u.test(user))
    throw usageError('user: a user id of 1-256 printable characters', {code: 'INVALID_USER', input: 'user'})
  let ttlSeconds = Math.min(DEFAULT_TTL_SECONDS, role.maxTtlSeconds)
  if (request.ttl !== undefined) {
    const parsed = parseDuration(request.ttl)
    if (parsed === undefined)
      throw usageError(`ttl: '${request.ttl}' is not a duration such as 30s, 15m or 1h`, {
        code: 'INVALID_TTL',
        input: 'ttl',
      })
    if (parsed > role.maxTtlSeconds)
      throw usageError(
        `ttl ${request.ttl} is longer than ${role.displayName} tokens may live (${formatDuration(role.maxTtlSeconds)})`,
        {
          code: 'TTL_TOO_LONG',
          input: 'ttl',
          suggestions: [`Pass --ttl ${formatDuration(role.maxTtlSeconds)} or less.`],
        },
      )
    ttlSeconds = parsed
  }
  return {role, ttlSeconds}
}

/** Signs a ClientToken with the client's current key. Pure apart from the signature's randomness. */
export async function signClientToken(
  set: KeySet,
  client: ClientManifest,
  grant: {role: Role; ttlSeconds: number; user: string},
  settings: TokenSettings,
  now: Date,
): Promise<IssuedToken> {
  const current = keyInState(set, 'current')
  if (!current) throw new SeiketsuError(`Client ${client.id} has no current signing key`, ExitCode.Failure)
  if (!client.accountId) throw noAccountError(client.id, "a token's account_id would be empty")
  const {SignJWT, importJWK} = await import('jose')
  const iat = Math.floor(now.getTime() / 1000)
  const claims: ClientTokenClaims = {
    account_id: client.accountId,
    aud: settings.audience,
    client_id: client.id,
    exp: iat + grant.ttlSeconds,
    iat,
    iss: settings.issuer,
    jti: randomUUID(),
    nbf: iat,
    permissions: [...grant.role.permissions],
    role: grant.role.name,
    sub: grant.user,
    user_id: grant.user,
  }
  const key = await importJWK({...current.jwk, alg: SIGNING_ALG}, SIGNING_ALG)
  const token = await new SignJWT({...claims})
    .setProtectedHeader({alg: SIGNING_ALG, kid: current.kid, typ: TOKEN_TYPE})
    .sign(key)
  return {claims, expiresAt: new Date(claims.exp * 1000).toISOString(), kid: current.kid, token}
}

export interface IssueClientTokenResult extends IssuedToken {
  client: string
  /** Whether this call created the client's signing keys (first use). */
  keysCreated: boolean
}

/**
 * `seiketsu token issue`: a ClientToken for a user of an active client, signed with the client's
 * current key (created on first use). The issue is recorded in the audit trail (never the token).
 */
export async function issueClientToken(
  workspace: Workspace,
  clientId: string,
  request: IssueRequest,
  options: KeyOperationOptions = {},
): Promise<IssueClientTokenResult> {
  const now = options.now ?? new Date()
  const client = (await loadRegistry(workspace)).get(clientId)
  const rbac = await loadRbac()
  const grant = checkIssueRequest(rbac, request)
  if (client.status !== 'active')
    throw new SeiketsuError(`Client ${client.id} is ${client.status}: no tokens are issued for it`, ExitCode.Policy, {
      code: 'CLIENT_NOT_ACTIVE',
    })
  if (!client.accountId) throw noAccountError(client.id, "a token's account_id would be empty")
  const {created, set} = await signingKeysOnFirstUse(workspace, client, {...options, now})
  const issued = await signClientToken(
    set,
    client,
    {...grant, user: request.user.trim()},
    tokenSettings(workspace, client.id),
    now,
  )
  await recordKeyEvents(
    workspace,
    [
      {
        action: 'issue-token',
        change: {
          expiresAt: issued.expiresAt,
          jti: issued.claims.jti,
          kid: issued.kid,
          role: issued.claims.role,
          user: issued.claims.user_id,
        },
        client: client.id,
      },
    ],
    options.command ?? 'seiketsu token issue',
    now,
  )
  return {...issued, client: client.id, keysCreated: created}
}

export interface VerifiedToken {
  valid: true
  client: string
  kid: string
  expiresAt: string
  claims: ClientTokenClaims
}

/** A rejected token: exit 3, with a stable reason code. */
export function tokenRejected(
  code: ErrorCodeFor<typeof ExitCode.Policy>,
  reason: string,
  details: Record<string, unknown> = {},
): SeiketsuError {
  return new SeiketsuError(`Token rejected: ${reason}`, ExitCode.Policy, {code, details: {reason: code, ...details}})
}

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti']

/** jose's verification errors, as reasons an operator can act on. */
function joseRejection(error: unknown, settings: TokenSettings): SeiketsuError {
  const jose = error as {code?: string; claim?: string; message?: string; payload?: {exp?: number}}
  switch (jose.code) {
    case 'ERR_JWT_EXPIRED': {
      const exp = typeof jose.payload?.exp === 'number' ? new Date(jose.payload.exp * 1000).toISOString() : undefined
      return tokenRejected('TOKEN_EXPIRED', `expired${exp ? ` at ${exp}` : ''}`)
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      if (jose.claim === 'nbf') return tokenRejected('TOKEN_NOT_YET_VALID', 'not valid yet (nbf is in the future)')
      if (jose.claim === 'iss') return tokenRejected('TOKEN_WRONG_ISSUER', `the issuer is not ${settings.issuer}`)
      if (jose.claim === 'aud') return tokenRejected('TOKEN_WRONG_AUDIENCE', `the audience is not ${settings.audience}`)
      if (jose.claim === 'typ') return tokenRejected('TOKEN_WRONG_TYPE', `the typ header is not ${TOKEN_TYPE}`)
      return tokenRejected('TOKEN_CLAIMS_INVALID', `${jose.claim ?? 'a claim'}: ${jose.message}`)
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': {
      return tokenRejected('TOKEN_BAD_SIGNATURE', 'the signature does not match (altered or signed with another key)')
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED': {
      return tokenRejected('TOKEN_ALG_NOT_ALLOWED', `only ${SIGNING_ALG} is accepted`)
    }
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID': {
      return tokenRejected('TOKEN_MALFORMED', `malformed: ${jose.message}`)
    }
    default: {
      return tokenRejected('TOKEN_INVALID', jose.message ?? String(error))
    }
  }
}

/**
 * Verifies a token against ONE client's key set: the algorithm pinned to ES256 (never `none`, never
 * HMAC), the kid looked up only among that client's current and retiring keys, iss/aud/exp/nbf with
 * the clock skew, then the claims: this client and account, and a role that grants every permission.
 */
export async function verifyAgainstKeySet(
  token: string,
  input: {client: ClientManifest; set: KeySet; rbac: Rbac; settings: TokenSettings; now: Date; require?: string[]},
): Promise<VerifiedToken> {
  const {client, rbac, set, settings, now} = input
  const jose = await import('jose')
  let header: ReturnType<typeof jose.decodeProtectedHeader>
  try {
    header = jose.decodeProtectedHeader(token)
  } catch (error) {
    throw tokenRejected('TOKEN_MALFORMED', `malformed: ${(error as Error).message}`)
  }
  if (header.alg !== SIGNING_ALG)
    throw tokenRejected(
      'TOKEN_ALG_NOT_ALLOWED',
      `alg ${JSON.stringify(header.alg)} is not allowed (only ${SIGNING_ALG})`,
    )
  if (header.typ !== TOKEN_TYPE)
    throw tokenRejected('TOKEN_WRONG_TYPE', `typ ${JSON.stringify(header.typ)} is not ${TOKEN_TYPE}`)
  if (typeof header.kid !== 'string' || header.kid === '')
    throw tokenRejected('TOKEN_MALFORMED', 'no kid in the header')
  const key = verificationKeys(set, now).find((candidate) => candidate.kid === header.kid)
  if (!key)
    throw tokenRejected(
      'TOKEN_UNKNOWN_KEY',
      `key ${header.kid} is not a signing key of client ${client.id} (another client's, removed, or never issued)`,
      {client: client.id, kid: header.kid},
    )
  let payload: Record<string, unknown>
  try {
    const verified = await jose.jwtVerify(token, await jose.importJWK(publicJwk(key), SIGNING_ALG), {
      algorithms: [SIGNING_ALG],
      audience: settings.audience,
      clockTolerance: settings.clockSkewSeconds,
      currentDate: now,
      issuer: settings.issuer,
      requiredClaims: REQUIRED_CLAIMS,
      typ: TOKEN_TYPE,
    })
    payload = verified.payload as Record<string, unknown>
  } catch (error) {
    throw joseRejection(error, settings)
  }
  if (payload.client_id !== client.id)
    throw tokenRejected('TOKEN_CLIENT_MISMATCH', `client_id ${JSON.stringify(payload.client_id)} is not ${client.id}`)
  if (payload.account_id !== client.accountId)
    throw tokenRejected(
      'TOKEN_CLIENT_MISMATCH',
      `account_id ${JSON.stringify(payload.account_id)} is not client ${client.id}'s account`,
    )
  if (typeof payload.user_id !== 'string' || payload.user_id === '' || payload.user_id !== payload.sub)
    throw tokenRejected('TOKEN_CLAIMS_INVALID', 'user_id must be a non-empty string equal to sub')
  const violation = rbacViolation(rbac, payload.role, payload.permissions)
  if (violation) throw tokenRejected('TOKEN_PERMISSIONS_ESCALATED', violation, {role: payload.role})
  const role = rbac.roles[payload.role as string]!
  const lifetime = (payload.exp as number) - (payload.iat as number)
  if (lifetime > role.maxTtlSeconds + settings.clockSkewSeconds)
    throw tokenRejected(
      'TOKEN_LIFETIME_TOO_LONG',
      `lives ${formatDuration(Math.max(lifetime, 0))}, longer than ${role.displayName} tokens may (${formatDuration(role.maxTtlSeconds)})`,
    )
  const missing = (input.require ?? []).filter((permission) => !(payload.permissions as string[]).includes(permission))
  if (missing.length > 0)
    throw tokenRejected('TOKEN_MISSING_PERMISSION', `lacks ${missing.map((p) => `'${p}'`).join(', ')}`, {missing})
  return {
    claims: payload as unknown as ClientTokenClaims,
    client: client.id,
    expiresAt: new Date((payload.exp as number) * 1000).toISOString(),
    kid: key.kid,
    valid: true,
  }
}

/**
 * `seiketsu token verify`: picks the client from --client, or else from the token's unverified
 * client_id (only to choose the key set: verification then requires the claim to match).
 */
export async function verifyClientToken(
  workspace: Workspace,
  token: string,
  options: KeyOperationOptions & {client?: string; require?: string[]} = {},
): Promise<VerifiedToken> {
  const now = options.now ?? new Date()
  const registry = await loadRegistry(workspace)
  const rbac = await loadRbac()
  const unknown = (options.require ?? []).filter((permission) => !(permission in rbac.permissions))
  if (unknown.length > 0)
    throw usageError(`require: unknown permission ${unknown.map((p) => `'${p}'`).join(', ')}`, {
      code: 'INVALID_PERMISSION',
      input: 'require',
      suggestions: [`Permissions are listed in templates/rbac.yaml: ${Object.keys(rbac.permissions).join(', ')}`],
    })
  let client: ClientManifest
  if (options.client) client = registry.get(options.client)
  else {
    const {decodeJwt} = await import('jose')
    let claimed: unknown
    try {
      claimed = decodeJwt(token.trim()).client_id
    } catch (error) {
      throw tokenRejected('TOKEN_MALFORMED', `malformed: ${(error as Error).message}`)
    }
    if (typeof claimed !== 'string' || !registry.has(claimed))
      throw tokenRejected(
        'TOKEN_UNKNOWN_CLIENT',
        `client_id ${JSON.stringify(claimed)} is not a client of this registry`,
      )
    client = registry.get(claimed)
  }
  return withAwsSession(workspace, options, 'token-verify', async (session) => {
    const set = await loadSigningKeys(workspace, client, {...options, aws: session()})
    if (!set) throw tokenRejected('TOKEN_UNKNOWN_KEY', `client ${client.id} has no signing keys yet`)
    const verified = await verifyAgainstKeySet(token.trim(), {
      client,
      now,
      rbac,
      require: options.require,
      set,
      settings: tokenSettings(workspace, client.id),
    })
    if (client.status !== 'active')
      throw tokenRejected('TOKEN_CLIENT_INACTIVE', `client ${client.id} is ${client.status}`)
    return verified
  })
}
