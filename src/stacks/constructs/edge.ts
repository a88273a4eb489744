import {AcmCertificateValidation} from '@cdktf/provider-aws/lib/acm-certificate-validation/index.js'
import {AcmCertificate} from '@cdktf/provider-aws/lib/acm-certificate/index.js'
import {LbListener} from '@cdktf/provider-aws/lib/lb-listener/index.js'
import {LbTargetGroup} from '@cdktf/provider-aws/lib/lb-target-group/index.js'
import {Lb} from '@cdktf/provider-aws/lib/lb/index.js'
import type {S3BucketPolicy} from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js'
import type {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import type {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import type {Vpc} from '@cdktf/provider-aws/lib/vpc/index.js'
import {TerraformOutput} from 'cdktf'
import {Construct} from 'constructs'

import {PORTS, TLS_POLICY, type ClientStackModel} from '../model.ts'

/**
 * The client's entry point: an internet-facing ALB in the public subnets with one HTTPS listener
 * (TLS 1.3 only) on the client's own certificate, invalid headers dropped, deletion protection on
 * and access logs written to the client's log bucket. No plain-HTTP listener exists.
 */
export class ClientEdge extends Construct {
  readonly loadBalancer: Lb
  readonly targetGroup: LbTargetGroup
  readonly listener: LbListener
  readonly certificate: AcmCertificate

  constructor(
    scope: Construct,
    id: string,
    model: ClientStackModel,
    deps: {
      vpc: Vpc
      publicSubnets: Subnet[]
      securityGroup: SecurityGroup
      accessLogBucket: string
      accessLogPolicy: S3BucketPolicy
    },
  ) {
    super(scope, id)
    const {names} = model
    this.certificate = new AcmCertificate(this, 'certificate', {
      domainName: model.domain,
      lifecycle: {createBeforeDestroy: true},
      validationMethod: 'DNS',
    })
    // Waits until the DNS records in the `certificate_validation` output exist and ACM issued the certificate.
    const validated = new AcmCertificateValidation(this, 'certificateValidation', {
      certificateArn: this.certificate.arn,
      timeouts: {create: '45m'},
    })
    this.loadBalancer = new Lb(this, 'loadBalancer', {
      accessLogs: {bucket: deps.accessLogBucket, enabled: true, prefix: 'alb'},
      dependsOn: [deps.accessLogPolicy],
      desyncMitigationMode: 'strictest',
      dropInvalidHeaderFields: true,
      enableDeletionProtection: true,
      internal: false,
      loadBalancerType: 'application',
      name: names.loadBalancer,
      securityGroups: [deps.securityGroup.id],
      subnets: deps.publicSubnets.map((subnet) => subnet.id),
    })
    // TLS ends at the ALB; inside the VPC only the ALB's security group can reach the tasks.
    this.targetGroup = new LbTargetGroup(this, 'targetGroup', {
      deregistrationDelay: '30',
      healthCheck: {
        enabled: true,
        healthyThreshold: 2,
        interval: 15,
        matcher: '200',
        path: '/health',
        protocol: 'HTTP',
        unhealthyThreshold: 3,
      },
      name: names.targetGroup,
      port: PORTS.app,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: deps.vpc.id,
    })
    this.listener = new LbListener(this, 'httpsListener', {
      certificateArn: validated.certificateArn,
      defaultAction: [{targetGroupArn: this.targetGroup.arn, type: 'forward'}],
      loadBalancerArn: this.loadBalancer.arn,
      port: PORTS.https,
      protocol: 'HTTPS',
      sslPolicy: TLS_POLICY,
    })
    new TerraformOutput(this, 'endpoint', {
      description: 'HTTPS endpoint of the client API (point its DNS name at load_balancer_dns_name).',
      value: `https://${model.domain}`,
    })
    new TerraformOutput(this, 'loadBalancerDnsName', {value: this.loadBalancer.dnsName})
    new TerraformOutput(this, 'certificateValidationRecords', {
      description: 'DNS records that prove ownership of the domain to ACM.',
      value: this.certificate.domainValidationOptions,
    })
  }
}
