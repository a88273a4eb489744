import {join} from 'node:path'

import {expect} from 'chai'

import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks, type SynthesizedStack} from '../../src/stacks/synth.ts'
import {TESTED_AWS_PROVIDER_VERSION} from '../../src/workspace/config.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, removeDir} from '../helpers/cli.ts'
import {
  describeDiagnostics,
  mirroredAwsVersions,
  providerMirror,
  validateStack,
  writeMirrorCliConfig,
} from '../helpers/real-terraform.ts'
import {DEPLOYABLE_SETTINGS, S3_STATE, makeFleetWorkspace} from './fleet.ts'
import {readStack} from './helpers.ts'

/**
 * Every stack a fleet synthesizes (each tier's client stack, a client still waiting for its account,
 * the platform stack) through the real terraform and the real hashicorp/aws provider: `validate`
 * checks every argument against the provider's own schema. A stack that passes the audit but not
 * this would fail on the operator's first `provision`.
 */
for (const [label, settings] of [
  [
    'a new workspace (no domain, no on-call address, no account email template, no image digest yet)',
    {accountEmailTemplate: undefined, alertsEmail: undefined, domain: undefined},
  ],
  [
    'a workspace ready for production (domain, on-call address, image digest, S3 state)',
    {...DEPLOYABLE_SETTINGS, state: S3_STATE},
  ],
] as const)
  describe(`synthesized stacks of ${label} under the real terraform validate`, function () {
    this.timeout(300_000)
    let workspace: Workspace
    let stacks: SynthesizedStack[]
    let env: NodeJS.ProcessEnv
    let scratch: string

    before(async () => {
      scratch = await makeTempDir('seiketsu-validate-')
      const cliConfig = await writeMirrorCliConfig(scratch)
      env = {CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cliConfig, TF_PLUGIN_CACHE_DIR: join(scratch, 'plugins')}
      const {mkdir} = await import('node:fs/promises')
      await mkdir(env.TF_PLUGIN_CACHE_DIR!, {recursive: true})
      workspace = await makeFleetWorkspace(settings)
      stacks = await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
    })
    after(() => Promise.all([removeDir(workspace.root), removeDir(scratch)]))

    it('pins the provider version the mirror holds, and a terraform version', async () => {
      expect(mirroredAwsVersions(providerMirror())).to.include(TESTED_AWS_PROVIDER_VERSION)
      for (const stack of stacks) {
        const doc = await readStack(stack.file)
        const terraform = doc.terraform as {required_version?: string; required_providers: {aws: {version: string}}}
        expect(terraform.required_providers.aws.version, stack.id).to.equal(TESTED_AWS_PROVIDER_VERSION)
        expect(terraform.required_version, stack.id).to.equal('>= 1.10.0')
      }
    })

    it('validates every stack with no error and no warning', async () => {
      const kinds = new Set(stacks.map((stack) => stack.kind))
      expect([...kinds].sort()).to.deep.equal(['bootstrap', 'client', 'platform'])
      for (const stack of stacks) {
        const result = await validateStack(stack.dir, env)
        expect(result.errorCount, `${stack.id}:\n${describeDiagnostics(result)}`).to.equal(0)
        expect(result.warningCount, `${stack.id}:\n${describeDiagnostics(result)}`).to.equal(0)
        expect(result.valid, stack.id).to.equal(true)
      }
    })
  })
