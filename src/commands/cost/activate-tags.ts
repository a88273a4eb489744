import {Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../../base-command.ts'
import {
  activateCostAllocationTags,
  TAG_DISCOVERY_DELAY,
  tagActivationExitCode,
  type TagActivationResult,
} from '../../cost/cost-allocation-tags.ts'
import {tagActivationText} from '../../cost/render.ts'
import {COST_ALLOCATION_TAGS} from '../../stacks/model.ts'

export type CostActivateTagsResult = TagActivationResult

export default class CostActivateTags extends SeiketsuCommand<CostActivateTagsResult> {
  static override description = `Activates seiketsu's cost-allocation tag keys (${COST_ALLOCATION_TAGS.join(', ')}) through Cost Explorer in the management (payer) account: ListCostAllocationTags tells each key's status, UpdateCostAllocationTagsStatus activates the inactive ones (20 per request). Safe to run again: active keys are left alone, and a run with nothing to do says so.
Billing learns a tag key up to 24 hours after the first resource carrying it exists, so right after the first apply a key can be "not known to Billing yet": run the command again a day later (a scheduled CI job can).
Each Cost Explorer request costs $0.01: the command says how many it made; --max-attempts bounds the retries. Credentials come from the standard AWS chain (--profile, AWS_PROFILE, environment, SSO…); --endpoint-url or AWS_ENDPOINT_URL_COST_EXPLORER points it elsewhere.
A key not known to Billing yet is a warning and "complete": false in --json: run the command again later.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --profile payer --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'every key is active or was activated (a key not known to Billing yet is a warning)',
    4: 'AWS failed or refused a key',
  })
  static override flags = {
    'dry-run': Flags.boolean({default: false, description: 'Only list each key and what would change.'}),
    'endpoint-url': Flags.string({
      description: 'Cost Explorer endpoint (default: AWS_ENDPOINT_URL_COST_EXPLORER or AWS).',
    }),
    'max-attempts': Flags.integer({
      default: 2,
      description: 'Attempts per request, retries included (each attempt is a billed request).',
      max: 5,
      min: 1,
    }),
    profile: Flags.string({description: 'AWS profile of the management (payer) account.'}),
  }
  static override summary = "Activate seiketsu's cost-allocation tags (Cost Explorer)."

  async run(): Promise<WithExitCode<CostActivateTagsResult>> {
    const {flags} = await this.parse(CostActivateTags)
    const result = await activateCostAllocationTags(COST_ALLOCATION_TAGS, {
      dryRun: flags['dry-run'],
      endpointUrl: flags['endpoint-url'],
      maxAttempts: flags['max-attempts'],
      profile: flags.profile,
    })
    if (!this.jsonEnabled()) this.log(tagActivationText(result))
    if (result.notKnownYet.length > 0)
      this.warn(
        `Not known to Billing yet: ${result.notKnownYet.join(', ')} (it learns a key ${TAG_DISCOVERY_DELAY} after the first tagged resource exists). Run seiketsu cost activate-tags again later.`,
      )
    return new WithExitCode(result, tagActivationExitCode(result))
  }
}
