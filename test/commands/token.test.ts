import {expect} from 'chai'

import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

describe('seiketsu token / keys jwks (CLI)', () => {
  let root: string

  before(async () => {
    const workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'}), draftClient('beta', {accountId: '333333333333'})],
    })
    root = workspace.root
  })

  const cli = (args: string[], input?: string) => runCli([...args, '--workspace', root], {input})

  it('issues a token: --json is {token, kid, expiresAt}; without --json stdout is the token alone', async () => {
    const json = await cli([
      'token',
      'issue',
      '--client',
      'acme',
      '--user',
      'alice',
      '--role',
      'agent',
      '--ttl',
      '30s',
      '--json',
    ])
    expect(json.exitCode, json.stderr).to.equal(0)
    const issued = parseJson<{token: string; kid: string; expiresAt: string}>(json)
    expect(issued).to.have.all.keys('token', 'kid', 'expiresAt')
    expect(Date.parse(issued.expiresAt) - Date.now()).to.be.within(0, 31_000)
    expect(json.stdout).to.not.match(/"d"/)

    const plain = await cli(['token', 'issue', '--client', 'acme', '--user', 'alice', '--role', 'viewer'])
    expect(plain.exitCode).to.equal(0)
    expect(plain.stdout.trim()).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(plain.stderr).to.contain('viewer token for alice at acme')
  })

  it('names the flag of a bad field, in the message on stderr and in the JSON error', async () => {
    const base = ['token', 'issue', '--client', 'acme', '--user', 'alice']
    const role = await cli([...base, '--role', 'owner'])
    expect(role.exitCode).to.equal(2)
    expect(role.errorText).to.include("--role: unknown role 'owner' (allowed:")
    const ttl = await cli([...base, '--role', 'viewer', '--ttl', 'soon', '--json'])
    expect(parseJson<{error: {message: string}}>(ttl).error.message).to.equal(
      "--ttl: 'soon' is not a duration such as 30s, 15m or 1h",
    )
  })

  it('verifies: exit 0 with the claims; exit 3 with the reason; TOKEN - reads stdin', async () => {
    const {token} = parseJson<{token: string}>(
      await cli(['token', 'issue', '--client', 'acme', '--user', 'alice', '--role', 'admin', '--json']),
    )
    const valid = await cli(['token', 'verify', token, '--require', 'client:users:manage', '--json'])
    expect(valid.exitCode, valid.stderr).to.equal(0)
    expect(parseJson(valid)).to.deep.include({client: 'acme', valid: true})
    expect(parseJson<{claims: Record<string, unknown>}>(valid).claims).to.include({
      client_id: 'acme',
      role: 'admin',
      user_id: 'alice',
    })

    const fromStdin = await cli(['token', 'verify', '-', '--client', 'acme'], `${token}\n`)
    expect(fromStdin.exitCode, fromStdin.stderr).to.equal(0)
    expect(fromStdin.stdout).to.contain('Valid admin token of alice for acme')

    const otherClient = await cli(['token', 'verify', token, '--client', 'beta', '--json'])
    expect(otherClient.exitCode).to.equal(3)
    expect(parseJson<{error: {code: string; exitCode: number}}>(otherClient).error).to.include({
      code: 'TOKEN_UNKNOWN_KEY',
      exitCode: 3,
    })

    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const tampered = `${header}.${Buffer.from(JSON.stringify({...claims, user_id: 'mallory', sub: 'mallory'})).toString('base64url')}.${signature}`
    const rejected = await cli(['token', 'verify', tampered])
    expect(rejected.exitCode).to.equal(3)
    expect(rejected.stderr).to.contain('Token rejected: the signature does not match')
  })

  it('refuses bad input with exit 2: a TTL above the role maximum, an unknown role, a missing flag, an unknown client', async () => {
    const tooLong = await cli([
      'token',
      'issue',
      '--client',
      'acme',
      '--user',
      'a',
      '--role',
      'agent',
      '--ttl',
      '9h',
      '--json',
    ])
    expect(tooLong.exitCode).to.equal(2)
    expect(parseJson<{error: {code: string; message: string}}>(tooLong).error).to.include({code: 'TTL_TOO_LONG'})
    const unknownRole = await cli(['token', 'issue', '--client', 'acme', '--user', 'a', '--role', 'owner'])
    expect([unknownRole.exitCode, unknownRole.stderr.includes('allowed: admin, agent, viewer')]).to.deep.equal([
      2,
      true,
    ])
    expect((await cli(['token', 'issue', '--client', 'acme', '--user', 'a'])).exitCode).to.equal(2)
    expect((await cli(['token', 'issue', '--client', 'acmee', '--user', 'a', '--role', 'viewer'])).exitCode).to.equal(2)
    expect((await cli(['token', 'verify', 'x.y.z', '--require', 'no:such:permission'])).exitCode).to.equal(2)
    const empty = await cli(['token', 'verify', '-', '--json'], '')
    expect(empty.exitCode).to.equal(2)
    expect(parseJson<{error: {code: string}}>(empty).error.code).to.equal('MISSING_INPUT')
  })

  it('prints the public JWKS document itself, never a private parameter', async () => {
    const json = await cli(['keys', 'jwks', 'beta', '--json'])
    expect(json.exitCode, json.stderr).to.equal(0)
    const jwks = parseJson<{keys: Record<string, string>[]}>(json)
    expect(jwks).to.have.all.keys('keys')
    expect(jwks.keys.map((key) => Object.keys(key).sort())).to.deep.equal([
      ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
      ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
    ])
    const plain = await cli(['keys', 'jwks', 'beta'])
    expect(JSON.parse(plain.stdout)).to.deep.equal(jwks)
    for (const output of [json.stdout, plain.stdout, plain.stderr]) expect(output).to.not.match(/"d"\s*:/)
  })
})
