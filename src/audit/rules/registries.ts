import {resourcesOf} from '../../configuration/references.ts'
import {blocks, isLiteral, str, strings} from '../../configuration/values.ts'
import type {RunPlacement} from '../run-model.ts'
import type {Stack} from '../types.ts'
import type {PrivateImage} from './workloads.ts'

/** The private ECR repositories of a run: where its stacks create them, and where replication copies them. */

interface Repository {
  account: string
  /** Undefined: the region of the environment (unknown to the audit). */
  region?: string
  name: string
}

interface ReplicationRule {
  account: string
  region?: string
  /** Repository name prefixes it replicates (empty: every repository). */
  prefixes: string[]
  /** Where to; an undefined part is unknown (an expression) and matches anything. */
  destinations: {account?: string; region?: string}[]
}

/** The private ECR repositories a run creates, and where its replication configurations copy them. */
export class RunRegistries {
  private readonly repositories = new Map<string, Repository[]>()
  private readonly replication: ReplicationRule[] = []
  /** Accounts with a repository whose name only terraform knows: nothing can be said about them. */
  private readonly unknowable = new Set<string>()
  private readonly placement: RunPlacement

  constructor(stacks: readonly Stack[], placement: RunPlacement) {
    this.placement = placement
    for (const stack of stacks) {
      for (const repository of resourcesOf(stack, 'aws_ecr_repository')) {
        const account = placement.account(stack, repository)
        const name = str(repository.values.name)
        if (!account) continue
        if (!name || !isLiteral(name)) this.unknowable.add(account)
        else
          this.repositories.set(account, [
            ...(this.repositories.get(account) ?? []),
            {account, name, region: placement.region(stack, repository)},
          ])
      }
      for (const configuration of resourcesOf(stack, 'aws_ecr_replication_configuration')) {
        const account = placement.account(stack, configuration)
        if (!account) continue
        const region = placement.region(stack, configuration)
        for (const rule of blocks(configuration.values.replication_configuration).flatMap((c) => blocks(c.rule)))
          this.replication.push({
            account,
            destinations: blocks(rule.destination).map((destination) => ({
              account: registryAccount(destination.registry_id, account),
              region: literal(destination.region),
            })),
            prefixes: blocks(rule.repository_filter).flatMap((filter) => strings(filter.filter)),
            region,
          })
      }
    }
  }

  /** Whether the run can tell if the image's repository exists: it works in that account. */
  knows(image: PrivateImage): boolean {
    return this.placement.accounts.has(image.account) && !this.unknowable.has(image.account)
  }

  /** A repository of that name in that account and region: created there, or replicated there. */
  holds(image: PrivateImage): boolean {
    if (this.createdIn(image.account, image.region, image.repository)) return true
    return this.replication.some(
      (rule) =>
        (rule.prefixes.length === 0 || rule.prefixes.some((prefix) => image.repository.startsWith(prefix))) &&
        rule.destinations.some(
          (destination) =>
            (destination.account ?? image.account) === image.account &&
            (destination.region ?? image.region) === image.region,
        ) &&
        this.createdIn(rule.account, rule.region, image.repository),
    )
  }

  private createdIn(account: string, region: string | undefined, name: string): boolean {
    return (this.repositories.get(account) ?? []).some(
      (repository) =>
        repository.name === name &&
        (repository.region === undefined || region === undefined || repository.region === region),
    )
  }
}

function literal(value: unknown): string | undefined {
  const text = str(value)
  return text && isLiteral(text) ? text : undefined
}

/** A replication destination's registry: a literal account, the configuration's own (aws_caller_identity), or unknown. */
function registryAccount(value: unknown, own: string): string | undefined {
  const text = str(value)
  if (!text) return own
  if (/^\d{12}$/.test(text)) return text
  return /^\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}$/.test(text) ? own : undefined
}
