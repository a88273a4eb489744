import {expect} from 'chai'

import {publicJwk, SIGNING_ALG} from '../../src/keys/key-set.ts'
import {loadRbac, type Rbac} from '../../src/keys/rbac.ts'
import {ensureSigningKeys, loadSigningKeys, rotateSigningKeys} from '../../src/keys/signing-keys.ts'
import {issueClientToken, signClientToken, TOKEN_TYPE, tokenSettings, verifyClientToken} from '../../src/keys/tokens.ts'
import {updateClient} from '../../src/registry/changes.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {rejection} from '../helpers/errors.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const t0 = new Date('2026-03-01T00:00:00.000Z')
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000)

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('ClientTokens', () => {
  let workspace: Workspace
  let rbac: Rbac

  before(async () => {
    workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'}), draftClient('beta', {accountId: '333333333333'})],
    })
    rbac = await loadRbac()
    const registry = await loadRegistry(workspace)
    for (const client of registry.clients) await ensureSigningKeys(workspace, client, {now: t0})
  })

  const client = async (id: string) => (await loadRegistry(workspace)).get(id)
  const keys = async (id: string) => (await loadSigningKeys(workspace, await client(id)))!
  /** A token signed with a client's real current key, with any claims or header the test wants. */
  async function forge(
    id: string,
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
    signer = id,
  ): Promise<string> {
    const {SignJWT, importJWK} = await import('jose')
    const current = (await keys(signer)).keys.find((key) => key.state === 'current')!
    const settings = tokenSettings(workspace, id)
    const iat = Math.floor(at(1).getTime() / 1000)
    return new SignJWT({
      account_id: (await client(id)).accountId,
      aud: settings.audience,
      client_id: id,
      exp: iat + 600,
      iat,
      iss: settings.issuer,
      jti: 'j-1',
      nbf: iat,
      permissions: ['reports:read'],
      role: 'viewer',
      sub: 'eve',
      user_id: 'eve',
      ...claims,
    })
      .setProtectedHeader({alg: SIGNING_ALG, kid: current.kid, typ: TOKEN_TYPE, ...header})
      .sign(await importJWK(current.jwk, SIGNING_ALG))
  }

  it('round-trips: an issued token verifies with its claims, with or without --client', async () => {
    const issued = await issueClientToken(workspace, 'acme', {role: 'agent', ttl: '1h', user: 'alice'}, {now: at(1)})
    expect(issued.kid).to.equal((await keys('acme')).keys[0]!.kid)
    expect(issued.expiresAt).to.equal(at(61).toISOString())
    const {decodeProtectedHeader} = await import('jose')
    expect(decodeProtectedHeader(issued.token)).to.deep.equal({alg: 'ES256', kid: issued.kid, typ: TOKEN_TYPE})
    for (const options of [{}, {client: 'acme'}]) {
      const verified = await verifyClientToken(workspace, issued.token, {...options, now: at(2)})
      expect(verified.claims).to.include({
        account_id: '222222222222',
        aud: 'urn:seiketsu:api',
        client_id: 'acme',
        iss: 'urn:seiketsu:client:acme',
        role: 'agent',
        sub: 'alice',
        user_id: 'alice',
      })
      expect(verified.claims.permissions).to.deep.equal(rbac.roles.agent!.permissions)
      expect(verified.claims.jti).to.be.a('string')
    }
    const required = await verifyClientToken(workspace, issued.token, {now: at(2), require: ['leads:write']})
    expect(required.valid).to.equal(true)
    const missing = await rejection(
      verifyClientToken(workspace, issued.token, {now: at(2), require: ['client:users:manage']}),
    )
    expect(missing.code).to.equal('TOKEN_MISSING_PERMISSION')
  })

  it('bounds --ttl by the role and refuses platform roles and unknown roles (exit 2)', async () => {
    const tooLong = await rejection(issueClientToken(workspace, 'acme', {role: 'admin', ttl: '2h', user: 'a'}))
    expect([tooLong.exitCode, tooLong.code]).to.deep.equal([2, 'TTL_TOO_LONG'])
    const platform = await rejection(issueClientToken(workspace, 'acme', {role: 'platform-admin', user: 'a'}))
    expect([platform.exitCode, platform.code]).to.deep.equal([2, 'INVALID_ROLE'])
    const unknown = await rejection(issueClientToken(workspace, 'acme', {role: 'owner', user: 'a'}))
    expect(unknown.code).to.equal('INVALID_ROLE')
    const badTtl = await rejection(issueClientToken(workspace, 'acme', {role: 'viewer', ttl: '15 minutes', user: 'a'}))
    expect(badTtl.code).to.equal('INVALID_TTL')
    // The domain names its own field; the command layer turns it into the flag (--ttl).
    expect([badTtl.message, badTtl.input]).to.deep.equal([
      "ttl: '15 minutes' is not a duration such as 30s, 15m or 1h",
      'ttl',
    ])
  })

  it('keeps verifying tokens issued before a rotation through the overlap, and not after the key is removed', async () => {
    const ws = await makeWorkspace({clients: [draftClient('gamma', {accountId: '444444444444'})]})
    const gamma = (await loadRegistry(ws)).get('gamma')
    await ensureSigningKeys(ws, gamma, {now: t0})
    const before = await issueClientToken(ws, 'gamma', {role: 'agent', ttl: '8h', user: 'bob'}, {now: at(1)})
    const rotation = await rotateSigningKeys(ws, gamma, {now: at(20)})
    expect(rotation.status).to.equal('rotated')
    expect(rotation.plan.retire).to.equal(before.kid)
    const after = await issueClientToken(ws, 'gamma', {role: 'agent', user: 'bob'}, {now: at(21)})
    expect(after.kid).to.equal(rotation.after.current).and.not.equal(before.kid)
    // Both verify during the overlap, even across a second rotation.
    expect((await verifyClientToken(ws, before.token, {now: at(22)})).kid).to.equal(before.kid)
    expect((await verifyClientToken(ws, after.token, {now: at(22)})).kid).to.equal(after.kid)
    await rotateSigningKeys(ws, gamma, {now: at(40)})
    expect((await verifyClientToken(ws, before.token, {now: at(8 * 60)})).valid).to.equal(true)
    // The overlap (longest token lifetime 8h + 60s skew) ends: the retired key is gone.
    const removeAfter = Date.parse(rotation.plan.removeAfter!)
    expect(removeAfter - at(20).getTime()).to.equal((8 * 3600 + 60) * 1000)
    const afterRemoval = new Date(removeAfter + 1000)
    expect((await rejection(verifyClientToken(ws, before.token, {now: afterRemoval}))).code).to.equal(
      'TOKEN_UNKNOWN_KEY',
    )
    await rotateSigningKeys(ws, gamma, {now: afterRemoval})
    const stored = await loadSigningKeys(ws, gamma)
    expect(stored!.keys.map((key) => key.kid)).to.not.include(before.kid)
  })

  describe('rejects (exit 3)', () => {
    const expectRejected = async (token: string, code: string, options: {client?: string; now?: Date} = {}) => {
      const error = await rejection(verifyClientToken(workspace, token, {now: at(2), ...options}))
      expect(error.exitCode, error.message).to.equal(3)
      expect(error.code, error.message).to.equal(code)
      expect(error.message).to.match(/^Token rejected: /)
      return error
    }

    it('alg none', async () => {
      const kid = (await keys('acme')).keys[0]!.kid
      const legit = await forge('acme', {})
      const unsecured = `${b64({alg: 'none', kid, typ: TOKEN_TYPE})}.${legit.split('.')[1]}.`
      await expectRejected(unsecured, 'TOKEN_ALG_NOT_ALLOWED')
      await expectRejected(unsecured, 'TOKEN_ALG_NOT_ALLOWED', {client: 'acme'})
    })

    it('HS256 keyed with the public key (as JWK JSON and as PEM)', async () => {
      const {SignJWT, exportSPKI, importJWK} = await import('jose')
      const current = (await keys('acme')).keys[0]!
      const pem = await exportSPKI((await importJWK(publicJwk(current), 'ES256')) as Parameters<typeof exportSPKI>[0])
      const claims = JSON.parse(Buffer.from((await forge('acme', {})).split('.')[1]!, 'base64url').toString())
      for (const secret of [JSON.stringify(publicJwk(current)), pem]) {
        const token = await new SignJWT({...claims, permissions: rbac.roles.admin!.permissions, role: 'admin'})
          .setProtectedHeader({alg: 'HS256', kid: current.kid, typ: TOKEN_TYPE})
          .sign(new TextEncoder().encode(secret))
        await expectRejected(token, 'TOKEN_ALG_NOT_ALLOWED')
      }
    })

    it('a tampered payload', async () => {
      const [header, payload, signature] = (await forge('acme', {})).split('.')
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
      const tampered = `${header}.${b64({...claims, permissions: rbac.roles.admin!.permissions, role: 'admin'})}.${signature}`
      await expectRejected(tampered, 'TOKEN_BAD_SIGNATURE')
    })

    it("another client's token", async () => {
      const beta = await issueClientToken(workspace, 'beta', {role: 'admin', user: 'mallory'}, {now: at(1)})
      expect((await verifyClientToken(workspace, beta.token, {now: at(2)})).client).to.equal('beta')
      await expectRejected(beta.token, 'TOKEN_UNKNOWN_KEY', {client: 'acme'})
    })

    it("another client's kid", async () => {
      // Signed with beta's key and kid, claiming to be acme's: the kid is looked up in acme's set only.
      const crossSigned = await forge('acme', {}, {}, 'beta')
      await expectRejected(crossSigned, 'TOKEN_UNKNOWN_KEY')
      await expectRejected(crossSigned, 'TOKEN_UNKNOWN_KEY', {client: 'acme'})
      // Signed with beta's key under acme's kid: the signature does not match.
      const betaKey = (await keys('beta')).keys[0]!
      const acmeKid = (await keys('acme')).keys[0]!.kid
      const {SignJWT, importJWK} = await import('jose')
      const claims = JSON.parse(Buffer.from((await forge('acme', {})).split('.')[1]!, 'base64url').toString())
      const wrongKey = await new SignJWT(claims)
        .setProtectedHeader({alg: SIGNING_ALG, kid: acmeKid, typ: TOKEN_TYPE})
        .sign(await importJWK(betaKey.jwk, SIGNING_ALG))
      await expectRejected(wrongKey, 'TOKEN_BAD_SIGNATURE')
      // Beta's genuine token relabelled as acme's (client_id claim) cannot pass for either.
      const relabelled = await forge('beta', {client_id: 'acme'})
      await expectRejected(relabelled, 'TOKEN_UNKNOWN_KEY')
      await expectRejected(relabelled, 'TOKEN_CLIENT_MISMATCH', {client: 'beta'})
    })

    it('expired, beyond the clock skew', async () => {
      const token = await forge('acme', {})
      const exp = at(1).getTime() + 600_000
      expect((await verifyClientToken(workspace, token, {now: new Date(exp + 59_000)})).valid).to.equal(true)
      await expectRejected(token, 'TOKEN_EXPIRED', {now: new Date(exp + 61_000)})
    })

    it('not yet valid', async () => {
      const nbf = Math.floor(at(30).getTime() / 1000)
      await expectRejected(await forge('acme', {exp: nbf + 600, iat: nbf, nbf}), 'TOKEN_NOT_YET_VALID')
    })

    it('a wrong audience or issuer', async () => {
      await expectRejected(await forge('acme', {aud: 'urn:other:api'}), 'TOKEN_WRONG_AUDIENCE')
      await expectRejected(await forge('acme', {iss: 'urn:seiketsu:client:beta'}), 'TOKEN_WRONG_ISSUER')
    })

    it('escalated permissions: a viewer carrying admin permissions, a platform role', async () => {
      const escalated = await forge('acme', {permissions: ['reports:read', 'client:users:manage'], role: 'viewer'})
      const error = await expectRejected(escalated, 'TOKEN_PERMISSIONS_ESCALATED')
      expect(error.message).to.contain("'client:users:manage'")
      await expectRejected(
        await forge('acme', {permissions: ['platform:clients:manage'], role: 'platform-admin'}),
        'TOKEN_PERMISSIONS_ESCALATED',
      )
    })

    it('a lifetime longer than the role allows, another typ, no kid, a foreign account', async () => {
      const iat = Math.floor(at(1).getTime() / 1000)
      await expectRejected(await forge('acme', {exp: iat + 2 * 86_400}), 'TOKEN_LIFETIME_TOO_LONG')
      await expectRejected(await forge('acme', {}, {typ: 'JWT'}), 'TOKEN_WRONG_TYPE')
      await expectRejected(await forge('acme', {}, {kid: undefined}), 'TOKEN_MALFORMED')
      await expectRejected(await forge('acme', {account_id: '333333333333'}), 'TOKEN_CLIENT_MISMATCH')
      await expectRejected('not.a.jwt', 'TOKEN_MALFORMED')
    })

    it('tokens of a suspended client', async () => {
      const ws = await makeWorkspace({clients: [draftClient('delta', {accountId: '555555555555'})]})
      const token = await issueClientToken(ws, 'delta', {role: 'viewer', user: 'v'}, {now: at(1)})
      await updateClient(ws, 'delta', {status: 'suspended'}, {command: 'test'})
      const error = await rejection(verifyClientToken(ws, token.token, {now: at(2)}))
      expect(error.code).to.equal('TOKEN_CLIENT_INACTIVE')
      const issue = await rejection(issueClientToken(ws, 'delta', {role: 'viewer', user: 'v'}))
      expect([issue.exitCode, issue.code]).to.deep.equal([3, 'CLIENT_NOT_ACTIVE'])
    })
  })

  it('signs nothing for a client without an AWS account (account_id would be empty)', async () => {
    const ws = await makeWorkspace({clients: [draftClient('epsilon')]})
    const error = await rejection(issueClientToken(ws, 'epsilon', {role: 'viewer', user: 'v'}))
    expect([error.exitCode, error.code]).to.deep.equal([2, 'NO_ACCOUNT'])
    const epsilon = (await loadRegistry(ws)).get('epsilon')
    const set = (await ensureSigningKeys(ws, epsilon)) && (await loadSigningKeys(ws, epsilon))
    const direct = await rejection(
      signClientToken(
        set!,
        epsilon,
        {role: rbac.roles.viewer!, ttlSeconds: 60, user: 'v'},
        tokenSettings(ws, 'epsilon'),
        t0,
      ),
    )
    expect(direct.code).to.equal('NO_ACCOUNT')
  })
})
