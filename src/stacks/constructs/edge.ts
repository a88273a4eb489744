import {AcmCertificateValidation} from '@cdktf/provider-aws/lib/acm-certificate-validation/index.js'
import {AcmCertificate} from '@cdktf/provider-aws/lib/acm-certificate/index.js'
import {LbListener} from '@cdktf/provider-aws/lib/lb-listener/index.js'
import {LbTargetGroup} from '@cdktf/provider-aws/lib/lb-target-group/index.js'
import {Lb} from '@cdktf/provider-aws/lib/lb/index.js'
import {DataAwsRoute53Zone} from '@cdktf/provider-aws/lib/data-aws-route53-zone/index.js'
import type {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import {Route53Record} from '@cdktf/provider-aws/lib/route53-record/index.js'
import {Route53Zone} from '@cdktf/provider-aws/lib/route53-zone/index.js'
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
 *
 * With a workspace `domain`, the client account owns the hosted zone `<id>.<domain>`; its delegation
 * (NS) is written into the platform's zone through the `dns` provider (a management-account role
 * that may change NS records under the domain and nothing else); the certificate is validated by a
 * record in the client zone, and `<id>.<domain>` is an alias of the load balancer.
 */
export class ClientEdge extends Construct {
  readonly loadBalancer: Lb
  readonly targetGroup: LbTargetGroup
  readonly listener: LbListener
  readonly certificate: AcmCertificate
  readonly zone?: Route53Zone

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
      /** The management-account provider that writes the delegation record (with a domain). */
      dnsProvider?: AwsProvider
    },
  ) {
    super(scope, id)
    const {names} = model
    this.certificate = new AcmCertificate(this, 'certificate', {
      domainName: model.domain,
      lifecycle: {createBeforeDestroy: true},
      validationMethod: 'DNS',
    })
    const dns = model.dns && deps.dnsProvider ? this.delegatedZone(model.dns, deps.dnsProvider) : undefined
    this.zone = dns?.zone
    // Waits until ACM sees the validation record (through the delegation) and issues the certificate.
    const validated = new AcmCertificateValidation(this, 'certificateValidation', {
      certificateArn: this.certificate.arn,
      timeouts: {create: '45m'},
      ...(dns ? {validationRecordFqdns: [dns.validationRecord(this.certificate).fqdn]} : {}),
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
    if (this.zone)
      new Route53Record(this, 'endpointAlias', {
        alias: {evaluateTargetHealth: true, name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId},
        name: model.domain,
        type: 'A',
        zoneId: this.zone.zoneId,
      })
    new TerraformOutput(this, 'endpoint', {
      description: 'HTTPS endpoint of the client API.',
      value: `https://${model.domain}`,
    })
    new TerraformOutput(this, 'loadBalancerDnsName', {value: this.loadBalancer.dnsName})
    new TerraformOutput(this, 'certificateValidationRecords', {
      description: 'DNS records that prove ownership of the domain to ACM.',
      value: this.certificate.domainValidationOptions,
    })
  }

  /** The client's zone, its delegation in the platform's zone, and a way to add the validation record. */
  private delegatedZone(dns: NonNullable<ClientStackModel['dns']>, provider: AwsProvider) {
    const zone = new Route53Zone(this, 'zone', {
      comment: `API of client ${dns.zoneName} (delegated from ${dns.parentZone.name})`,
      name: dns.zoneName,
    })
    const parentZoneId =
      dns.parentZone.id ??
      new DataAwsRoute53Zone(this, 'parentZone', {name: dns.parentZone.name, privateZone: false, provider}).zoneId
    const delegation = new Route53Record(this, 'delegation', {
      name: dns.zoneName,
      provider,
      records: zone.nameServers,
      ttl: 3600,
      type: 'NS',
      zoneId: parentZoneId,
    })
    return {
      validationRecord: (certificate: AcmCertificate) => {
        // One name, no alternative names: exactly one validation record.
        const option = certificate.domainValidationOptions.get(0)
        return new Route53Record(this, 'certificateValidationRecord', {
          allowOverwrite: true,
          // ACM looks the record up from the public DNS: the delegation must exist first.
          dependsOn: [delegation],
          name: option.resourceRecordName,
          records: [option.resourceRecordValue],
          ttl: 300,
          type: option.resourceRecordType,
          zoneId: zone.zoneId,
        })
      },
      zone,
    }
  }
}
