import {expect} from 'chai'

import {applySuppressions} from '../../src/audit/suppressions.ts'
import type {Finding, Suppression} from '../../src/audit/types.ts'

const finding = (client: string | undefined, address = 'aws_lb.main', stack = client ?? 'infra'): Finding => ({
  address,
  client,
  file: `${stack}/cdk.tf.json`,
  message: 'access logs are not enabled',
  ruleId: 'SKT-EDGE-005',
  severity: 'medium',
  stack,
  title: 'The load balancer writes access logs',
})

const exception = (client: string, expires = '2026-06-30', resource = 'aws_lb.main'): Suppression => ({
  client,
  expires,
  reason: 'logs go to the central account until the migration',
  resource,
  rule: 'SKT-EDGE-005',
})

describe('audit exceptions', () => {
  it("suppress only the named client's finding, on the named resource", () => {
    const outcome = applySuppressions(
      [finding('acme'), finding('beta'), finding('acme', 'aws_lb.other')],
      [exception('acme')],
      '2026-06-01',
    )
    expect(outcome.findings.map((entry) => Boolean(entry.suppressed))).to.deep.equal([true, false, false])
    expect(outcome.findings[0]!.suppressed).to.deep.equal({
      expires: '2026-06-30',
      reason: 'logs go to the central account until the migration',
    })
    expect(outcome.applied).to.equal(1)
  })

  it("'*' covers every client, and Terraform that names no client", () => {
    const outcome = applySuppressions(
      [finding('acme'), finding('beta'), finding(undefined)],
      [exception('*')],
      '2026-06-01',
    )
    expect(outcome.findings.every((entry) => entry.suppressed)).to.equal(true)
  })

  it('the platform stack is named like a client', () => {
    const platform = {...finding(undefined), stack: 'platform'}
    expect(applySuppressions([platform], [exception('platform')], '2026-06-01').findings[0]!.suppressed).to.not.equal(
      undefined,
    )
  })

  it('apply through their expiry day, then stop and are reported as expired', () => {
    const onTheDay = applySuppressions([finding('acme')], [exception('acme')], '2026-06-30')
    expect(onTheDay.findings[0]!.suppressed).to.not.equal(undefined)
    const after = applySuppressions([finding('acme')], [exception('acme')], '2026-07-01')
    expect(after.findings[0]!.suppressed).to.equal(undefined)
    expect(after.expired).to.deep.equal([exception('acme')])
    expect(after.applied).to.equal(0)
  })

  it('report exceptions that match nothing', () => {
    const outcome = applySuppressions([finding('acme')], [exception('acme'), exception('beta')], '2026-06-01')
    expect(outcome.unused.map((entry) => entry.client)).to.deep.equal(['beta'])
  })
})
