import {join} from 'node:path'

import {expect} from 'chai'

import {auditStacks} from '../../src/audit/audit.ts'
import {loadPlanStacks} from '../../src/audit/inputs.ts'
import {securityGroupRules} from '../../src/audit/network-model.ts'
import {addressesOf, auditFixtures, fixtureExpectations, shippedTiers} from './helpers.ts'

const planFile = join(auditFixtures, 'plan', 'plan.json')

describe('audit of a plan (terraform show -json)', () => {
  it('checks planned values, with references taken from the configuration', async () => {
    const [stack] = await loadPlanStacks([planFile], {cwd: auditFixtures, tiers: await shippedTiers()})
    // The db group's ingress names the app group only in the configuration (its id is unknown at plan time).
    const ingress = securityGroupRules(stack!).filter((rule) => rule.group === 'aws_security_group.db')
    expect(ingress.map((rule) => rule.groups)).to.deep.equal([['aws_security_group.app']])
    expect(stack!.byAddress.get('module.storage.aws_s3_bucket.data')?.type).to.equal('aws_s3_bucket')
    const report = auditStacks([stack!], {today: '2026-06-01'})
    for (const [ruleId, addresses] of Object.entries(fixtureExpectations(planFile).expect))
      expect(addressesOf(report, ruleId), ruleId).to.deep.equal([...addresses].sort())
  })

  it('sees what waits for what in the configuration: depends_on, and references hidden by known values', async () => {
    const file = join(auditFixtures, 'plan', 'replicas.json')
    const [stack] = await loadPlanStacks([file], {cwd: auditFixtures})
    expect(stack!.byAddress.get('aws_db_instance.replica2')?.dependsOn).to.have.members([
      'aws_db_instance.main',
      'aws_db_instance.replica1',
    ])
    const report = auditStacks([stack!], {today: '2026-06-01'})
    for (const [ruleId, addresses] of Object.entries(fixtureExpectations(file).expect))
      expect(addressesOf(report, ruleId), ruleId).to.deep.equal([...addresses].sort())
  })
})
