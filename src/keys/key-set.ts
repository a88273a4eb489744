import {z} from 'zod'

import {formatDuration} from './duration.ts'

/**
 * A client's JWT signing keys and their lifecycle, next → current → retiring → removed, as pure
 * functions of the key set and the clock. No I/O and no key generation here: fresh keys come in
 * as data (see jwk.ts), storage is the keystore's business.
 */

/** The one signing algorithm of ClientTokens. Verification pins it: never `none`, never HMAC. */
export const SIGNING_ALG = 'ES256'

export const KEY_STATES = ['next', 'current', 'retiring'] as const
export type KeyState = (typeof KEY_STATES)[number]

const base64url = z.string().regex(/^[\w-]+$/, {error: 'must be base64url'})

const PrivateJwkSchema = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url,
  y: base64url,
  d: base64url,
})

export type PrivateJwk = z.infer<typeof PrivateJwkSchema>

/** The public half, as published in the JWKS (RFC 7517). */
export interface PublicJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
  kid: string
  alg: typeof SIGNING_ALG
  use: 'sig'
}

const SigningKeySchema = z.strictObject({
  kid: z.string().min(1),
  state: z.enum(KEY_STATES),
  createdAt: z.iso.datetime(),
  activatedAt: z.iso.datetime().optional(),
  retiredAt: z.iso.datetime().optional(),
  removeAfter: z.iso.datetime().optional(),
  jwk: PrivateJwkSchema,
})

export type SigningKey = z.infer<typeof SigningKeySchema>

export const KeySetSchema = z
  .strictObject({
    version: z.literal(1),
    client: z.string().min(1),
    alg: z.literal(SIGNING_ALG),
    updatedAt: z.iso.datetime(),
    keys: z.array(SigningKeySchema),
  })
  .superRefine((set, ctx) => {
    const kids = set.keys.map((key) => key.kid)
    if (new Set(kids).size !== kids.length)
      ctx.addIssue({code: 'custom', message: 'kids must be distinct', path: ['keys']})
    for (const state of ['next', 'current'] as const)
      if (set.keys.filter((key) => key.state === state).length > 1)
        ctx.addIssue({code: 'custom', message: `more than one ${state} key`, path: ['keys']})
    set.keys.forEach((key, index) => {
      if (key.state === 'retiring' && !key.removeAfter)
        ctx.addIssue({code: 'custom', message: 'a retiring key needs removeAfter', path: ['keys', index]})
    })
  })

export type KeySet = z.infer<typeof KeySetSchema>

/** A freshly generated key pair: its RFC 7638 thumbprint and private JWK. */
export interface GeneratedKey {
  kid: string
  jwk: PrivateJwk
}

export interface KeyLifecyclePolicy {
  /** How long a retired key stays published and accepted: the longest token lifetime plus clock skew. */
  overlapSeconds: number
  /** How long the next key must have been published before it may sign (the verifiers' JWKS cache time). */
  publishLeadSeconds: number
}

export function keyInState(set: KeySet | undefined, state: 'next' | 'current'): SigningKey | undefined {
  return set?.keys.find((key) => key.state === state)
}

/** Retiring keys still inside their overlap at `now`; the others count as removed even before a rotation prunes them. */
export function liveRetiringKeys(set: KeySet, now: Date): SigningKey[] {
  return set.keys.filter((key) => key.state === 'retiring' && Date.parse(key.removeAfter!) > now.getTime())
}

/** Keys whose signatures are accepted at `now`: current and live retiring ones. The next key has signed nothing yet. */
export function verificationKeys(set: KeySet, now: Date): SigningKey[] {
  const current = keyInState(set, 'current')
  return [...(current ? [current] : []), ...liveRetiringKeys(set, now)]
}

/** Keys the JWKS publishes at `now`: current, next (so verifiers know it before it signs) and live retiring keys. */
export function publishedKeys(set: KeySet, now: Date): SigningKey[] {
  const order: Record<KeyState, number> = {current: 0, next: 1, retiring: 2}
  return [...verificationKeys(set, now), ...(keyInState(set, 'next') ? [keyInState(set, 'next')!] : [])].sort(
    (a, b) => order[a.state] - order[b.state],
  )
}

/** The public JWK of a key: never `d`, whatever the stored JWK holds. */
export function publicJwk(key: SigningKey): PublicJwk {
  return {alg: SIGNING_ALG, crv: key.jwk.crv, kid: key.kid, kty: key.jwk.kty, use: 'sig', x: key.jwk.x, y: key.jwk.y}
}

/** The RFC 7517 JWK Set a platform API publishes for one client. */
export function jwksDocument(set: KeySet, now: Date): {keys: PublicJwk[]} {
  return {keys: publishedKeys(set, now).map(publicJwk)}
}

/** What a key set holds, without key material: safe for --json, logs and the audit trail. */
export interface KeySetSummary {
  current?: string
  next?: string
  retiring: {kid: string; removeAfter: string}[]
}

export function summarizeKeySet(set: KeySet | undefined, now: Date): KeySetSummary {
  if (!set) return {retiring: []}
  return {
    current: keyInState(set, 'current')?.kid,
    next: keyInState(set, 'next')?.kid,
    retiring: liveRetiringKeys(set, now).map((key) => ({kid: key.kid, removeAfter: key.removeAfter!})),
  }
}

export interface JwtRotationPlan {
  /** create: no keys yet; rotate: promote and retire; wait: the next key is too fresh to sign. */
  action: 'create' | 'rotate' | 'wait'
  /** How many new keys `applyJwtRotation` needs. */
  freshKeys: number
  /** The next key that becomes current (absent when a fresh key has to). */
  promote?: string
  /** The current key that becomes retiring. */
  retire?: string
  /** Until when the retired key stays published. */
  removeAfter?: string
  /** Retiring keys past their overlap, dropped by this rotation. */
  remove: string[]
  /** Why a rotation waits, and until when. */
  reason?: string
  waitUntil?: string
}

/**
 * What a rotation at `now` does. It promotes next to current (a fresh next replaces it) and keeps
 * the old current as retiring for the overlap, so tokens it signed keep verifying until they
 * expire. A next key published for less than the JWKS cache time waits unless `force`.
 */
export function planJwtRotation(
  set: KeySet | undefined,
  now: Date,
  policy: KeyLifecyclePolicy,
  options: {force?: boolean} = {},
): JwtRotationPlan {
  const current = keyInState(set, 'current')
  const next = keyInState(set, 'next')
  if (!set || (!current && !next)) return {action: 'create', freshKeys: 2, remove: []}
  const remove = set.keys
    .filter((key) => key.state === 'retiring' && Date.parse(key.removeAfter!) <= now.getTime())
    .map((key) => key.kid)
  if (next && !options.force) {
    const publishedAt = Date.parse(next.createdAt)
    const readyAt = publishedAt + policy.publishLeadSeconds * 1000
    if (readyAt > now.getTime())
      return {
        action: 'wait',
        freshKeys: 0,
        reason: `the next key was published at ${next.createdAt} and verifiers may cache the JWKS for ${formatDuration(policy.publishLeadSeconds)}`,
        remove: [],
        waitUntil: new Date(readyAt).toISOString(),
      }
  }
  return {
    action: 'rotate',
    freshKeys: next ? 1 : 2,
    promote: next?.kid,
    remove,
    removeAfter: current ? new Date(now.getTime() + policy.overlapSeconds * 1000).toISOString() : undefined,
    retire: current?.kid,
  }
}

/** The key set after `plan`, with `fresh` supplying the new keys. Pure: the input set is not changed. */
export function applyJwtRotation(
  client: string,
  set: KeySet | undefined,
  plan: JwtRotationPlan,
  fresh: readonly GeneratedKey[],
  now: Date,
): KeySet {
  if (plan.action !== 'create' && !set) throw new Error(`a ${plan.action} plan needs the key set it was made from`)
  if (plan.action === 'wait') return set!
  if (fresh.length < plan.freshKeys) throw new Error(`rotation needs ${plan.freshKeys} fresh keys, got ${fresh.length}`)
  const at = now.toISOString()
  const created = fresh.map((key) => ({createdAt: at, jwk: key.jwk, kid: key.kid}))
  if (plan.action === 'create')
    return {
      alg: SIGNING_ALG,
      client,
      keys: [
        {...created[0]!, activatedAt: at, state: 'current'},
        {...created[1]!, state: 'next'},
      ],
      updatedAt: at,
      version: 1,
    }
  const keys: SigningKey[] = []
  for (const key of set!.keys) {
    if (plan.remove.includes(key.kid)) continue
    if (key.kid === plan.retire) keys.push({...key, removeAfter: plan.removeAfter, retiredAt: at, state: 'retiring'})
    else if (key.kid === plan.promote) keys.push({...key, activatedAt: at, state: 'current'})
    else keys.push(key)
  }
  if (!plan.promote) keys.unshift({...created.shift()!, activatedAt: at, state: 'current'})
  keys.push({...created.shift()!, state: 'next'})
  const order: Record<KeyState, number> = {current: 0, next: 1, retiring: 2}
  keys.sort((a, b) => order[a.state] - order[b.state])
  return {...set!, keys, updatedAt: at}
}
