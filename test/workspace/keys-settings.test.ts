import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {tokenSettings} from '../../src/keys/tokens.ts'
import {makeWorkspace} from '../helpers/workspace.ts'

/** The seiketsu.yaml of a workspace made before `keys:` and `tokens:` existed. */
const withoutKeySections = (text: string) => text.replace(/\n# JWT signing keys[\s\S]*$/, '\n')

describe('workspace keys and tokens settings', () => {
  it('defaults them, so workspaces written before they existed stay valid', async () => {
    const workspace = await makeWorkspace({configText: withoutKeySections})
    expect(workspace.config.keys).to.deep.equal({kmsOnDemandLimit: 25, kmsRotationDays: 365, store: 'local'})
    expect(workspace.config.tokens).to.deep.equal({clockSkew: '60s', jwksCacheTtl: '10m'})
    expect(tokenSettings(workspace, 'acme')).to.deep.equal({
      audience: 'urn:seiketsu:api',
      clockSkewSeconds: 60,
      issuer: 'urn:seiketsu:client:acme',
    })
  })

  it('reads the shipped template sections and custom issuer and audience', async () => {
    const workspace = await makeWorkspace({
      configText: (text) =>
        text
          .replace(
            '  # issuer: https://api.example.com/clients/{client}',
            '  issuer: https://api.example.com/clients/{client}',
          )
          .replace('  # audience: https://api.example.com', '  audience: https://api.example.com')
          .replace('store: local', 'store: aws'),
    })
    expect(workspace.config.keys.store).to.equal('aws')
    expect(tokenSettings(workspace, 'acme')).to.include({
      audience: 'https://api.example.com',
      issuer: 'https://api.example.com/clients/acme',
    })
  })

  it('rejects an issuer shared by every client and an out-of-range KMS period, naming the line', async () => {
    const error = await makeWorkspace({
      configText: (text) =>
        text
          .replace('  # issuer: https://api.example.com/clients/{client}', '  issuer: https://api.example.com')
          .replace('kmsRotationDays: 365', 'kmsRotationDays: 30'),
    }).catch((caught: unknown) => caught)
    expect(isSeiketsuError(error) && error.exitCode).to.equal(2)
    expect((error as Error).message)
      .to.match(/seiketsu\.yaml:\d+: tokens\.issuer: must contain \{client\}/)
      .and.match(/seiketsu\.yaml:\d+: keys\.kmsRotationDays: KMS rotates every 90 to 2560 days/)
  })
})
