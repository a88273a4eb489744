import type {ProviderConfig, Resource} from './model.ts'
import {arnAccount, at, isObject, str} from './values.ts'

/** Which provider configuration a resource uses, and what a provider says about where it works. */

interface WithProviders {
  providers: readonly ProviderConfig[]
}

export function defaultProvider(configuration: WithProviders): ProviderConfig | undefined {
  return configuration.providers.find((provider) => provider.name === 'aws' && !provider.alias)
}

/** The provider configuration a resource uses (its `provider` attribute, else the default AWS one). */
export function providerOf(configuration: WithProviders, resource: Resource): ProviderConfig | undefined {
  const key = str(resource.values.provider)?.replace(/^\$\{(.*)\}$/, '$1')
  if (key) return configuration.providers.find((provider) => provider.key === key)
  return defaultProvider(configuration)
}

/** The default-tag map of the AWS provider without alias (cdktf writes default_tags as a list). */
export function defaultTags(configuration: WithProviders): Record<string, string> {
  const tags = at(defaultProvider(configuration)?.values, 'default_tags', 'tags')
  return isObject(tags) ? (Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])) as never) : {}
}

/** The account a provider works in: from its assume_role role ARN. */
export function providerAccount(provider: ProviderConfig | undefined): string | undefined {
  const roleArn = str(at(provider?.values, 'assume_role', 'role_arn'))
  return roleArn ? arnAccount(roleArn) : undefined
}
