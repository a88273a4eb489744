import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

export const LOCK_FILE_NAME = '.terraform.lock.hcl'

/** One provider of a dependency lock file. */
export interface LockedProvider {
  address: string
  version: string
  constraints?: string
  hashes: string[]
}

/** A provider whose locked version no longer meets the configured constraint (a pin that changed). */
export interface LockMismatch {
  address: string
  locked: string
  constraint: string
}

/** One `init -upgrade` seiketsu ran deliberately, for the fleet's stacks that share its providers. */
export interface ProviderUpgrade {
  /** The stack whose init upgraded (its new lock file went to the others). */
  stackId: string
  providers: {address: string; from: string; to?: string}[]
}

/** The provider blocks of a `.terraform.lock.hcl` text (the format terraform writes). */
export function parseLockFile(text: string): LockedProvider[] {
  const providers: LockedProvider[] = []
  for (const match of text.matchAll(/^provider\s+"([^"]+)"\s*\{([\s\S]*?)^\}/gm)) {
    const body = match[2]!
    const version = /^\s*version\s*=\s*"([^"]+)"/m.exec(body)?.[1]
    if (!version) continue
    providers.push({
      address: match[1]!,
      constraints: /^\s*constraints\s*=\s*"([^"]*)"/m.exec(body)?.[1],
      hashes: [...body.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((hash) => hash[1]!),
      version,
    })
  }
  return providers
}

export async function readLockFile(stackDir: string): Promise<LockedProvider[] | undefined> {
  try {
    return parseLockFile(await readFile(join(stackDir, LOCK_FILE_NAME), 'utf8'))
  } catch {
    return undefined
  }
}

/** A provider source as terraform writes it in lock files: `aws` → registry.terraform.io/hashicorp/aws. */
export function providerAddress(source: string): string {
  const parts = source.toLowerCase().split('/')
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${parts[0]}`
  if (parts.length === 2) return `registry.terraform.io/${parts[0]}/${parts[1]}`
  return parts.join('/')
}

/** The version constraint of every provider a stack requires, by lock-file address. */
export function requiredProviders(stackJson: unknown): Map<string, string | undefined> {
  const root = (stackJson ?? {}) as {terraform?: {required_providers?: Record<string, unknown>}}
  const required = new Map<string, string | undefined>()
  for (const [name, requirement] of Object.entries(root.terraform?.required_providers ?? {})) {
    const block = (Array.isArray(requirement) ? requirement[0] : requirement) as
      {source?: unknown; version?: unknown} | string | undefined
    if (typeof block === 'string') required.set(providerAddress(name), block)
    else
      required.set(
        providerAddress(typeof block?.source === 'string' ? block.source : name),
        typeof block?.version === 'string' ? block.version : undefined,
      )
  }
  return required
}

function versionParts(version: string): number[] {
  return (/^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim()) ?? []).slice(1).map((part) => Number(part ?? 0))
}

function compare(a: number[], b: number[]): number {
  for (let index = 0; index < 3; index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/**
 * Whether a version meets a terraform version constraint (`5.100.0`, `= 5.1`, `>= 5.0, < 6.0`,
 * `~> 5.100`, `!= 5.2.0`). `~> X.Y` allows X.Y up to the next major, `~> X.Y.Z` up to the next minor.
 */
export function satisfies(version: string, constraint: string): boolean {
  const actual = versionParts(version)
  return constraint
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .every((part) => {
      const match = /^(=|!=|>=|<=|>|<|~>)?\s*(\S+)$/.exec(part)
      if (!match) return true
      const [, operator = '=', text] = match
      const wanted = versionParts(text!)
      const order = compare(actual, wanted)
      switch (operator) {
        case '!=': {
          return order !== 0
        }
        case '>': {
          return order > 0
        }
        case '>=': {
          return order >= 0
        }
        case '<': {
          return order < 0
        }
        case '<=': {
          return order <= 0
        }
        case '~>': {
          const precision = text!.split('.').length
          const upper = precision >= 3 ? [wanted[0]!, wanted[1]! + 1, 0] : [wanted[0]! + 1, 0, 0]
          return order >= 0 && compare(actual, upper) < 0
        }
        default: {
          return order === 0
        }
      }
    })
}

/**
 * The locked providers whose version the stack's constraint no longer allows: what makes terraform
 * refuse `init` ("locked provider … does not match configured version constraint …; must use
 * terraform init -upgrade"), with or without -lockfile=readonly.
 */
export function lockMismatches(stackJson: unknown, locked: readonly LockedProvider[]): LockMismatch[] {
  const required = requiredProviders(stackJson)
  return locked.flatMap((provider) => {
    const constraint = required.get(provider.address)
    if (constraint === undefined || satisfies(provider.version, constraint)) return []
    return [{address: provider.address, constraint, locked: provider.version}]
  })
}
