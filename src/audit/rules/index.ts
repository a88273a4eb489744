import type {Rule} from '../types.ts'
import {cacheRules} from './cache.ts'
import {computeRules} from './compute.ts'
import {databaseRules} from './database.ts'
import {deployabilityRules} from './deployability.ts'
import {edgeRules} from './edge.ts'
import {fleetRules} from './fleet.ts'
import {iamRules} from './iam.ts'
import {keyRules} from './keys.ts'
import {networkRules} from './network.ts'
import {observabilityRules} from './observability.ts'
import {providerRules} from './provider.ts'
import {scalingRules} from './scaling.ts'
import {secretRules} from './secrets.ts'
import {sgRules} from './security-groups.ts'
import {storageRules} from './storage.ts'
import {trailRules} from './trail.ts'

/** Every rule of seiketsu's policy, in catalogue order (by domain, then id). */
export const RULES: readonly Rule[] = [
  ...providerRules,
  ...keyRules,
  ...networkRules,
  ...sgRules,
  ...edgeRules,
  ...computeRules,
  ...scalingRules,
  ...databaseRules,
  ...cacheRules,
  ...storageRules,
  ...secretRules,
  ...observabilityRules,
  ...iamRules,
  ...trailRules,
  ...fleetRules,
  ...deployabilityRules,
]

export function ruleById(id: string): Rule | undefined {
  return RULES.find((rule) => rule.id === id)
}
