import {Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand, WithExitCode} from '../base-command.ts'
import {usageError} from '../errors.ts'
import {
  completeInput,
  parseAccountId,
  parseIntegrations,
  readOnboardFile,
  toDraft,
  FLAG_FOR_FIELD,
  type ClientInput,
} from '../onboard/input.ts'
import {onboardClients, renderOnboardSummary, type OnboardResult} from '../onboard/onboard.ts'
import type {ProvisionCandidate} from '../terraform/provision.ts'
import {BOOTSTRAP_ADOPTABLE, INTEGRATIONS, type BootstrapAdoptable} from '../registry/manifest.ts'
import {loadRegistry} from '../registry/registry.ts'
import {promptConfirm} from '../ui/prompt.ts'

export default class Onboard extends SeiketsuCommand<OnboardResult> {
  static override description = `Walks through the seed's onboarding procedure: validate the input → allocate the CIDR and names → write the manifest → synthesize the client's stack → audit it → a summary with the client's monthly cost and the next commands.
On a terminal it asks for every value the flags leave out (re-asking invalid answers) and confirms before writing anything. In CI, with --json or --yes, nothing is asked: a missing value is exit 2 naming the flags.
Onboarding the same client with the same input again changes nothing; different input is exit 2 (use seiketsu clients update).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name "Acme Realty" --email ops@acme.example --tier silver --region us-east-1 --account-id new --integrations elevenlabs,twilio --yes',
    '<%= config.bin %> <%= command.id %> --file fleet.yaml --yes --json',
    '<%= config.bin %> <%= command.id %> --file acme.yaml --dry-run',
  ]
  static exitCodes = exitCodeTable({
    0: 'onboarded (and, with --plan or --apply, planned or applied)',
    1: 'a runtime error, or (--plan, --apply) a stack in use by another plan or provision',
    2: 'invalid or missing input, or the client exists with other input; nothing was written',
    3: 'the new stack fails the audit, or --apply met a blocked destructive change',
    4: 'terraform failed (--plan, --apply)',
  })
  static override flags = {
    apply: Flags.boolean({
      default: false,
      description: 'Then plan and apply the new stack (with --yes, or confirmed on a terminal).',
    }),
    plan: Flags.boolean({default: false, description: 'Then plan the new stack with terraform (as seiketsu plan).'}),
    'terraform-bin': Flags.string({
      description:
        'terraform or OpenTofu binary for --plan / --apply (default: $SEIKETSU_TERRAFORM_BIN, then seiketsu.yaml).',
    }),
    'account-id': Flags.string({
      description: "The client's existing AWS account id (12 digits), or `new` to have the platform stack create one.",
    }),
    adopt: Flags.string({
      description: `For an existing account: what it already has, for its bootstrap stack to import rather than create, comma-separated: ${BOOTSTRAP_ADOPTABLE.join(', ')}.`,
    }),
    'bootstrap-role': Flags.string({
      description:
        'For an existing account: the role of that account the management account assumes to apply its bootstrap stack (default: accounts.bootstrapRole in seiketsu.yaml).',
    }),
    'dry-run': Flags.boolean({
      default: false,
      description: 'Show what would be written and synthesized; write nothing.',
    }),
    email: Flags.string({description: 'Contact email.'}),
    file: Flags.string({
      char: 'f',
      description: 'YAML or JSON file: one client, or clients: [ … ] for bulk onboarding.',
      exclusive: [
        'id',
        'name',
        'email',
        'tier',
        'region',
        'residency',
        'account-id',
        'integrations',
        'setting',
        'bootstrap-role',
        'adopt',
      ],
    }),
    id: Flags.string({
      description: 'Client id (default: derived from --name): 3-32 lower-case letters, digits, hyphens.',
    }),
    integrations: Flags.string({description: `Integrations to enable, comma-separated: ${INTEGRATIONS.join(', ')}.`}),
    name: Flags.string({description: 'Company name.'}),
    region: Flags.string({description: "AWS region (one of the residency's regions)."}),
    residency: Flags.string({description: 'Data residency, e.g. us or eu (default: the residency of --region).'}),
    setting: Flags.string({description: 'A non-secret integration setting, integration.key=value.', multiple: true}),
    tier: Flags.string({description: 'Tier: bronze, silver, gold, enterprise, or one defined in seiketsu.yaml.'}),
    yes: Flags.boolean({char: 'y', default: false, description: 'Never prompt or ask for confirmation.'}),
  }
  static override summary = 'Onboard a new client (or a fleet from a file).'

  async run(): Promise<WithExitCode<OnboardResult>> {
    const {flags} = await this.parse(Onboard)
    const workspace = await this.workspace(flags)
    const interactive = this.isInteractive(flags.yes)
    // Refuse an unconfirmable apply before anything is written.
    if (flags.apply && !flags.yes && !interactive)
      throw this.missingInput(['yes'], '--apply changes AWS only when confirmed')
    let inputs: {input: ClientInput; label: string}[]
    if (flags.file) {
      inputs = (await readOnboardFile(flags.file)).map(({input, label}) => ({input, label}))
    } else {
      const bootstrap = {
        ...(flags['bootstrap-role'] ? {role: flags['bootstrap-role']} : {}),
        ...(flags.adopt ? {adopt: flags.adopt.split(',').map((item) => item.trim()) as BootstrapAdoptable[]} : {}),
      }
      const given: ClientInput = {
        accountId: parseAccountId(flags['account-id']),
        ...(Object.keys(bootstrap).length > 0 ? {bootstrap} : {}),
        email: flags.email,
        id: flags.id,
        // --setting needs its integration in --integrations (a setting of an integration that is off is an error).
        integrations:
          flags.integrations !== undefined || flags.setting
            ? parseIntegrations(flags.integrations ?? '', flags.setting)
            : interactive
              ? undefined
              : {},
        name: flags.name,
        region: flags.region,
        residency: flags.residency,
        tier: flags.tier,
      }
      inputs = [{input: interactive ? await this.ask(workspace, given) : given, label: 'flags'}]
    }
    const drafts = inputs.map(({input, label}) => {
      const {input: completed, missing} = completeInput(input, workspace.config)
      if (missing.length > 0) {
        if (label === 'flags') throw this.missingInput(missing)
        throw usageError(
          `${label}: missing ${missing.map((flag) => (flag === 'account-id' ? 'accountId' : flag)).join(', ')}`,
        )
      }
      return {
        draft: toDraft(completed),
        source:
          label === 'flags'
            ? {
                fieldLabel: (field: string) =>
                  FLAG_FOR_FIELD[field.replaceAll(/\[\d+\]/g, '')] ?? FLAG_FOR_FIELD[field.split(/[.[]/)[0]!] ?? field,
                file: 'flags',
              }
            : {file: label},
      }
    })
    if (interactive && !flags['dry-run'] && !(await this.confirmSummary(drafts.map((d) => d.draft))))
      throw usageError('Onboarding cancelled: nothing was written.', {code: 'CANCELLED'})
    const result = await onboardClients(workspace, drafts, {
      apply: flags.apply,
      command: 'onboard',
      confirmApply: (candidates) => this.confirmApply(candidates, flags.yes),
      dryRun: flags['dry-run'],
      json: this.jsonEnabled(),
      notify: (message) => this.logToStderr(message),
      plan: flags.plan,
      terraformBin: flags['terraform-bin'],
    })
    if (!this.jsonEnabled()) this.log(renderOnboardSummary(result, workspace))
    return new WithExitCode(result, result.exitCode)
  }

  private async confirmApply(candidates: readonly ProvisionCandidate[], yes: boolean): Promise<boolean> {
    if (yes) return true
    const {renderPendingChanges} = await import('../terraform/report.ts')
    this.log(renderPendingChanges(candidates))
    return promptConfirm('Apply these plans?', false)
  }

  private async ask(workspace: Awaited<ReturnType<typeof this.workspace>>, given: ClientInput): Promise<ClientInput> {
    const {promptForClient} = await import('../onboard/prompts.ts')
    const registry = await loadRegistry(workspace)
    return promptForClient(workspace, registry.clients, given)
  }

  private async confirmSummary(drafts: ReturnType<typeof toDraft>[]): Promise<boolean> {
    for (const draft of drafts) {
      const integrations = Object.entries(draft.integrations)
        .filter(([, integration]) => integration?.enabled)
        .map(([name]) => name)
      this.log('')
      this.log(`  id            ${draft.id}`)
      this.log(`  name          ${draft.name}`)
      this.log(`  email         ${draft.email}`)
      this.log(`  tier          ${draft.tier}`)
      this.log(`  region        ${draft.region} (${draft.residency})`)
      this.log(`  AWS account   ${draft.accountId ?? 'a new account, created by the platform stack'}`)
      this.log(`  integrations  ${integrations.join(', ') || 'none'}`)
      this.log('')
    }
    return promptConfirm('Write the manifest, synthesize and audit the stack?', true)
  }
}
