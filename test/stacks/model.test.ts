import {expect} from 'chai'

import type {ClientManifest} from '../../src/registry/manifest.ts'
import {
  ELB_LOG_DELIVERY_SERVICE,
  boundedName,
  buildClientStackModel,
  buildPlatformStackModel,
} from '../../src/stacks/model.ts'
import {loadTiers, type TierCatalog} from '../../src/tiers/tiers.ts'
import {WorkspaceConfigSchema, type WorkspaceConfig} from '../../src/workspace/config.ts'

const config: WorkspaceConfig = WorkspaceConfigSchema.parse({
  drRegion: 'us-west-2',
  managementAccountId: '111111111111',
  network: {pools: ['10.0.0.0/8'], prefixLength: 16},
  platform: 'seiketsu',
  region: 'us-east-1',
  residencies: {us: {drRegions: ['us-west-2', 'us-east-2'], regions: ['us-east-1', 'us-east-2', 'us-west-2']}},
  state: {backend: 'local'},
  version: 1,
})

function client(overrides: Partial<ClientManifest> = {}): ClientManifest {
  return {
    accountId: '222222222222',
    cidr: '10.4.0.0/16',
    createdAt: '2026-01-01T00:00:00.000Z',
    drRegion: 'us-west-2',
    email: 'ops@acme.example',
    id: 'acme',
    integrations: {crm: {enabled: true, settings: {}}, elevenlabs: {enabled: true, settings: {}}},
    name: 'Acme Realty',
    region: 'us-east-1',
    residency: 'us',
    status: 'active',
    tier: 'silver',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  }
}

describe('stack model', () => {
  let tiers: TierCatalog
  before(async () => {
    tiers = await loadTiers()
  })
  const model = (manifest: ClientManifest, workspaceConfig = config) =>
    buildClientStackModel({client: manifest, config: workspaceConfig, tier: tiers[manifest.tier]!})

  it('cuts the VPC into subnets of prefix + 4, keeping every subnet’s CIDR when a tier adds an AZ', () => {
    const silver = model(client()).network
    const gold = model(client({tier: 'gold'})).network
    expect(silver.public.map((subnet) => subnet.cidr)).to.deep.equal(['10.4.0.0/20', '10.4.16.0/20'])
    expect(gold.public.map((subnet) => subnet.cidr)).to.deep.equal(['10.4.0.0/20', '10.4.16.0/20', '10.4.32.0/20'])
    expect(gold.private.slice(0, 2)).to.deep.equal(silver.private)
    expect(gold.isolated.slice(0, 2)).to.deep.equal(silver.isolated)
    expect(gold.isolated.map((subnet) => subnet.az)).to.deep.equal(['us-east-1a', 'us-east-1b', 'us-east-1c'])
    const small = model(client({cidr: '10.9.3.0/24', tier: 'gold'})).network
    expect(small.isolated.map((subnet) => subnet.cidr)).to.deep.equal([
      '10.9.3.96/28',
      '10.9.3.112/28',
      '10.9.3.128/28',
    ])
  })

  it('keeps every generated name within its AWS limit for the longest platform and client ids', () => {
    const longConfig = {...config, platform: 'abcdefghijklmno'}
    const longId = 'a'.repeat(31) + 'z'
    const {names} = model(client({id: longId}), longConfig)
    expect(names.loadBalancer.length).to.be.at.most(32)
    expect(names.targetGroup.length).to.be.at.most(32)
    expect(names.cacheGroup.length).to.be.at.most(40)
    for (const bucket of [names.dataBucket, names.drBucket, names.accessLogBucket])
      expect(bucket.length).to.be.at.most(63)
    for (const role of Object.values(names.roles)) expect(role.length).to.be.at.most(64)
    for (const identifier of [names.database, ...names.databaseReplicas]) expect(identifier.length).to.be.at.most(63)
    expect(names.loadBalancer).to.match(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)
  })

  it('bounds long names with a hash: stable, distinct, exactly at the limit', () => {
    expect(boundedName('seiketsu-acme', 32)).to.equal('seiketsu-acme')
    const a = boundedName(`seiketsu-${'x'.repeat(30)}-one`, 32)
    const b = boundedName(`seiketsu-${'x'.repeat(30)}-two`, 32)
    expect(a).to.have.length(32)
    expect(a).not.to.equal(b)
    expect(boundedName(`seiketsu-${'x'.repeat(30)}-one`, 32)).to.equal(a)
  })

  it('uses a placeholder account that can never be a real one while the client has none', () => {
    const pending = model(client({accountId: null}))
    expect(pending.account).to.deep.equal({id: 'pending-acme', pending: true})
    expect(pending.provisionerRoleArn).to.equal('arn:aws:iam::pending-acme:role/SeiketsuClientProvisioner')
    expect(model(client()).account).to.deep.equal({id: '222222222222', pending: false})
  })

  it('creates secrets only for enabled integrations that hold credentials', () => {
    expect(model(client()).integrationSecrets).to.deep.equal([
      {envName: 'ELEVENLABS_CREDENTIALS', integration: 'elevenlabs', name: 'seiketsu/acme/elevenlabs'},
    ])
    expect(
      model(client({integrations: {elevenlabs: {enabled: false, settings: {}}}})).integrationSecrets,
    ).to.deep.equal([])
  })

  it('names the client endpoint under the workspace domain, or a reserved .invalid one until it is set', () => {
    expect(model(client()).domain).to.equal('acme.seiketsu.invalid')
    expect(model(client(), {...config, domain: 'voice.example.com'}).domain).to.equal('acme.voice.example.com')
  })

  it('rotates the client keys on the period rotate-keys keeps (keys.kmsRotationDays)', () => {
    expect(model(client()).keyRotationDays).to.equal(365)
    expect(model(client(), {...config, keys: {...config.keys, kmsRotationDays: 180}}).keyRotationDays).to.equal(180)
  })

  it('lets the log-delivery service write ALB logs in regions without an ELB account', () => {
    const jakarta = model(client({drRegion: 'ap-southeast-1', region: 'ap-southeast-3'}))
    expect(jakarta.elbLogDelivery).to.deep.equal({service: ELB_LOG_DELIVERY_SERVICE})
    expect(model(client()).elbLogDelivery).to.deep.equal({accountId: '127311923021'})
  })

  it('has the platform create accounts only for active clients without one, sorted by id', () => {
    const platform = buildPlatformStackModel(
      config,
      [
        client({accountId: null, id: 'zeta'}),
        client({id: 'acme'}),
        client({accountId: null, id: 'gone', status: 'offboarded'}),
        client({accountId: null, id: 'beta', status: 'suspended'}),
      ],
      tiers,
    )
    expect(platform.clients.map((entry) => [entry.id, entry.accountId, Boolean(entry.newAccount)])).to.deep.equal([
      ['acme', '222222222222', false],
      ['beta', null, true],
      ['zeta', null, true],
    ])
    expect(platform.accountsToForget).to.deep.equal(['acme', 'gone'])
    expect(platform.stateBucket).to.equal(undefined)
  })
})
