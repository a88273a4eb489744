import type {CloudwatchLogGroup} from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js'
import {DefaultSecurityGroup} from '@cdktf/provider-aws/lib/default-security-group/index.js'
import {Eip} from '@cdktf/provider-aws/lib/eip/index.js'
import {FlowLog} from '@cdktf/provider-aws/lib/flow-log/index.js'
import {InternetGateway} from '@cdktf/provider-aws/lib/internet-gateway/index.js'
import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {NatGateway} from '@cdktf/provider-aws/lib/nat-gateway/index.js'
import {Route} from '@cdktf/provider-aws/lib/route/index.js'
import {RouteTableAssociation} from '@cdktf/provider-aws/lib/route-table-association/index.js'
import {RouteTable} from '@cdktf/provider-aws/lib/route-table/index.js'
import {Subnet} from '@cdktf/provider-aws/lib/subnet/index.js'
import {VpcEndpoint} from '@cdktf/provider-aws/lib/vpc-endpoint/index.js'
import {Vpc} from '@cdktf/provider-aws/lib/vpc/index.js'
import {Construct} from 'constructs'

import type {ClientStackModel, SubnetModel} from '../model.ts'
import {serviceTrustPolicy} from '../policy.ts'
import {encryptedLogGroup} from './log-group.ts'
import {roleWithPolicies} from './role.ts'

/**
 * The client's VPC on its own CIDR: public subnets (ALB, NAT), private subnets (tasks, out through
 * NAT) and isolated subnets (database, cache: no route out at all) over the tier's AZs; as many
 * NAT gateways as the tier pays for; flow logs to an encrypted log group; the default security
 * group stripped of every rule. No peering, no transit attachment: nothing connects two clients.
 */
export class ClientNetwork extends Construct {
  readonly vpc: Vpc
  readonly publicSubnets: Subnet[]
  readonly privateSubnets: Subnet[]
  readonly isolatedSubnets: Subnet[]
  readonly natGateways: NatGateway[]
  readonly flowLog: FlowLog
  readonly flowLogGroup: CloudwatchLogGroup
  readonly defaultSecurityGroup: DefaultSecurityGroup
  readonly s3Endpoint: VpcEndpoint

  constructor(scope: Construct, id: string, model: ClientStackModel, key: KmsKey) {
    super(scope, id)
    const {network, names} = model
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: network.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: {Name: names.vpc},
    })
    this.defaultSecurityGroup = new DefaultSecurityGroup(this, 'defaultSecurityGroup', {
      egress: [],
      ingress: [],
      tags: {Name: `${names.prefix}-default-unused`},
      vpcId: this.vpc.id,
    })
    const subnets = (kind: string, list: SubnetModel[]) =>
      list.map(
        (subnet, index) =>
          new Subnet(this, `${kind}Subnet${index + 1}`, {
            availabilityZone: subnet.az,
            cidrBlock: subnet.cidr,
            mapPublicIpOnLaunch: false,
            tags: {Name: subnet.name, 'seiketsu:subnet': kind},
            vpcId: this.vpc.id,
          }),
      )
    this.publicSubnets = subnets('public', network.public)
    this.privateSubnets = subnets('private', network.private)
    this.isolatedSubnets = subnets('isolated', network.isolated)

    const internetGateway = new InternetGateway(this, 'internetGateway', {
      tags: {Name: names.prefix},
      vpcId: this.vpc.id,
    })
    const publicRoutes = new RouteTable(this, 'publicRoutes', {
      tags: {Name: `${names.prefix}-public`},
      vpcId: this.vpc.id,
    })
    new Route(this, 'publicDefaultRoute', {
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: internetGateway.id,
      routeTableId: publicRoutes.id,
    })
    this.publicSubnets.forEach(
      (subnet, index) =>
        new RouteTableAssociation(this, `publicRoutes${index + 1}`, {
          routeTableId: publicRoutes.id,
          subnetId: subnet.id,
        }),
    )

    this.natGateways = this.publicSubnets.slice(0, network.natGateways).map((subnet, index) => {
      const address = new Eip(this, `natAddress${index + 1}`, {
        domain: 'vpc',
        tags: {Name: `${names.prefix}-nat-${index + 1}`},
      })
      return new NatGateway(this, `natGateway${index + 1}`, {
        allocationId: address.allocationId,
        dependsOn: [internetGateway],
        subnetId: subnet.id,
        tags: {Name: `${names.prefix}-nat-${index + 1}`},
      })
    })
    // One route table per private subnet, out through the NAT of its AZ (or the first ones when the tier has fewer NATs).
    const privateRouteTables = this.privateSubnets.map((subnet, index) => {
      const routes = new RouteTable(this, `privateRoutes${index + 1}`, {
        tags: {Name: `${names.prefix}-private-${index + 1}`},
        vpcId: this.vpc.id,
      })
      new Route(this, `privateDefaultRoute${index + 1}`, {
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: this.natGateways[index % this.natGateways.length]!.id,
        routeTableId: routes.id,
      })
      new RouteTableAssociation(this, `privateRoutes${index + 1}Association`, {
        routeTableId: routes.id,
        subnetId: subnet.id,
      })
      return routes
    })
    // S3 (and the image layers ECR serves from S3) without NAT: no NAT data charge, no internet path.
    this.s3Endpoint = new VpcEndpoint(this, 's3Endpoint', {
      routeTableIds: privateRouteTables.map((routes) => routes.id),
      serviceName: `com.amazonaws.${model.region}.s3`,
      tags: {Name: `${names.prefix}-s3`},
      vpcEndpointType: 'Gateway',
      vpcId: this.vpc.id,
    })
    // Isolated subnets: local routes only.
    const isolatedRoutes = new RouteTable(this, 'isolatedRoutes', {
      tags: {Name: `${names.prefix}-isolated`},
      vpcId: this.vpc.id,
    })
    this.isolatedSubnets.forEach(
      (subnet, index) =>
        new RouteTableAssociation(this, `isolatedRoutes${index + 1}`, {
          routeTableId: isolatedRoutes.id,
          subnetId: subnet.id,
        }),
    )

    this.flowLogGroup = encryptedLogGroup(this, 'flowLogGroup', {
      key,
      name: names.logGroups.flowLogs,
      retentionDays: model.logRetentionDays,
    })
    const flowLogRole = roleWithPolicies(this, 'flowLogRole', {
      description: `Lets VPC flow logs of ${model.id} write to their log group`,
      name: names.roles.flowLogs,
      policies: {
        'write-flow-logs': [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [model.arns.flowLogGroup, `${model.arns.flowLogGroup}:log-stream:*`],
            Sid: 'WriteFlowLogGroup',
          },
          // Part of the documented minimum: the service checks its group exists. No resource-level permission.
          {Action: 'logs:DescribeLogGroups', Resource: '*', Sid: 'FindFlowLogGroup'},
        ],
      },
      trust: serviceTrustPolicy('vpc-flow-logs.amazonaws.com', model.account.id),
    }).role
    this.flowLog = new FlowLog(this, 'flowLog', {
      iamRoleArn: flowLogRole.arn,
      logDestination: this.flowLogGroup.arn,
      logDestinationType: 'cloud-watch-logs',
      maxAggregationInterval: 60,
      tags: {Name: names.prefix},
      trafficType: 'ALL',
      vpcId: this.vpc.id,
    })
  }
}
