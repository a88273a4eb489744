import type {ClientManifest} from '../registry/manifest.ts'
import {loadRegistry} from '../registry/registry.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents} from './audit.ts'
import type {AwsOptions} from '../aws/clients.ts'
import {noAccountError} from '../aws/errors.ts'
import {AwsSession} from '../aws/session.ts'
import {SecretsManagerKeyStore} from './aws-keystore.ts'
import {parseDuration} from './duration.ts'
import {generateSigningKeys} from './jwk.ts'
import {
  applyJwtRotation,
  jwksDocument,
  keyInState,
  planJwtRotation,
  summarizeKeySet,
  type JwtRotationPlan,
  type KeyLifecyclePolicy,
  type KeySet,
  type KeySetSummary,
  type PublicJwk,
} from './key-set.ts'
import {LocalKeyStore, type KeyStore} from './keystore.ts'
import {loadRbac, maxClientTokenLifetime, type Rbac} from './rbac.ts'

/** How the key functions reach AWS and tell the time; every field optional. */
export interface KeyOperationOptions {
  /** A session shared by a whole command run; otherwise one is made (and closed) per call. */
  aws?: AwsSession
  awsOptions?: AwsOptions
  now?: Date
  /** The command recorded in the audit trail. */
  command?: string
}

export type KeyStoreKind = 'local' | 'aws'

/** The keystore the workspace chose (`keys.store` in seiketsu.yaml) for one client. */
export function keyStoreFor(workspace: Workspace, client: ClientManifest, aws: () => AwsSession): KeyStore {
  if (workspace.config.keys.store === 'local') return new LocalKeyStore(workspace.root, client.id)
  if (!client.accountId) throw noAccountError(client.id, 'with keys.store aws its signing keys live in that account')
  return new SecretsManagerKeyStore(workspace.config.platform, client, aws())
}

/** Runs `work` with the caller's AWS session, or with one made for it and closed afterwards. */
export async function withAwsSession<T>(
  workspace: Workspace,
  options: KeyOperationOptions,
  purpose: string,
  work: (session: () => AwsSession) => Promise<T>,
): Promise<T> {
  let own: AwsSession | undefined
  const session = () =>
    options.aws ?? (own ??= new AwsSession(options.awsOptions ?? {}, workspace.config.region, purpose))
  try {
    return await work(session)
  } finally {
    await own?.close()
  }
}

/**
 * How long keys overlap: a retired key stays published for the longest ClientToken lifetime
 * (templates/rbac.yaml) plus the clock skew; a next key is published a JWKS cache time before it signs.
 */
export function lifecyclePolicy(workspace: Workspace, rbac: Rbac): KeyLifecyclePolicy {
  return {
    overlapSeconds: maxClientTokenLifetime(rbac) + parseDuration(workspace.config.tokens.clockSkew)!,
    publishLeadSeconds: parseDuration(workspace.config.tokens.jwksCacheTtl)!,
  }
}

export interface EnsureSigningKeysResult {
  client: string
  store: KeyStoreKind
  /** Where the keys are (a path or a secret name); never the keys. */
  location?: string
  /** Whether this call created the keys (false: they existed). */
  created: boolean
  current?: string
  next?: string
  /** Why no keys exist yet (an AWS keystore before the client has an account). */
  deferred?: string
}

/**
 * Makes sure a client has signing keys (a current and a next key), creating them when it has none:
 * onboarding calls this, and so does the first token. Creation is recorded in the audit trail.
 * Idempotent. With the AWS keystore and no account yet, nothing is created and `deferred` says why.
 */
export async function ensureSigningKeys(
  workspace: Workspace,
  client: ClientManifest,
  options: KeyOperationOptions = {},
): Promise<EnsureSigningKeysResult> {
  const storeKind = workspace.config.keys.store
  if (storeKind === 'aws' && !client.accountId)
    return {
      client: client.id,
      created: false,
      deferred: 'no AWS account yet: the keys are created on first use once accountId is set',
      store: storeKind,
    }
  const now = options.now ?? new Date()
  const rbac = await loadRbac()
  return withAwsSession(workspace, options, 'keys', async (session) => {
    const store = keyStoreFor(workspace, client, session)
    const outcome = await store.update(async (current) => {
      if (keyInState(current, 'current')) return {result: {created: false, set: current!}}
      const plan = planJwtRotation(current, now, lifecyclePolicy(workspace, rbac), {force: true})
      const set = applyJwtRotation(client.id, current, plan, await generateSigningKeys(plan.freshKeys), now)
      return {result: {created: true, set}, set}
    })
    const summary = summarizeKeySet(outcome.set, now)
    if (outcome.created)
      await recordKeyEvents(
        workspace,
        [
          {
            action: 'create-signing-keys',
            change: {current: summary.current, next: summary.next, store: store.kind},
            client: client.id,
          },
        ],
        options.command ?? 'seiketsu',
        now,
      )
    return {
      client: client.id,
      created: outcome.created,
      current: summary.current,
      location: store.location,
      next: summary.next,
      store: store.kind,
    }
  })
}

/** A client's key set as stored, or undefined when it has none. Never creates keys. */
export async function loadSigningKeys(
  workspace: Workspace,
  client: ClientManifest,
  options: KeyOperationOptions = {},
): Promise<KeySet | undefined> {
  return withAwsSession(workspace, options, 'keys', async (session) => keyStoreFor(workspace, client, session).load())
}

/** A client's key set, created first when it has none (the "first use" of `token issue` and `keys jwks`). */
export async function signingKeysOnFirstUse(
  workspace: Workspace,
  client: ClientManifest,
  options: KeyOperationOptions = {},
): Promise<{set: KeySet; created: boolean}> {
  return withAwsSession(workspace, options, 'keys', async (session) => {
    const shared = {...options, aws: session()}
    const existing = await loadSigningKeys(workspace, client, shared)
    if (keyInState(existing, 'current')) return {created: false, set: existing!}
    const ensured = await ensureSigningKeys(workspace, client, shared)
    const set = await loadSigningKeys(workspace, client, shared)
    return {created: ensured.created, set: set!}
  })
}

/** `seiketsu keys jwks`: the public JWK Set of a client (its keys created on first use). */
export async function clientJwks(
  workspace: Workspace,
  clientId: string,
  options: KeyOperationOptions = {},
): Promise<{created: boolean; jwks: {keys: PublicJwk[]}}> {
  const client = (await loadRegistry(workspace)).get(clientId)
  const {created, set} = await signingKeysOnFirstUse(workspace, client, options)
  return {created, jwks: jwksDocument(set, options.now ?? new Date())}
}

export interface JwtRotationResult {
  client: string
  store: KeyStoreKind
  location: string
  /** rotated/created: written; planned: --dry-run; waiting: the next key is too fresh (see plan.reason). */
  status: 'rotated' | 'created' | 'planned' | 'waiting'
  plan: JwtRotationPlan
  before: KeySetSummary
  after: KeySetSummary
}

/**
 * Rotates a client's signing keys: next → current, current → retiring (kept for the overlap),
 * expired retiring keys removed, a fresh next key. `force` (--now) promotes a next key that
 * verifiers may not have fetched yet. Every change is recorded in the audit trail.
 */
export async function rotateSigningKeys(
  workspace: Workspace,
  client: ClientManifest,
  options: KeyOperationOptions & {dryRun?: boolean; force?: boolean; rbac?: Rbac} = {},
): Promise<JwtRotationResult> {
  const now = options.now ?? new Date()
  const policy = lifecyclePolicy(workspace, options.rbac ?? (await loadRbac()))
  return withAwsSession(workspace, options, 'rotate-keys', async (session) => {
    const store = keyStoreFor(workspace, client, session)
    const unchanged = (current: KeySet | undefined): Omit<JwtRotationResult, 'status'> => {
      const before = summarizeKeySet(current, now)
      const plan = planJwtRotation(current, now, policy, {force: options.force})
      return {after: before, before, client: client.id, location: store.location, plan, store: store.kind}
    }
    // A dry run only reads: no lock, no folder created.
    if (options.dryRun) {
      const preview = unchanged(await store.load())
      return {...preview, status: preview.plan.action === 'wait' ? 'waiting' : 'planned'}
    }
    const result = await store.update<JwtRotationResult>(async (current) => {
      const {plan, ...rest} = unchanged(current)
      if (plan.action === 'wait') return {result: {...rest, plan, status: 'waiting'}}
      const set = applyJwtRotation(client.id, current, plan, await generateSigningKeys(plan.freshKeys), now)
      const status = plan.action === 'create' ? 'created' : 'rotated'
      return {result: {...rest, after: summarizeKeySet(set, now), plan, status}, set}
    })
    if (result.status === 'rotated' || result.status === 'created')
      await recordKeyEvents(
        workspace,
        [
          {
            action: result.status === 'created' ? 'create-signing-keys' : 'rotate-signing-keys',
            change: {
              current: result.after.current,
              next: result.after.next,
              removed: result.plan.remove,
              retired: result.plan.retire,
              retiredUntil: result.plan.removeAfter,
              store: result.store,
            },
            client: client.id,
          },
        ],
        options.command ?? 'seiketsu rotate-keys',
        now,
      )
    return result
  })
}
