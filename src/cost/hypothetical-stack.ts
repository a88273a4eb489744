import {SeiketsuError, ExitCode} from '../errors.ts'
import type {Workspace} from '../workspace/workspace.ts'
import type {TerraformJson} from './terraform-json.ts'

export interface HypotheticalClient {
  id: string
  tier: string
  region: string
  drRegion: string
  residency: string
}

/**
 * The Terraform JSON of a client that does not exist yet, synthesized by the same stack code as a
 * real client. PENDING: needs `synthesizeStacks` (src/stacks/synth.ts, issue 3).
 */
export async function synthesizeHypotheticalStack(
  _workspace: Workspace,
  client: HypotheticalClient,
): Promise<TerraformJson> {
  throw new SeiketsuError(
    `cost estimate --tier ${client.tier} needs the client stacks (seiketsu synth), which this build does not have yet`,
    ExitCode.Failure,
    {
      code: 'NOT_AVAILABLE',
      suggestions: ['Estimate an onboarded client after seiketsu synth: seiketsu cost estimate ID'],
    },
  )
}
