import {expect} from 'chai'

import {generateSigningKeys} from '../../src/keys/jwk.ts'
import {
  applyJwtRotation,
  jwksDocument,
  planJwtRotation,
  summarizeKeySet,
  verificationKeys,
  type KeyLifecyclePolicy,
  type KeySet,
} from '../../src/keys/key-set.ts'

const policy: KeyLifecyclePolicy = {overlapSeconds: 8 * 3600 + 60, publishLeadSeconds: 600}
const t0 = new Date('2026-03-01T00:00:00.000Z')
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000)

async function rotate(set: KeySet | undefined, now: Date, force = false): Promise<KeySet> {
  const plan = planJwtRotation(set, now, policy, {force})
  return applyJwtRotation('acme', set, plan, await generateSigningKeys(plan.freshKeys), now)
}

describe('JWT key lifecycle', () => {
  it('creates a current and a next key, each kid the RFC 7638 thumbprint', async () => {
    const plan = planJwtRotation(undefined, t0, policy)
    expect(plan).to.include({action: 'create', freshKeys: 2})
    const set = await rotate(undefined, t0)
    expect(set.keys.map((key) => key.state)).to.deep.equal(['current', 'next'])
    const {calculateJwkThumbprint} = await import('jose')
    for (const key of set.keys)
      expect(key.kid).to.equal(await calculateJwkThumbprint({crv: key.jwk.crv, kty: 'EC', x: key.jwk.x, y: key.jwk.y}))
  })

  it('waits until the next key has been published for the JWKS cache time, unless forced', async () => {
    const set = await rotate(undefined, t0)
    const early = planJwtRotation(set, at(5), policy)
    expect(early.action).to.equal('wait')
    expect(early.waitUntil).to.equal(at(10).toISOString())
    expect(applyJwtRotation('acme', set, early, [], at(5))).to.equal(set)
    expect(planJwtRotation(set, at(5), policy, {force: true}).action).to.equal('rotate')
    expect(planJwtRotation(set, at(10), policy).action).to.equal('rotate')
  })

  it('promotes next to current and keeps the old current as retiring for the overlap', async () => {
    const first = await rotate(undefined, t0)
    const [current, next] = first.keys
    const second = await rotate(first, at(60))
    const summary = summarizeKeySet(second, at(60))
    expect(summary.current).to.equal(next!.kid)
    expect(summary.retiring).to.deep.equal([
      {kid: current!.kid, removeAfter: new Date(at(60).getTime() + policy.overlapSeconds * 1000).toISOString()},
    ])
    expect(summary.next).to.be.a('string').and.not.oneOf([current!.kid, next!.kid])
    // The input set is left as it was.
    expect(first.keys.map((key) => key.state)).to.deep.equal(['current', 'next'])
  })

  it('stops accepting a retiring key when its overlap ends, and the next rotation removes it', async () => {
    const first = await rotate(undefined, t0)
    const oldKid = first.keys[0]!.kid
    const second = await rotate(first, at(60))
    const overlapEnd = new Date(at(60).getTime() + policy.overlapSeconds * 1000)
    expect(verificationKeys(second, new Date(overlapEnd.getTime() - 1000)).map((key) => key.kid)).to.include(oldKid)
    expect(verificationKeys(second, overlapEnd).map((key) => key.kid)).to.not.include(oldKid)
    expect(jwksDocument(second, overlapEnd).keys.map((key) => key.kid)).to.not.include(oldKid)
    const third = await rotate(second, overlapEnd)
    expect(planJwtRotation(second, overlapEnd, policy).remove).to.deep.equal([oldKid])
    expect(third.keys.map((key) => key.kid)).to.not.include(oldKid)
  })

  it('keeps several retiring keys when rotations come faster than the overlap', async () => {
    let set = await rotate(undefined, t0)
    set = await rotate(set, at(60))
    set = await rotate(set, at(120))
    expect(summarizeKeySet(set, at(121)).retiring).to.have.length(2)
    expect(verificationKeys(set, at(121))).to.have.length(3)
  })

  it('publishes current, next and retiring keys with public parameters only', async () => {
    const set = await rotate(await rotate(undefined, t0), at(60))
    const jwks = jwksDocument(set, at(61))
    expect(jwks.keys).to.have.length(3)
    for (const key of jwks.keys) {
      expect(key).to.have.all.keys('alg', 'crv', 'kid', 'kty', 'use', 'x', 'y')
      expect(key).to.include({alg: 'ES256', crv: 'P-256', kty: 'EC', use: 'sig'})
    }
    expect(JSON.stringify(jwks)).to.not.match(/"d"/)
  })
})
