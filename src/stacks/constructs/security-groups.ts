import {SecurityGroup} from '@cdktf/provider-aws/lib/security-group/index.js'
import {VpcSecurityGroupEgressRule} from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js'
import {VpcSecurityGroupIngressRule} from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js'
import type {Vpc} from '@cdktf/provider-aws/lib/vpc/index.js'
import {Construct} from 'constructs'

import {PORTS, type ClientStackModel} from '../model.ts'

/**
 * Least privilege by reference: the internet reaches the ALB on 443 only; the app accepts 8000 from
 * the ALB group only; the database (5432) and Redis (6379) accept the app group only. Rules are
 * separate resources, so groups can refer to each other without a dependency cycle; every group
 * and rule says what it is for. Groups without egress rules allow no egress at all.
 */
export class ClientSecurityGroups extends Construct {
  readonly loadBalancer: SecurityGroup
  readonly app: SecurityGroup
  readonly database: SecurityGroup
  readonly cache: SecurityGroup

  constructor(scope: Construct, id: string, model: ClientStackModel, vpc: Vpc) {
    super(scope, id)
    const {prefix} = model.names
    const group = (groupId: string, suffix: string, description: string) =>
      new SecurityGroup(this, groupId, {
        description,
        name: `${prefix}-${suffix}`,
        tags: {Name: `${prefix}-${suffix}`},
        vpcId: vpc.id,
      })
    this.loadBalancer = group('loadBalancer', 'alb', `ALB of ${model.id}: HTTPS from the internet, to the app only`)
    this.app = group('app', 'app', `App tasks of ${model.id}: port ${PORTS.app} from the ALB only`)
    this.database = group('database', 'db', `PostgreSQL of ${model.id}: port ${PORTS.postgres} from the app only`)
    this.cache = group('cache', 'redis', `Redis of ${model.id}: port ${PORTS.redis} from the app only`)

    const tcp = {ipProtocol: 'tcp'}
    new VpcSecurityGroupIngressRule(this, 'loadBalancerHttpsIn', {
      ...tcp,
      cidrIpv4: '0.0.0.0/0',
      description: 'HTTPS from the internet',
      fromPort: PORTS.https,
      securityGroupId: this.loadBalancer.id,
      toPort: PORTS.https,
    })
    const chain = (
      ruleId: string,
      from: SecurityGroup,
      to: SecurityGroup,
      port: number,
      egressDescription: string,
      ingressDescription: string,
    ) => {
      new VpcSecurityGroupEgressRule(this, `${ruleId}Out`, {
        ...tcp,
        description: egressDescription,
        fromPort: port,
        referencedSecurityGroupId: to.id,
        securityGroupId: from.id,
        toPort: port,
      })
      new VpcSecurityGroupIngressRule(this, `${ruleId}In`, {
        ...tcp,
        description: ingressDescription,
        fromPort: port,
        referencedSecurityGroupId: from.id,
        securityGroupId: to.id,
        toPort: port,
      })
    }
    chain('loadBalancerToApp', this.loadBalancer, this.app, PORTS.app, 'To the app tasks', 'From the ALB')
    chain('appToDatabase', this.app, this.database, PORTS.postgres, 'To PostgreSQL', 'From the app tasks')
    chain('appToCache', this.app, this.cache, PORTS.redis, 'To Redis', 'From the app tasks')
    // Tasks call AWS APIs (ECR, Secrets Manager, SQS, S3) and the voice/telephony/MLS providers over HTTPS.
    new VpcSecurityGroupEgressRule(this, 'appHttpsOut', {
      ...tcp,
      cidrIpv4: '0.0.0.0/0',
      description: 'HTTPS to AWS APIs and integration providers, through NAT',
      fromPort: PORTS.https,
      securityGroupId: this.app.id,
      toPort: PORTS.https,
    })
  }
}
