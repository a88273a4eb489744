import {realpathSync} from 'node:fs'

import {Args, Flags, type Interfaces} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../base-command.ts'
import {usageError} from '../errors.ts'
import {accountIdField, regionField} from '../input/fields.ts'
import {ensureGitRepository, gitTopLevel} from '../workspace/git.ts'
import {createWorkspace, type WorkspaceSettings} from '../workspace/init.ts'
import {promptInput, promptSelect, validateWith} from '../ui/prompt.ts'

export interface InitResult {
  root: string
  created: string[]
  overwritten: string[]
  git: 'initialized' | 'existing' | 'unavailable'
}

const check = (schema: typeof accountIdField) => (value: string) => {
  const result = schema.safeParse(value.trim())
  return result.success ? undefined : result.error.issues[0]?.message
}

const initFlags = {
  'account-email': Flags.string({
    description:
      'Root email of the AWS accounts the platform creates, with {client} in it, e.g. aws+{client}@ops.example.com (accounts.rootEmailTemplate).',
  }),
  'alerts-email': Flags.string({
    description: "On-call address for every client's alarms and budget alerts (alerts.email).",
  }),
  backend: Flags.option({
    description: 'Where terraform state lives (default: local).',
    options: ['local', 's3'] as const,
  })(),
  domain: Flags.string({description: 'Parent domain of the client APIs: https://<client>.<domain> (domain).'}),
  'dr-region': Flags.string({description: 'Disaster-recovery region (backups, replicas).'}),
  'image-digest': Flags.string({description: 'Digest of the voice-agent image every client runs (image.digest).'}),
  force: Flags.boolean({
    default: false,
    description: 'Rewrite seiketsu.yaml of an existing workspace (clients are kept).',
  }),
  'management-account-id': Flags.string({description: 'AWS Organizations management account id (12 digits).'}),
  platform: Flags.string({description: 'Platform name: the prefix of resource names (default: seiketsu).'}),
  region: Flags.string({description: 'Default AWS region of the platform.'}),
  'state-bucket': Flags.string({description: 'S3 bucket for terraform state (with --backend s3).'}),
  'state-key-prefix': Flags.string({
    default: 'clients/',
    description: 'Key prefix of each client state (with --backend s3).',
  }),
  'state-region': Flags.string({description: 'Region of the state bucket (default: --region).'}),
  yes: Flags.boolean({char: 'y', default: false, description: 'Never prompt; fail on a missing value.'}),
}

type InitFlags = Interfaces.InferredFlags<typeof initFlags>

export default class Init extends SeiketsuCommand<InitResult> {
  static override args = {
    dir: Args.string({
      description: 'Folder of the new workspace, created if missing (default: --workspace, else the current folder).',
    }),
  }
  static override description = `Writes seiketsu.yaml (platform settings), clients/ (the registry), a .gitignore for generated output and local secrets, and an example client manifest, then makes the folder a git repository.
On a terminal it asks for what is missing; elsewhere a missing value is exit 2 naming the flag. An existing workspace is never overwritten unless --force.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> platform --management-account-id 111111111111 --region us-east-1 --dr-region us-west-2 --yes',
    '<%= config.bin %> <%= command.id %> . --management-account-id 111111111111 --region eu-west-1 --dr-region eu-central-1 --backend s3 --state-bucket acme-tf-state --yes',
  ]
  static exitCodes = exitCodeTable({
    0: 'the workspace was written',
    2: 'a value is missing or invalid, or seiketsu.yaml exists (without --force); nothing was written',
  })
  static override flags = initFlags
  static override summary = 'Create a seiketsu workspace.'

  async run(): Promise<InitResult> {
    const {args, flags} = await this.parse(Init)
    const settings = await this.collectSettings(flags)
    const result = await createWorkspace(
      args.dir ?? flags.workspace ?? '.',
      settings.values,
      flags.force,
      settings.explicit,
    )
    const git = await ensureGitRepository(result.root)
    if (!this.jsonEnabled()) {
      this.log(`Workspace ready in ${result.root}`)
      for (const file of result.created) this.log(`  created      ${file}`)
      for (const file of result.overwritten) this.log(`  overwritten  ${file}`)
      if (git === 'initialized') this.log('  git repository initialized')
    }
    const topLevel = git === 'existing' ? await gitTopLevel(result.root) : undefined
    if (topLevel && realpathSync(topLevel) !== realpathSync(result.root))
      this.warn(
        `${result.root} is inside the git repository ${topLevel}: the workspace's files belong to that repository. A workspace is usually a repository of its own.`,
      )
    if (!this.jsonEnabled()) {
      this.log('\nNext: seiketsu onboard (a new client), then seiketsu synth and seiketsu audit.')
    }
    return {...result, git}
  }

  /** The settings, and which of them the operator chose (an existing seiketsu.yaml keeps the rest on --force). */
  private async collectSettings(
    flags: InitFlags,
  ): Promise<{values: WorkspaceSettings; explicit: {platform: boolean; state: boolean}}> {
    const interactive = this.isInteractive(flags.yes)
    if (flags.backend === 'local' && flags['state-bucket'])
      throw usageError('--state-bucket needs --backend s3', {
        suggestions: ['Drop --backend local, or drop --state-bucket'],
      })
    const chosenBackend = flags.backend ?? (flags['state-bucket'] ? 's3' : undefined)
    const missing = [
      flags['management-account-id'] ? undefined : 'management-account-id',
      flags.region ? undefined : 'region',
      flags['dr-region'] ? undefined : 'dr-region',
      chosenBackend === 's3' && !flags['state-bucket'] ? 'state-bucket' : undefined,
    ].filter((flag): flag is string => flag !== undefined)
    if (missing.length > 0 && !interactive) throw this.missingInput(missing)

    const managementAccountId =
      flags['management-account-id'] ??
      (await promptInput('AWS Organizations management account id', {validate: validateWith(check(accountIdField))}))
    const region =
      flags.region ??
      (await promptInput('Default region', {default: 'us-east-1', validate: validateWith(check(regionField))}))
    const drRegion =
      flags['dr-region'] ??
      (await promptInput('Disaster-recovery region', {
        default: region.startsWith('eu-') ? 'eu-central-1' : 'us-west-2',
        validate: validateWith((value) =>
          value === region ? 'must differ from the default region' : check(regionField)(value),
        ),
      }))
    const backend =
      chosenBackend ??
      (interactive
        ? await promptSelect('Terraform state backend', [
            {description: 'state files under .seiketsu/state/ (one operator)', name: 'local', value: 'local' as const},
            {description: 'one S3 key per client with a lock file (teams, CI)', name: 's3', value: 's3' as const},
          ])
        : 'local')
    const state: WorkspaceSettings['state'] =
      backend === 's3'
        ? {
            backend: 's3',
            bucket: flags['state-bucket'] ?? (await promptInput('State bucket name')),
            keyPrefix: flags['state-key-prefix'],
            region: flags['state-region'] ?? region,
          }
        : {backend: 'local'}
    const settings: WorkspaceSettings = {
      drRegion: drRegion.trim(),
      managementAccountId: managementAccountId.trim(),
      platform: flags.platform ?? 'seiketsu',
      region: region.trim(),
      state,
      ...(flags.domain ? {domain: flags.domain} : {}),
      ...(flags['account-email'] ? {accountEmailTemplate: flags['account-email']} : {}),
      ...(flags['alerts-email'] ? {alertsEmail: flags['alerts-email']} : {}),
      ...(flags['image-digest'] ? {imageDigest: flags['image-digest']} : {}),
    }
    const invalid = [
      ['--management-account-id', check(accountIdField)(settings.managementAccountId), settings.managementAccountId],
      ['--region', check(regionField)(settings.region), settings.region],
      ['--dr-region', check(regionField)(settings.drRegion), settings.drRegion],
      [
        '--dr-region',
        settings.drRegion === settings.region ? 'must differ from --region' : undefined,
        settings.drRegion,
      ],
    ].filter(([, reason]) => reason !== undefined)
    if (invalid.length > 0)
      throw usageError(invalid.map(([flag, reason, value]) => `${flag}: ${reason} (found '${value}')`).join('\n'), {
        code: 'INVALID_FLAG',
      })
    return {
      explicit: {platform: flags.platform !== undefined, state: chosenBackend !== undefined || interactive},
      values: settings,
    }
  }
}
