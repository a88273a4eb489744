import {expect} from 'chai'

import {loadRegistry} from '../../src/registry/registry.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

describe('test workspace helper', () => {
  it('onboards the given clients through the registry', async () => {
    const workspace = await makeWorkspace({
      clients: [draftClient('acme-realty'), draftClient('beta-homes', {tier: 'gold'})],
    })
    const registry = await loadRegistry(workspace)
    expect(registry.clients.map((client) => [client.id, client.cidr, client.tier])).to.deep.equal([
      ['acme-realty', '10.0.0.0/16', 'silver'],
      ['beta-homes', '10.1.0.0/16', 'gold'],
    ])
  })
})
