import {resourcesOf} from '../configuration/references.ts'
import {isLiteral, str} from '../configuration/values.ts'
import {resourcePrefix} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {buildClientStackModel, buildPlatformStackModel, type ClientStackModel} from '../stacks/model.ts'
import type {Tier} from '../tiers/tiers.ts'
import type {WorkspaceConfig} from '../workspace/config.ts'
import {ownAccount} from './rules/kit.ts'
import {vpcCidrs} from './rules/network.ts'
import type {FleetMember, Stack} from './types.ts'

/**
 * Who is in the fleet, for the fleet rules. In a workspace, every client of the registry that is not
 * offboarded, with the names `buildClientStackModel` gives its resources: so a reference to another
 * client is found whether or not that client's stack was synthesized on this machine. Outside a
 * workspace, the client stacks given, with the names they carry. Pure: data in, data out.
 */

/** The platform used when a stack does not say (synth's default). */
export const DEFAULT_PLATFORM = 'seiketsu'

/** A name as it appears after the platform prefix: `/seiketsu/acme/app` → `seiketsu/acme/app`. */
export function fromPlatform(name: string, platform: string): string | undefined {
  const at = name.indexOf(platform)
  return at === -1 ? undefined : name.slice(at)
}

/** What separates the parts of a name (and a name from what follows it in an ARN). */
export const SEPARATORS = ['-', '/', '.', '_', ':'] as const

/** The two ways a client's names start: `<platform>-<id>` (resources) and `<platform>/<id>` (logs, secrets, aliases). */
function anchors(platform: string, id: string): string[] {
  return [resourcePrefix(platform, id), `${platform}/${id}`]
}

function collectStrings(value: unknown, into: string[]): string[] {
  if (typeof value === 'string') into.push(value)
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into)
  else if (value && typeof value === 'object') for (const item of Object.values(value)) collectStrings(item, into)
  return into
}

function uniqueNames(platform: string, names: readonly string[]): string[] {
  return [...new Set(names.flatMap((name) => fromPlatform(name, platform) ?? []).filter((name) => name.length > 0))]
}

/** A client as its stack model names it. */
export function memberFromModel(model: ClientStackModel, accountId: string | null): FleetMember {
  const {names, network, platform} = model
  const generated = collectStrings(names, [
    ...[...network.public, ...network.private, ...network.isolated].map((subnet) => subnet.name),
    ...model.integrationSecrets.map((secret) => secret.name),
    model.jwtKeysSecretName,
  ])
  return {
    accountId: accountId ?? undefined,
    buckets: [names.dataBucket, names.drBucket, names.accessLogBucket],
    cidrs: [network.vpcCidr],
    id: model.id,
    names: uniqueNames(platform, generated),
    platform,
    prefixes: anchors(platform, model.id),
  }
}

/** Attributes whose literal value is a resource's own name. */
const NAME_ATTRIBUTES = ['name', 'name_prefix', 'bucket', 'family', 'identifier', 'replication_group_id']

/**
 * A client known only from its stack (Terraform audited outside a workspace): its id, account, VPCs,
 * buckets, and the names of its resources that start with its own prefix.
 */
export function memberFromStack(stack: Stack): FleetMember | undefined {
  const id = stack.client?.id
  if (!id) return undefined
  const platform = stack.platform ?? DEFAULT_PLATFORM
  const own = anchors(platform, id)
  const declared = stack.resources.flatMap((resource) =>
    NAME_ATTRIBUTES.flatMap((attribute) => {
      const value = str(resource.values[attribute])
      return value && isLiteral(value) ? [value] : []
    }),
  )
  return {
    accountId: ownAccount(stack),
    buckets: resourcesOf(stack, 'aws_s3_bucket').flatMap((bucket) => {
      const name = str(bucket.values.bucket)
      return name && isLiteral(name) ? [name] : []
    }),
    cidrs: vpcCidrs(stack).map((vpc) => vpc.cidr),
    id,
    // Only names under its own prefix: a resource named after another client stays that client's.
    names: uniqueNames(platform, declared).filter((name) =>
      own.some((anchor) => SEPARATORS.some((separator) => name.startsWith(`${anchor}${separator}`))),
    ),
    platform,
    prefixes: own,
  }
}

export interface RegistryFleet {
  members: FleetMember[]
  platformNames: string[]
}

/**
 * The fleet of a workspace from its registry: every client not offboarded (and those in `include`,
 * the offboarded clients being audited), named as the stack model names them.
 */
export function registryFleet(
  config: WorkspaceConfig,
  clients: readonly ClientManifest[],
  tiers: Readonly<Record<string, Tier>>,
  include: ReadonlySet<string> = new Set(),
): RegistryFleet {
  const members: FleetMember[] = []
  let repository: string | undefined
  for (const client of clients) {
    if (client.status === 'offboarded' && !include.has(client.id)) continue
    const tier = tiers[client.tier]
    let model: ClientStackModel | undefined
    try {
      model = tier ? buildClientStackModel({client, config, tier}) : undefined
    } catch {
      // A tier that does not fit the client's VPC: synth refuses it too; its id, account and CIDR still count.
    }
    repository ??= model?.arns.imageRepository.split(':repository/')[1]
    members.push(
      model
        ? memberFromModel(model, client.accountId)
        : {
            accountId: client.accountId ?? undefined,
            buckets: [],
            cidrs: [client.cidr],
            id: client.id,
            names: [],
            platform: config.platform,
            prefixes: anchors(config.platform, client.id),
          },
    )
  }
  const platformModel = buildPlatformStackModel(config, clients, tiers)
  const platformNames = uniqueNames(config.platform, [
    ...(repository ? [repository] : []),
    platformModel.trail.name,
    platformModel.trail.bucket,
    platformModel.trail.keyAlias,
    platformModel.alertsTopic,
    ...(platformModel.stateBucket ? [platformModel.stateBucket.bucket, platformModel.stateBucket.keyAlias] : []),
  ])
  return {members, platformNames}
}
