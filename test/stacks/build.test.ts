import {expect} from 'chai'
import {App, TerraformStack} from 'cdktf'

import {loadRegistry} from '../../src/registry/registry.ts'
import type {StackBackend} from '../../src/stacks/backend.ts'
import {stableStringify} from '../../src/stacks/build.ts'
import {ClientStack} from '../../src/stacks/constructs/client-stack.ts'
import {PlatformStack} from '../../src/stacks/constructs/platform-stack.ts'
import {buildClientStackModel, buildPlatformStackModel} from '../../src/stacks/model.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {makeTempDir, removeDir} from '../helpers/cli.ts'
import {makeFleetWorkspace} from './fleet.ts'

describe('stack building', () => {
  let workspace: Workspace
  let outdir: string
  before(async () => {
    workspace = await makeFleetWorkspace()
    outdir = await makeTempDir()
  })
  after(() => Promise.all([removeDir(workspace.root), removeDir(outdir)]))

  const backends: StackBackend[] = [
    {kind: 'local', path: '../../../.seiketsu/state/x/terraform.tfstate'},
    {bucket: 'state', key: 'clients/x/terraform.tfstate', kind: 's3', region: 'us-east-1'},
  ]

  it('gives exactly the JSON cdktf’s own TerraformStack.toTerraform gives, for every tier, backend and the platform', async () => {
    const registry = await loadRegistry(workspace)
    for (const backend of backends) {
      const stacks: TerraformStack[] = registry.clients.map(
        (client) =>
          new ClientStack(
            new App({outdir, skipValidation: true}),
            buildClientStackModel({client, config: workspace.config, tier: workspace.tiers[client.tier]!}),
            backend,
          ),
      )
      stacks.push(
        new PlatformStack(
          new App({outdir, skipValidation: true}),
          buildPlatformStackModel(workspace.config, registry.clients, workspace.tiers),
          backend,
        ),
      )
      for (const stack of stacks) {
        const ours = stableStringify(stack.toTerraform())
        expect(ours, `${stack.node.id} (${backend.kind})`).to.equal(
          stableStringify(TerraformStack.prototype.toTerraform.call(stack)),
        )
      }
    }
  })

  it('sorts keys at every level and keeps array order', () => {
    expect(stableStringify({b: [{d: 1, c: 2}], a: null})).to.equal(
      '{\n  "a": null,\n  "b": [\n    {\n      "c": 2,\n      "d": 1\n    }\n  ]\n}',
    )
  })
})
