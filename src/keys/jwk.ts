import {SIGNING_ALG, type GeneratedKey, type PrivateJwk} from './key-set.ts'

/** The RFC 7638 thumbprint (SHA-256, base64url) of a key's public members: the key's `kid`. */
export async function jwkThumbprint(jwk: Pick<PrivateJwk, 'crv' | 'kty' | 'x' | 'y'>): Promise<string> {
  const {calculateJwkThumbprint} = await import('jose')
  return calculateJwkThumbprint({crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y}, 'sha256')
}

/** A new P-256 key pair for ES256, exported as a private JWK, its kid the thumbprint. */
export async function generateSigningKey(): Promise<GeneratedKey> {
  const {exportJWK, generateKeyPair} = await import('jose')
  // jose 6 makes private keys non-extractable by default; the keystore needs the JWK.
  const {privateKey} = await generateKeyPair(SIGNING_ALG, {extractable: true})
  const exported = await exportJWK(privateKey)
  const jwk: PrivateJwk = {crv: 'P-256', d: exported.d!, kty: 'EC', x: exported.x!, y: exported.y!}
  return {jwk, kid: await jwkThumbprint(jwk)}
}

export async function generateSigningKeys(count: number): Promise<GeneratedKey[]> {
  return Promise.all(Array.from({length: count}, () => generateSigningKey()))
}
