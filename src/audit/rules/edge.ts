import type {Resource} from '../../configuration/model.ts'
import {resolve, resourcesOf} from '../../configuration/references.ts'
import {at, block, blocks, isFalse, isTrue, num, str} from '../../configuration/values.ts'
import type {Rule} from '../types.ts'
import {DESIGN, resourceRule, stackRule} from './kit.ts'

const LB_TYPES = ['aws_lb', 'aws_alb']
const LISTENER_TYPES = ['aws_lb_listener', 'aws_alb_listener']
/** TLS 1.3 only: ELBSecurityPolicy-TLS13-1-3-2021-06 and its FIPS / post-quantum variants. */
const TLS13_ONLY = /^ELBSecurityPolicy-TLS13-1-3-/

function isApplication(lb: Resource): boolean {
  return (str(lb.values.load_balancer_type) ?? 'application') === 'application'
}

function redirectsToHttps(listener: Resource): boolean {
  return blocks(listener.values.default_action).some(
    (action) => action.type === 'redirect' && str(at(action, 'redirect', 'protocol')) === 'HTTPS',
  )
}

export const edgeRules: Rule[] = [
  resourceRule({
    check(listener) {
      const protocol = str(listener.values.protocol) ?? 'HTTP'
      const port = num(listener.values.port)
      if (protocol === 'HTTP')
        return redirectsToHttps(listener) ? undefined : 'plain-HTTP listener that does not redirect to HTTPS'
      const problems: string[] = []
      if ((protocol === 'HTTPS' || protocol === 'TLS') && !listener.values.certificate_arn)
        problems.push(`${protocol} listener without a certificate`)
      if (protocol === 'HTTPS' && port !== 443) problems.push(`HTTPS listener on port ${port ?? '(unset)'}, not 443`)
      if (protocol === 'TCP' || protocol === 'UDP' || protocol === 'TCP_UDP')
        problems.push(`${protocol} listener: traffic is not encrypted at the edge`)
      return problems
    },
    domain: 'edge',
    equivalents: {checkov: ['CKV_AWS_2'], trivy: ['AVD-AWS-0054']},
    id: 'SKT-EDGE-001',
    remediation: 'Serve HTTPS on 443 with an ACM certificate; a port-80 listener may only redirect to HTTPS.',
    requirement: `${DESIGN}: Edge — ALB with an HTTPS listener on 443.`,
    resourceTypes: LISTENER_TYPES,
    severity: 'high',
    title: 'Listeners serve HTTPS on 443',
  }),
  resourceRule({
    check(listener) {
      const protocol = str(listener.values.protocol) ?? 'HTTP'
      if (protocol !== 'HTTPS' && protocol !== 'TLS') return undefined
      const policy = str(listener.values.ssl_policy)
      if (!policy) return 'no ssl_policy: the AWS default still negotiates TLS 1.2'
      return TLS13_ONLY.test(policy) ? undefined : `ssl_policy ${policy} allows TLS versions below 1.3`
    },
    domain: 'edge',
    equivalents: {checkov: ['CKV_AWS_103', 'CKV2_AWS_74'], trivy: ['AVD-AWS-0047']},
    id: 'SKT-EDGE-002',
    remediation: 'Set ssl_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06" (TLS 1.3 only).',
    requirement: `${DESIGN}: Edge — TLS 1.3-only policy (ELBSecurityPolicy-TLS13-1-3-2021-06); seed: TLS 1.3 for all API communications.`,
    resourceTypes: LISTENER_TYPES,
    severity: 'high',
    title: 'Listeners accept TLS 1.3 only',
  }),
  resourceRule({
    check(lb) {
      if (!isApplication(lb)) return undefined
      return isTrue(lb.values.drop_invalid_header_fields) ? undefined : 'drop_invalid_header_fields is not true'
    },
    domain: 'edge',
    equivalents: {checkov: ['CKV_AWS_131'], trivy: ['AVD-AWS-0052']},
    id: 'SKT-EDGE-003',
    remediation: 'Set drop_invalid_header_fields = true.',
    requirement: `${DESIGN}: Edge — invalid headers dropped.`,
    resourceTypes: LB_TYPES,
    severity: 'medium',
    title: 'The load balancer drops invalid headers',
  }),
  resourceRule({
    check(lb) {
      return isTrue(lb.values.enable_deletion_protection) ? undefined : 'enable_deletion_protection is not true'
    },
    domain: 'edge',
    equivalents: {checkov: ['CKV_AWS_150'], trivy: []},
    id: 'SKT-EDGE-004',
    remediation: 'Set enable_deletion_protection = true (offboarding turns it off deliberately).',
    requirement: `${DESIGN}: Edge — deletion protection.`,
    resourceTypes: LB_TYPES,
    severity: 'medium',
    title: 'The load balancer has deletion protection',
  }),
  resourceRule({
    check(lb) {
      const logs = block(lb.values.access_logs)
      if (!logs || isFalse(logs.enabled) || logs.enabled === undefined || !logs.bucket)
        return 'access logs are not enabled'
      return undefined
    },
    domain: 'edge',
    equivalents: {checkov: ['CKV_AWS_91'], trivy: []},
    id: 'SKT-EDGE-005',
    remediation: 'Add access_logs { bucket = <log bucket>, enabled = true }.',
    requirement: `${DESIGN}: Edge — access logs.`,
    resourceTypes: LB_TYPES,
    severity: 'medium',
    title: 'The load balancer writes access logs',
  }),
  stackRule({
    check(stack) {
      const https = resourcesOf(stack, ...LISTENER_TYPES).filter((listener) => {
        const lb = resolve(stack, listener.values.load_balancer_arn, LB_TYPES)
        return (
          str(listener.values.protocol) === 'HTTPS' &&
          num(listener.values.port) === 443 &&
          lb &&
          !isTrue(lb.values.internal)
        )
      })
      return https.length > 0
        ? []
        : [{address: 'aws_lb', message: 'no internet-facing load balancer with an HTTPS listener on 443'}]
    },
    domain: 'edge',
    equivalents: {checkov: [], trivy: []},
    id: 'SKT-EDGE-006',
    remediation: 'Create an internet-facing aws_lb with an aws_lb_listener on 443, protocol HTTPS.',
    requirement: `${DESIGN}: Edge — ALB with an HTTPS listener on 443.`,
    resourceTypes: [...LB_TYPES, ...LISTENER_TYPES],
    severity: 'high',
    title: 'The client is served by an HTTPS load balancer',
  }),
]
