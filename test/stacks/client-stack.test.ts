import {expect} from 'chai'

import {clientBackupKeyAlias, clientKeyAlias, integrationSecretName} from '../../src/naming.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {makeFleetWorkspace} from './fleet.ts'
import {
  asList,
  listOf,
  policiesOf,
  readStack,
  resourceOf,
  rolePolicyStatements,
  resourcesOf,
  statementsOf,
  type StackDocument,
} from './helpers.ts'

/** The per-client baseline (DESIGN.md "The per-client stack"), checked on the synthesized JSON. */
describe('client stack baseline', () => {
  let workspace: Workspace
  let acme: StackDocument
  let bayview: StackDocument
  let dunmore: StackDocument
  let cascade: StackDocument

  before(async () => {
    workspace = await makeFleetWorkspace()
    const registry = await loadRegistry(workspace)
    const stacks = await synthesizeStacks(workspace, registry.clients, {allClients: registry.clients})
    const file = (id: string) => stacks.find((stack) => stack.id === id)!.file
    acme = await readStack(file('acme'))
    bayview = await readStack(file('bayview'))
    dunmore = await readStack(file('dunmore'))
    cascade = await readStack(file('cascade'))
  })
  after(() => removeDir(workspace.root))

  describe('provider', () => {
    it('assumes the provisioner role in the client account, only there, with the seiketsu default tags', () => {
      const [primary, dr] = acme.provider.aws!
      expect(primary).to.deep.include({
        allowed_account_ids: ['222222222222'],
        assume_role: [
          {role_arn: 'arn:aws:iam::222222222222:role/SeiketsuClientProvisioner', session_name: 'seiketsu-acme'},
        ],
        default_tags: [
          {tags: {'seiketsu:client': 'acme', 'seiketsu:managed-by': 'seiketsu', 'seiketsu:tier': 'silver'}},
        ],
        region: 'us-east-1',
      })
      expect(primary).not.to.have.property('alias')
      expect(dr).to.deep.include({alias: 'dr', allowed_account_ids: ['222222222222'], region: 'us-west-2'})
      expect(dr!.assume_role).to.deep.equal(primary!.assume_role)
    })

    it('keeps state locally under the workspace, written relative to the stack folder', () => {
      expect(acme.terraform.backend).to.deep.equal({local: {path: '../../../.seiketsu/state/acme/terraform.tfstate'}})
      expect(acme.text).not.to.include(workspace.root)
    })
  })

  describe('keys', () => {
    it('creates the client key with rotation and the alias alias/<platform>/<id>', () => {
      const key = resourceOf(acme, 'aws_kms_key', 'keys_key')
      expect(key).to.include({deletion_window_in_days: 30, enable_key_rotation: true, rotation_period_in_days: 365})
      expect(resourceOf(acme, 'aws_kms_alias', 'keys_alias')).to.deep.equal({
        name: clientKeyAlias('seiketsu', 'acme'),
        target_key_id: '${aws_kms_key.keys_key.key_id}',
      })
    })

    it('names only the client account (and AWS services acting for it) in its key policies', () => {
      for (const [name, key] of Object.entries(resourcesOf(acme, 'aws_kms_key'))) {
        const principals = statementsOf(key.policy).flatMap((statement) =>
          statement.Principal === '*' ? ['*'] : asList(statement.Principal?.AWS),
        )
        expect(principals, name).to.deep.equal(['arn:aws:iam::222222222222:root'])
        for (const statement of statementsOf(key.policy).filter((s) => s.Principal !== '*' && s.Principal?.Service))
          expect(JSON.stringify(statement.Condition), `${name} ${statement.Sid}`).to.include('222222222222')
      }
    })

    it('keeps a separate, rotated backup key in the DR region behind its own alias', () => {
      expect(resourceOf(acme, 'aws_kms_key', 'keys_backup_key')).to.include({
        enable_key_rotation: true,
        provider: 'aws.dr',
        rotation_period_in_days: workspace.config.keys.kmsRotationDays,
      })
      expect(resourceOf(acme, 'aws_kms_alias', 'keys_backup_alias')).to.deep.equal({
        name: clientBackupKeyAlias('seiketsu', 'acme'),
        provider: 'aws.dr',
        target_key_id: '${aws_kms_key.keys_backup_key.key_id}',
      })
    })
  })

  describe('network', () => {
    it('puts the VPC on the client CIDR with DNS on', () => {
      const registryCidr = '10.0.0.0/16' // acme was allocated first
      expect(resourceOf(acme, 'aws_vpc', 'network_vpc')).to.include({
        cidr_block: registryCidr,
        enable_dns_hostnames: true,
        enable_dns_support: true,
      })
    })

    it('has public, private and isolated subnets in each AZ of the tier, none mapping public IPs', () => {
      const subnets = listOf(acme, 'aws_subnet')
      const byKind = (kind: string) => subnets.filter((subnet) => subnet.tags['seiketsu:subnet'] === kind)
      for (const kind of ['public', 'private', 'isolated']) {
        expect(
          byKind(kind).map((subnet) => subnet.availability_zone),
          kind,
        ).to.deep.equal(['us-east-1a', 'us-east-1b'])
      }
      expect(byKind('public').map((subnet) => subnet.cidr_block)).to.deep.equal(['10.0.0.0/20', '10.0.16.0/20'])
      expect(byKind('private').map((subnet) => subnet.cidr_block)).to.deep.equal(['10.0.48.0/20', '10.0.64.0/20'])
      expect(byKind('isolated').map((subnet) => subnet.cidr_block)).to.deep.equal(['10.0.96.0/20', '10.0.112.0/20'])
      for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).to.equal(false)
    })

    it('routes private subnets out through NAT and gives isolated subnets no route out', () => {
      const routes = listOf(acme, 'aws_route').map(({route_table_id, destination_cidr_block, ...target}) => ({
        destination_cidr_block,
        route_table_id,
        target,
      }))
      const table = (name: string) => `\${aws_route_table.network_${name}.id}`
      expect(routes).to.have.deep.members([
        {
          destination_cidr_block: '0.0.0.0/0',
          route_table_id: table('public_routes'),
          target: {gateway_id: '${aws_internet_gateway.network_internet_gateway.id}'},
        },
        {
          destination_cidr_block: '0.0.0.0/0',
          route_table_id: table('private_routes1'),
          target: {nat_gateway_id: '${aws_nat_gateway.network_nat_gateway1.id}'},
        },
        {
          destination_cidr_block: '0.0.0.0/0',
          route_table_id: table('private_routes2'),
          target: {nat_gateway_id: '${aws_nat_gateway.network_nat_gateway2.id}'},
        },
      ])
      expect(resourceOf(acme, 'aws_route_table', 'network_isolated_routes')).not.to.have.property('route')
      const associations = listOf(acme, 'aws_route_table_association')
      const isolated = associations.filter((a) => a.route_table_id.includes('network_isolated_routes'))
      expect(isolated.map((a) => a.subnet_id)).to.deep.equal([
        '${aws_subnet.network_isolated_subnet1.id}',
        '${aws_subnet.network_isolated_subnet2.id}',
      ])
    })

    it('sends flow logs of all traffic to a log group encrypted with the client key', () => {
      const flowLog = resourceOf(acme, 'aws_flow_log', 'network_flow_log')
      expect(flowLog).to.include({
        log_destination: '${aws_cloudwatch_log_group.network_flow_log_group.arn}',
        log_destination_type: 'cloud-watch-logs',
        traffic_type: 'ALL',
        vpc_id: '${aws_vpc.network_vpc.id}',
      })
      expect(resourceOf(acme, 'aws_cloudwatch_log_group', 'network_flow_log_group')).to.deep.include({
        kms_key_id: '${aws_kms_key.keys_key.arn}',
        name: '/seiketsu/acme/vpc-flow-logs',
      })
    })

    it('strips every rule from the default security group', () => {
      expect(resourceOf(acme, 'aws_default_security_group', 'network_default_security_group')).to.deep.include({
        egress: [],
        ingress: [],
        vpc_id: '${aws_vpc.network_vpc.id}',
      })
    })

    it('has no peering, transit attachment or other path to another network', () => {
      for (const type of [
        'aws_vpc_peering_connection',
        'aws_ec2_transit_gateway_vpc_attachment',
        'aws_vpn_connection',
        'aws_vpc_endpoint_service',
      ])
        expect(acme.resource, type).not.to.have.property(type)
      // The one lookup: the platform's zone, through the DNS delegation provider, to write the NS record.
      expect(Object.keys(acme.data ?? {})).to.deep.equal(['aws_route53_zone'])
      expect(resourcesOf({...acme, resource: acme.data!}, 'aws_route53_zone').edge_parent_zone).to.deep.include({
        name: 'clients.seiketsu.example',
        private_zone: false,
        provider: 'aws.dns',
      })
    })

    it('reaches S3 (and the image layers ECR keeps there) through a gateway endpoint, not NAT', () => {
      expect(resourceOf(acme, 'aws_vpc_endpoint', 'network_s3_endpoint')).to.deep.include({
        route_table_ids: [
          '${aws_route_table.network_private_routes1.id}',
          '${aws_route_table.network_private_routes2.id}',
        ],
        service_name: 'com.amazonaws.us-east-1.s3',
        vpc_endpoint_type: 'Gateway',
      })
    })

    it('lets flow logs find their log group (the documented minimum includes logs:DescribeLogGroups)', () => {
      expect(rolePolicyStatements(acme, 'aws_iam_role.network_flow_log_role')).to.deep.include({
        Action: 'logs:DescribeLogGroups',
        Effect: 'Allow',
        Resource: '*',
        Sid: 'FindFlowLogGroup',
      })
    })
  })

  describe('security groups', () => {
    it('describes every group and every rule', () => {
      for (const group of listOf(acme, 'aws_security_group'))
        expect(group.description).to.be.a('string').and.to.have.length.greaterThan(10)
      for (const type of ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'])
        for (const rule of listOf(acme, type))
          expect(rule.description, type).to.be.a('string').and.to.have.length.greaterThan(5)
      expect(
        listOf(acme, 'aws_security_group').every((group) => !('ingress' in group) && !('egress' in group)),
      ).to.equal(true)
    })

    it('chains internet → ALB 443 → app 8000 → DB 5432 and Redis 6379 by group reference', () => {
      const ingress = listOf(acme, 'aws_vpc_security_group_ingress_rule').map((rule) => ({
        from: rule.referenced_security_group_id ?? rule.cidr_ipv4,
        port: [rule.from_port, rule.to_port],
        to: rule.security_group_id,
      }))
      const group = (name: string) => `\${aws_security_group.security_groups_${name}.id}`
      expect(ingress).to.have.deep.members([
        {from: '0.0.0.0/0', port: [443, 443], to: group('load_balancer')},
        {from: group('load_balancer'), port: [8000, 8000], to: group('app')},
        {from: group('app'), port: [5432, 5432], to: group('database')},
        {from: group('app'), port: [6379, 6379], to: group('cache')},
      ])
      const egress = listOf(acme, 'aws_vpc_security_group_egress_rule').map((rule) => ({
        from: rule.security_group_id,
        port: rule.from_port,
        to: rule.referenced_security_group_id ?? rule.cidr_ipv4,
      }))
      expect(egress).to.have.deep.members([
        {from: group('load_balancer'), port: 8000, to: group('app')},
        {from: group('app'), port: 5432, to: group('database')},
        {from: group('app'), port: 6379, to: group('cache')},
        {from: group('app'), port: 443, to: '0.0.0.0/0'},
      ])
    })
  })

  describe('edge', () => {
    it('serves HTTPS on 443 only, with the TLS 1.3-only policy', () => {
      const listeners = listOf(acme, 'aws_lb_listener')
      expect(listeners).to.have.length(1)
      expect(listeners[0]).to.include({
        certificate_arn: '${aws_acm_certificate_validation.edge_certificate_validation.certificate_arn}',
        port: 443,
        protocol: 'HTTPS',
        ssl_policy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      })
      expect(resourceOf(acme, 'aws_acm_certificate', 'edge_certificate')).to.include({
        domain_name: 'acme.clients.seiketsu.example',
        validation_method: 'DNS',
      })
    })

    it("owns the zone <id>.<domain>, delegated from the platform's zone through the management account's DNS role", () => {
      expect(resourceOf(acme, 'aws_route53_zone', 'edge_zone').name).to.equal('acme.clients.seiketsu.example')
      expect(resourceOf(acme, 'aws_route53_record', 'edge_delegation')).to.deep.include({
        name: 'acme.clients.seiketsu.example',
        provider: 'aws.dns',
        records: '${aws_route53_zone.edge_zone.name_servers}',
        type: 'NS',
        zone_id: '${data.aws_route53_zone.edge_parent_zone.zone_id}',
      })
      const dns = acme.provider.aws!.find((provider) => provider.alias === 'dns')!
      expect(dns).to.deep.include({
        allowed_account_ids: ['111111111111'],
        assume_role: [
          {role_arn: 'arn:aws:iam::111111111111:role/SeiketsuDnsDelegation', session_name: 'seiketsu-acme-dns'},
        ],
      })
      // Nothing but the delegation record goes through that provider.
      const throughDns = Object.entries(acme.resource).flatMap(([type, byName]) =>
        Object.entries(byName)
          .filter(([, config]) => config.provider === 'aws.dns')
          .map(([name]) => `${type}.${name}`),
      )
      expect(throughDns).to.deep.equal(['aws_route53_record.edge_delegation'])
    })

    it('validates its certificate by a record in its zone, after the delegation exists, and answers on its name', () => {
      expect(resourceOf(acme, 'aws_route53_record', 'edge_certificate_validation_record')).to.deep.include({
        depends_on: ['aws_route53_record.edge_delegation'],
        name: '${tolist(aws_acm_certificate.edge_certificate.domain_validation_options).0.resource_record_name}',
        records: ['${tolist(aws_acm_certificate.edge_certificate.domain_validation_options).0.resource_record_value}'],
        type: '${tolist(aws_acm_certificate.edge_certificate.domain_validation_options).0.resource_record_type}',
        zone_id: '${aws_route53_zone.edge_zone.zone_id}',
      })
      expect(resourceOf(acme, 'aws_acm_certificate_validation', 'edge_certificate_validation')).to.deep.include({
        validation_record_fqdns: ['${aws_route53_record.edge_certificate_validation_record.fqdn}'],
      })
      expect(resourceOf(acme, 'aws_route53_record', 'edge_endpoint_alias')).to.deep.include({
        alias: {
          evaluate_target_health: true,
          name: '${aws_lb.edge_load_balancer.dns_name}',
          zone_id: '${aws_lb.edge_load_balancer.zone_id}',
        },
        name: 'acme.clients.seiketsu.example',
        type: 'A',
      })
    })

    it('drops invalid headers, protects against deletion and writes access logs', () => {
      const alb = resourceOf(acme, 'aws_lb', 'edge_load_balancer')
      expect(alb).to.deep.include({
        access_logs: {bucket: 'seiketsu-acme-222222222222-alb-logs', enabled: true, prefix: 'alb'},
        drop_invalid_header_fields: true,
        enable_deletion_protection: true,
        internal: false,
        load_balancer_type: 'application',
        subnets: ['${aws_subnet.network_public_subnet1.id}', '${aws_subnet.network_public_subnet2.id}'],
      })
    })

    it('lets the region’s ELB log delivery write the access logs, to a bucket with SSE-S3 (the only kind ELB supports)', () => {
      const policy = statementsOf(resourceOf(acme, 'aws_s3_bucket_policy', 'storage_access_logs_policy').policy)
      expect(policy.find((s) => s.Sid === 'ElasticLoadBalancingWritesAccessLogs')).to.deep.include({
        Action: 's3:PutObject',
        Principal: {AWS: 'arn:aws:iam::127311923021:root'},
        Resource: 'arn:aws:s3:::seiketsu-acme-222222222222-alb-logs/alb/AWSLogs/222222222222/*',
      })
      const encryption = resourceOf(
        acme,
        'aws_s3_bucket_server_side_encryption_configuration',
        'storage_access_logs_encryption',
      )
      expect(encryption.rule[0].apply_server_side_encryption_by_default).to.deep.equal({sse_algorithm: 'AES256'})
      const euPolicy = statementsOf(resourceOf(dunmore, 'aws_s3_bucket_policy', 'storage_access_logs_policy').policy)
      expect(euPolicy.find((s) => s.Sid === 'ElasticLoadBalancingWritesAccessLogs')!.Principal).to.deep.equal({
        AWS: 'arn:aws:iam::156460612806:root',
      })
    })

    it('health-checks the tasks on port 8000', () => {
      expect(resourceOf(acme, 'aws_lb_target_group', 'edge_target_group')).to.deep.include({
        port: 8000,
        target_type: 'ip',
      })
      expect(resourceOf(acme, 'aws_lb_target_group', 'edge_target_group').health_check).to.include({
        enabled: true,
        path: '/health',
      })
    })
  })

  describe('compute', () => {
    it('runs Fargate tasks in private subnets without a public IP', () => {
      const service = resourceOf(acme, 'aws_ecs_service', 'app_service')
      expect(service).to.deep.include({
        launch_type: 'FARGATE',
        network_configuration: {
          assign_public_ip: false,
          security_groups: ['${aws_security_group.security_groups_app.id}'],
          subnets: ['${aws_subnet.network_private_subnet1.id}', '${aws_subnet.network_private_subnet2.id}'],
        },
      })
      expect(service.load_balancer).to.deep.equal([
        {container_name: 'app', container_port: 8000, target_group_arn: '${aws_lb_target_group.edge_target_group.arn}'},
      ])
    })

    it('has a read-only root filesystem, port 8000 and secrets by ARN only', () => {
      const task = resourceOf(acme, 'aws_ecs_task_definition', 'app_task_definition')
      const [container] = JSON.parse(task.container_definitions)
      expect(container).to.deep.include({privileged: false, readonlyRootFilesystem: true})
      expect(container.portMappings).to.deep.equal([{containerPort: 8000, protocol: 'tcp'}])
      expect(container.secrets).to.deep.equal([
        {name: 'ELEVENLABS_CREDENTIALS', valueFrom: '${aws_secretsmanager_secret.secrets_elevenlabs.arn}'},
        {name: 'TWILIO_CREDENTIALS', valueFrom: '${aws_secretsmanager_secret.secrets_twilio.arn}'},
      ])
      for (const variable of container.environment)
        expect(variable.name, 'no credential in plain environment').not.to.match(/SECRET|PASSWORD|TOKEN|CREDENTIAL|KEY/)
      expect(task).to.deep.include({network_mode: 'awsvpc', requires_compatibilities: ['FARGATE']})
    })

    it('gives the task a role distinct from the execution role', () => {
      const task = resourceOf(acme, 'aws_ecs_task_definition', 'app_task_definition')
      expect(task.task_role_arn).to.equal('${aws_iam_role.iam_app.arn}')
      expect(task.execution_role_arn).to.equal('${aws_iam_role.app_execution_role.arn}')
    })
  })

  describe('scaling', () => {
    it('steps out by 2 and in by 1 with a 5-minute cooldown', () => {
      const out = resourceOf(acme, 'aws_appautoscaling_policy', 'app_scale_out')
      const scaleIn = resourceOf(acme, 'aws_appautoscaling_policy', 'app_scale_in')
      expect(out.policy_type).to.equal('StepScaling')
      expect(out.step_scaling_policy_configuration).to.deep.include({
        adjustment_type: 'ChangeInCapacity',
        cooldown: 300,
      })
      expect(out.step_scaling_policy_configuration.step_adjustment).to.deep.equal([
        {metric_interval_lower_bound: '0', scaling_adjustment: 2},
      ])
      expect(scaleIn.step_scaling_policy_configuration).to.deep.include({cooldown: 300})
      expect(scaleIn.step_scaling_policy_configuration.step_adjustment).to.deep.equal([
        {metric_interval_upper_bound: '0', scaling_adjustment: -1},
      ])
    })

    it('scales out on CPU > 70 %, memory > 80 %, response time > 0.5 s and queue depth > 100', () => {
      const alarms = listOf(acme, 'aws_cloudwatch_metric_alarm')
      const trigger = (metric: string) => alarms.find((alarm) => alarm.metric_name === metric)!
      const expected = [
        ['CPUUtilization', 'AWS/ECS', 70],
        ['MemoryUtilization', 'AWS/ECS', 80],
        ['TargetResponseTime', 'AWS/ApplicationELB', 0.5],
        ['ApproximateNumberOfMessagesVisible', 'AWS/SQS', 100],
      ] as const
      for (const [metric, namespace, threshold] of expected) {
        expect(trigger(metric), metric).to.deep.include({
          comparison_operator: 'GreaterThanThreshold',
          namespace,
          threshold,
        })
        expect(trigger(metric).alarm_actions).to.deep.equal([
          '${aws_appautoscaling_policy.app_scale_out.arn}',
          '${aws_sns_topic.observability_alarm_topic.arn}',
        ])
      }
      expect(trigger('ApproximateNumberOfMessagesVisible').dimensions).to.deep.equal({QueueName: 'seiketsu-acme-work'})
    })

    it('puts the queue it scales on behind the client key', () => {
      expect(resourceOf(acme, 'aws_sqs_queue', 'app_queue')).to.include({
        kms_master_key_id: '${aws_kms_key.keys_key.arn}',
        name: 'seiketsu-acme-work',
      })
      expect(resourceOf(acme, 'aws_sqs_queue', 'app_dead_letter_queue').kms_master_key_id).to.equal(
        '${aws_kms_key.keys_key.arn}',
      )
    })
  })

  describe('database', () => {
    it('is PostgreSQL in the isolated subnets, not public, encrypted with the client key', () => {
      const db = resourceOf(acme, 'aws_db_instance', 'database_instance')
      expect(db).to.deep.include({
        db_subnet_group_name: '${aws_db_subnet_group.database_subnet_group.name}',
        engine: 'postgres',
        kms_key_id: '${aws_kms_key.keys_key.arn}',
        publicly_accessible: false,
        storage_encrypted: true,
        vpc_security_group_ids: ['${aws_security_group.security_groups_database.id}'],
      })
      expect(resourceOf(acme, 'aws_db_subnet_group', 'database_subnet_group').subnet_ids).to.deep.equal([
        '${aws_subnet.network_isolated_subnet1.id}',
        '${aws_subnet.network_isolated_subnet2.id}',
      ])
    })

    it('forces TLS, authenticates with IAM and lets RDS manage the master password', () => {
      const db = resourceOf(acme, 'aws_db_instance', 'database_instance')
      expect(db).to.include({
        iam_database_authentication_enabled: true,
        manage_master_user_password: true,
        master_user_secret_kms_key_id: '${aws_kms_key.keys_key.arn}',
        parameter_group_name: '${aws_db_parameter_group.database_parameter_group.name}',
      })
      expect(db).not.to.have.property('password')
      expect(resourceOf(acme, 'aws_db_parameter_group', 'database_parameter_group').parameter).to.deep.include({
        apply_method: 'pending-reboot',
        name: 'rds.force_ssl',
        value: '1',
      })
    })

    it('is deletion-protected and keeps daily backups 30 days, copied to the DR region under the backup key', () => {
      expect(resourceOf(acme, 'aws_db_instance', 'database_instance')).to.include({
        backup_retention_period: 30,
        deletion_protection: true,
        skip_final_snapshot: false,
      })
      expect(
        resourceOf(acme, 'aws_db_instance_automated_backups_replication', 'database_backup_replication'),
      ).to.deep.equal({
        depends_on: ['aws_db_instance.database_instance'],
        kms_key_id: '${aws_kms_key.keys_backup_key.arn}',
        provider: 'aws.dr',
        retention_period: 30,
        source_db_instance_arn: '${aws_db_instance.database_instance.arn}',
      })
    })
  })

  describe('cache', () => {
    it('is a Redis replication group encrypted at rest with the client key and in transit', () => {
      expect(resourceOf(acme, 'aws_elasticache_replication_group', 'cache_replication_group')).to.deep.include({
        at_rest_encryption_enabled: 'true',
        engine: 'redis',
        kms_key_id: '${aws_kms_key.keys_key.arn}',
        security_group_ids: ['${aws_security_group.security_groups_cache.id}'],
        subnet_group_name: '${aws_elasticache_subnet_group.cache_subnet_group.name}',
        transit_encryption_enabled: true,
        transit_encryption_mode: 'required',
      })
    })
  })

  describe('storage', () => {
    const buckets = ['storage_data', 'storage_disaster_recovery', 'storage_access_logs']

    it('encrypts the client bucket with the client key and the DR bucket with the backup key', () => {
      const sse = (name: string) =>
        resourceOf(acme, 'aws_s3_bucket_server_side_encryption_configuration', `${name}_encryption`).rule[0]
      expect(sse('storage_data')).to.deep.equal({
        apply_server_side_encryption_by_default: {
          kms_master_key_id: '${aws_kms_key.keys_key.arn}',
          sse_algorithm: 'aws:kms',
        },
        bucket_key_enabled: true,
      })
      expect(sse('storage_disaster_recovery').apply_server_side_encryption_by_default).to.deep.equal({
        kms_master_key_id: '${aws_kms_key.keys_backup_key.arn}',
        sse_algorithm: 'aws:kms',
      })
      expect(resourceOf(acme, 'aws_s3_bucket', 'storage_disaster_recovery_bucket')).to.include({
        bucket: 'seiketsu-acme-222222222222-data-dr',
        provider: 'aws.dr',
      })
    })

    it('blocks all public access, disables ACLs, versions and lifecycles every bucket', () => {
      for (const name of buckets) {
        expect(resourceOf(acme, 'aws_s3_bucket_public_access_block', `${name}_public_access`), name).to.include({
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        })
        expect(resourceOf(acme, 'aws_s3_bucket_ownership_controls', `${name}_ownership`).rule).to.deep.equal({
          object_ownership: 'BucketOwnerEnforced',
        })
        expect(
          resourceOf(acme, 'aws_s3_bucket_versioning', `${name}_versioning`).versioning_configuration,
        ).to.deep.equal({
          status: 'Enabled',
        })
        const [rule] = resourceOf(acme, 'aws_s3_bucket_lifecycle_configuration', `${name}_lifecycle`).rule
        expect(rule.status).to.equal('Enabled')
        expect(rule.transition[0].storage_class).to.match(/GLACIER/)
      }
    })

    it('denies every request that does not use TLS', () => {
      for (const name of buckets) {
        const deny = statementsOf(resourceOf(acme, 'aws_s3_bucket_policy', `${name}_policy`).policy).find(
          (s) => s.Effect === 'Deny',
        )
        expect(deny, name).to.deep.include({Condition: {Bool: {'aws:SecureTransport': false}}, Principal: '*'})
      }
    })

    it('replicates the client bucket to the DR bucket, re-encrypting with the backup key', () => {
      const replication = resourceOf(acme, 'aws_s3_bucket_replication_configuration', 'storage_replication')
      expect(replication.bucket).to.equal('${aws_s3_bucket.storage_data_bucket.id}')
      expect(replication.rule[0]).to.deep.include({
        destination: {
          bucket: '${aws_s3_bucket.storage_disaster_recovery_bucket.arn}',
          encryption_configuration: {replica_kms_key_id: '${aws_kms_key.keys_backup_key.arn}'},
        },
        status: 'Enabled',
      })
    })
  })

  describe('secrets', () => {
    it('creates one secret per enabled credential integration, encrypted with the client key', () => {
      const names = (doc: StackDocument) => listOf(doc, 'aws_secretsmanager_secret').map((secret) => secret.name)
      expect(names(acme)).to.have.members([
        integrationSecretName('seiketsu', 'acme', 'elevenlabs'),
        integrationSecretName('seiketsu', 'acme', 'twilio'),
        'seiketsu/acme/jwt-signing-keys',
      ])
      // bayview enables MLS and CRM; CRM holds no credentials.
      expect(names(bayview)).to.have.members([
        integrationSecretName('seiketsu', 'bayview', 'mls'),
        'seiketsu/bayview/jwt-signing-keys',
      ])
      for (const secret of listOf(acme, 'aws_secretsmanager_secret'))
        expect(secret.kms_key_id).to.equal('${aws_kms_key.keys_key.arn}')
    })

    it('never holds a secret value', () => {
      expect(acme.resource).not.to.have.property('aws_secretsmanager_secret_version')
      expect(acme.text).not.to.match(/"(secret_string|secret_binary|password|auth_token)"/)
    })
  })

  describe('observability', () => {
    it('encrypts every log group with the client key and keeps it as long as the tier says', () => {
      const groups = listOf(acme, 'aws_cloudwatch_log_group')
      expect(groups.map((group) => group.name)).to.have.members([
        '/seiketsu/acme/app',
        '/seiketsu/acme/vpc-flow-logs',
        '/seiketsu/acme/redis-slow-log',
        '/seiketsu/acme/db-setup',
        '/aws/rds/instance/seiketsu-acme-db/postgresql',
        '/aws/ecs/containerinsights/seiketsu-acme/performance',
      ])
      for (const group of groups)
        expect(group).to.include({kms_key_id: '${aws_kms_key.keys_key.arn}', retention_in_days: 365})
    })

    it('sends alarms to an SNS topic encrypted with the client key', () => {
      expect(resourceOf(acme, 'aws_sns_topic', 'observability_alarm_topic')).to.include({
        kms_master_key_id: '${aws_kms_key.keys_key.arn}',
      })
      for (const alarm of listOf(acme, 'aws_cloudwatch_metric_alarm'))
        expect(alarm.alarm_actions.length, alarm.alarm_name).to.be.greaterThan(0)
      const unhealthy = resourceOf(acme, 'aws_cloudwatch_metric_alarm', 'app_unhealthy_targets')
      expect(unhealthy.alarm_actions).to.deep.equal(['${aws_sns_topic.observability_alarm_topic.arn}'])
    })

    it('keeps no budget in the client account (the platform stack holds it) and forgets the one it once declared', () => {
      expect(acme.resource).not.to.have.property('aws_budgets_budget')
      expect(acme.removed).to.deep.include({
        from: 'aws_budgets_budget.observability_budget',
        lifecycle: {destroy: false},
      })
      // Only CloudWatch publishes to the client topic now.
      const [publish] = statementsOf(
        resourceOf(acme, 'aws_sns_topic_policy', 'observability_alarm_topic_policy').policy,
      )
      expect(publish!.Principal).to.deep.equal({Service: 'cloudwatch.amazonaws.com'})
    })

    it("subscribes the alarm topic to the platform's on-call destination", () => {
      expect(resourceOf(acme, 'aws_sns_topic_subscription', 'observability_on_call')).to.deep.equal({
        endpoint: 'oncall@seiketsu.example',
        protocol: 'email',
        topic_arn: '${aws_sns_topic.observability_alarm_topic.arn}',
      })
    })
  })

  describe('IAM', () => {
    it('has SeiketsuClientAdmin, SeiketsuClientApp and SeiketsuClientReadOnly', () => {
      const roles = resourcesOf(acme, 'aws_iam_role')
      expect(roles.iam_admin!.name).to.equal('SeiketsuClientAdmin')
      expect(roles.iam_app!.name).to.equal('SeiketsuClientApp')
      expect(roles.iam_read_only!.name).to.equal('SeiketsuClientReadOnly')
      // The management account's root, narrowed to one platform role: IAM accepts it before that role exists.
      expect(statementsOf(roles.iam_admin!.assume_role_policy)[0]).to.deep.include({
        Condition: {ArnEquals: {'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/SeiketsuPlatformAdmin'}},
        Principal: {AWS: 'arn:aws:iam::111111111111:root'},
      })
      expect(statementsOf(roles.iam_read_only!.assume_role_policy)[0]).to.deep.include({
        Condition: {ArnEquals: {'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/SeiketsuMonitoring'}},
        Principal: {AWS: 'arn:aws:iam::111111111111:root'},
      })
    })

    it("keeps each role's policies in aws_iam_role_policy resources, made exclusive, never the deprecated inline_policy", () => {
      for (const [name, role] of Object.entries(resourcesOf(acme, 'aws_iam_role'))) {
        expect(role, name).not.to.have.property('inline_policy')
        const exclusive = listOf(acme, 'aws_iam_role_policies_exclusive').find(
          (resource) => resource.role_name === `\${aws_iam_role.${name}.name}`,
        )
        const policies = listOf(acme, 'aws_iam_role_policy').filter(
          (policy) => policy.role === `\${aws_iam_role.${name}.name}`,
        )
        expect(exclusive, name).to.be.an('object')
        expect([...exclusive!.policy_names].sort(), name).to.deep.equal(policies.map((policy) => policy.name).sort())
      }
      // Same policy names as the inline policies of earlier versions: PutRolePolicy overwrites them in place.
      expect(
        listOf(acme, 'aws_iam_role_policy')
          .filter((policy) => policy.role === '${aws_iam_role.iam_admin.name}')
          .map((policy) => policy.name)
          .sort(),
      ).to.deep.equal(['operate', 'read'])
    })

    it('keeps the JWT signing keys (private keys) out of the app role: verifying tokens needs only the JWKS', () => {
      const readable = rolePolicyStatements(acme, 'aws_iam_role.iam_app').flatMap((statement) =>
        asList(statement.Resource),
      )
      expect(readable.length).to.be.greaterThan(0)
      expect(readable.some((resource: string) => resource.includes('jwt_signing_keys'))).to.equal(false)
    })

    it('lets the app connect as its database user to the primary and to every replica, by resource id', () => {
      const connect = (doc: StackDocument) =>
        rolePolicyStatements(doc, 'aws_iam_role.iam_app').find(
          (statement) => statement.Sid === 'ConnectToDatabaseWithIam',
        )!
      expect(connect(acme).Resource).to.equal(
        'arn:aws:rds-db:us-east-1:222222222222:dbuser:${aws_db_instance.database_instance.resource_id}/app',
      )
      // Gold has a read replica: the app may reach it too, or the replica would cost money and serve nothing.
      expect(connect(cascade).Resource).to.deep.equal([
        'arn:aws:rds-db:us-east-1:444444444444:dbuser:${aws_db_instance.database_instance.resource_id}/app',
        'arn:aws:rds-db:us-east-1:444444444444:dbuser:${aws_db_instance.database_replica1.resource_id}/app',
      ])
      const [container] = JSON.parse(
        resourceOf(cascade, 'aws_ecs_task_definition', 'app_task_definition').container_definitions,
      )
      expect(container.environment).to.deep.include({
        name: 'DATABASE_READ_HOSTS',
        value: '${aws_db_instance.database_replica1.address}',
      })
    })

    it('lets the app into Redis as its IAM-authenticated cache user only', () => {
      const cache = rolePolicyStatements(acme, 'aws_iam_role.iam_app').find(
        (statement) => statement.Sid === 'ConnectToCacheWithIam',
      )!
      expect(cache).to.deep.include({
        Action: 'elasticache:Connect',
        Resource: [
          '${aws_elasticache_replication_group.cache_replication_group.arn}',
          '${aws_elasticache_user.cache_app_user.arn}',
        ],
      })
    })

    it('uses no wildcard action anywhere and names a resource in every allow of every role', () => {
      for (const {where, statements} of policiesOf(acme)) {
        for (const statement of statements) {
          if (statement.Effect === 'Deny') continue
          for (const action of asList(statement.Action))
            if (!where.startsWith('aws_kms_key')) expect(action, `${where} ${statement.Sid}`).not.to.include('*')
        }
      }
      for (const {where, statements} of policiesOf(acme).filter(({where}) => where.startsWith('aws_iam_role'))) {
        if (where.endsWith('trust')) continue
        for (const statement of statements) {
          const resources = asList(statement.Resource)
          expect(resources.length, `${where} ${statement.Sid}`).to.be.greaterThan(0)
          // ecr:GetAuthorizationToken and logs:DescribeLogGroups are actions AWS accepts only on "*".
          if (!['ecr:GetAuthorizationToken', 'logs:DescribeLogGroups'].includes(String(statement.Action)))
            expect(resources, `${where} ${statement.Sid}`).not.to.include('*')
        }
      }
    })
  })
})
