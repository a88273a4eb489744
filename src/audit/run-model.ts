import type {ProviderConfig, Resource} from '../configuration/model.ts'
import {providerAccount, providerOf} from '../configuration/providers.ts'
import {references} from '../configuration/references.ts'
import {isLiteral, list, num, str, strings} from '../configuration/values.ts'
import type {Stack, StackKind} from './types.ts'

/**
 * What a run of stacks deploys, for the rules that judge whether it can apply: the order stacks apply
 * in, the account and region each resource lands in, what a resource waits for, and which counts are
 * gates an operator's tool opens. Pure: stacks in, answers out.
 */

/**
 * The step at which each kind of stack applies (DESIGN.md: the platform stack first, then a bootstrap
 * stack per client account, then the client stack). Terraform from elsewhere has no known step.
 */
const APPLY_STEPS: Partial<Record<StackKind, number>> = {bootstrap: 1, client: 2, platform: 0}

export function applyStep(stack: Stack): number | undefined {
  return APPLY_STEPS[stack.kind]
}

export const APPLY_ORDER = 'platform → bootstrap → client'

const ACCOUNT_ID = /^\d{12}$/

/** The account a provider works in: the role it assumes, else the single account it is allowed. */
function providerWorkAccount(provider: ProviderConfig | undefined): string | undefined {
  const assumed = providerAccount(provider)
  if (assumed) return assumed
  const allowed = strings(provider?.values.allowed_account_ids)
  return allowed.length === 1 && ACCOUNT_ID.test(allowed[0]!) ? allowed[0] : undefined
}

/**
 * Where the resources of a run land: the account and region of each, and the accounts the run works in
 * (what it can know about). Built once per run.
 */
export class RunPlacement {
  /**
   * Every account a stack of the run works in: that of its default provider (an aliased provider can
   * reach another account for one narrow job, e.g. a client's DNS delegation in the management
   * account, without the run holding what lives there).
   */
  readonly accounts = new Set<string>()
  private readonly managementAccountId: string | undefined

  constructor(stacks: readonly Stack[]) {
    this.managementAccountId = stacks.find((stack) => stack.client?.managementAccountId)?.client?.managementAccountId
    for (const stack of stacks) {
      for (const provider of stack.providers.filter((candidate) => !candidate.alias)) {
        const account = providerWorkAccount(provider)
        if (account) this.accounts.add(account)
      }
      const fallback = this.stackAccount(stack)
      if (fallback) this.accounts.add(fallback)
    }
  }

  /** The account a resource is created in: that of its provider, else of its stack. */
  account(stack: Stack, resource: Resource): string | undefined {
    return providerWorkAccount(providerOf(stack, resource)) ?? this.stackAccount(stack)
  }

  /** The region a resource is created in, when literal (undefined: unknown, or the environment's). */
  region(stack: Stack, resource: Resource): string | undefined {
    const provider = providerOf(stack, resource)
    const region = str(provider?.values.region)
    if (region && isLiteral(region)) return region
    return provider && !provider.alias ? stack.client?.region : undefined
  }

  /** The account a stack works in when its provider does not say: its client's, or the management account. */
  private stackAccount(stack: Stack): string | undefined {
    if (stack.client?.accountId) return stack.client.accountId
    return stack.kind === 'platform' ? this.managementAccountId : undefined
  }
}

/** The resources a resource waits for directly: its depends_on, those of the stack it references (and a plan's configuration says it waits for). */
function directDependencies(stack: Stack, resource: Resource): string[] {
  const found = new Set<string>()
  const add = (address: string) => {
    const target = stack.byAddress.get(address)
    if (target && target !== resource) found.add(target.address)
  }
  // depends_on is a list of bare addresses in JSON, of `${address}` in HCL converted to JSON.
  for (const entry of list(resource.values.depends_on)) {
    const text = str(entry)
    if (text && isLiteral(text)) add(text)
  }
  for (const address of references(resource.values)) add(address)
  for (const address of resource.dependsOn ?? []) add(address)
  return [...found]
}

const closures = new WeakMap<Stack, Map<string, Set<string>>>()

/** Every resource a resource waits for, transitively (memoized per stack). */
export function dependenciesOf(stack: Stack, resource: Resource): Set<string> {
  let byAddress = closures.get(stack)
  if (!byAddress) closures.set(stack, (byAddress = new Map()))
  const known = byAddress.get(resource.address)
  if (known) return known
  const closure = new Set<string>()
  // Mark it before walking, so that a cycle (which terraform refuses anyway) ends.
  byAddress.set(resource.address, closure)
  for (const address of directDependencies(stack, resource)) {
    closure.add(address)
    const next = stack.byAddress.get(address)
    if (next) for (const further of dependenciesOf(stack, next)) closure.add(further)
  }
  return closure
}

export function dependsOn(stack: Stack, resource: Resource, on: Resource): boolean {
  return dependenciesOf(stack, resource).has(on.address)
}

/**
 * Whether a count is a gate the operator's tool opens: literally 0, or a conditional on a variable with
 * 0 as one branch (`${var.service_enabled ? 2 : 0}`), so nothing starts until it is set.
 */
export function isGatedCount(value: unknown): boolean {
  if (num(value) === 0) return true
  const text = str(value)
  const conditional = text ? /^\$\{\s*([^?{}]+?)\s*\?\s*([^:{}]+?)\s*:\s*([^{}]+?)\s*\}$/.exec(text) : null
  if (!conditional) return false
  const [, condition, whenTrue, whenFalse] = conditional
  return /(^|[^\w.])var\.[A-Za-z_]/.test(condition!) && (whenTrue === '0' || whenFalse === '0')
}

/** The open branch of a gated count (`${var.ready ? 2 : 0}` → 2), for rules that check its bounds. */
export function gatedCountValue(value: unknown): number | undefined {
  const text = str(value)
  if (!text || !isGatedCount(text) || num(text) === 0) return undefined
  const [, whenTrue, whenFalse] = /\?\s*([^:]+?)\s*:\s*([^}]+?)\s*\}$/.exec(text) ?? []
  return num(whenTrue === '0' ? whenFalse : whenTrue)
}
