import {Flags} from '@oclif/core'

import {TERRAFORM_BIN_ENV} from './binary.ts'
import {DEFAULT_CONCURRENCY} from './fleet.ts'

/** The flags `plan` and `provision` share: how many stacks at once, failure policy, shard, binary. */
export const fleetFlags = {
  concurrency: Flags.integer({
    default: DEFAULT_CONCURRENCY,
    description: 'Stacks at once: never more terraform processes than this run at the same time.',
    max: 64,
    min: 1,
  }),
  'fail-fast': Flags.boolean({
    default: false,
    description: 'Start no new stack after the first failure (default: carry on and report every failure).',
  }),
  platform: Flags.boolean({
    default: false,
    description:
      'Also the platform stack: the management-account side (client accounts, platform roles, CloudTrail, state bucket). In shard 1 only.',
  }),
  shard: Flags.string({
    description:
      'K/N: only the K-th of N deterministic slices of the selected clients (sorted by id, dealt round-robin), so N CI runners cover the fleet exactly once.',
  }),
  'terraform-bin': Flags.string({
    description: `terraform or OpenTofu binary (name on PATH or path; default: $${TERRAFORM_BIN_ENV}, then seiketsu.yaml terraform.binary). Needs ≥ 1.10.`,
  }),
}
