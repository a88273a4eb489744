import {expect} from 'chai'

import {loadRegistry} from '../../src/registry/registry.ts'
import {databaseSetupSql} from '../../src/stacks/constructs/database-setup.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {removeDir} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'
import {DEPLOYABLE_SETTINGS} from './fleet.ts'
import {
  listOf,
  readStack,
  resourceOf,
  resourcesOf,
  rolePolicyStatements,
  statementsOf,
  type StackDocument,
} from './helpers.ts'

/**
 * What makes a stack apply and serve (issue 11), on the synthesized JSON: what the real terraform
 * cannot check offline (the order accounts are set up in, who may pull an image, what a task needs
 * to start) asserted here; terraform-validate.test.ts and terraform-plan.test.ts run the real binary.
 */
describe('stacks that apply and serve', () => {
  let workspace: Workspace
  const docs: Record<string, StackDocument> = {}

  before(async () => {
    workspace = await makeWorkspace({
      clients: [
        draftClient('acme', {accountId: '222222222222'}),
        draftClient('cascade', {accountId: '444444444444', region: 'us-west-2', tier: 'gold'}),
        draftClient('dunmore', {accountId: null, region: 'eu-west-1', residency: 'eu', tier: 'enterprise'}),
        draftClient('existing', {
          accountId: '555555555555',
          bootstrap: {adopt: ['provisioner-role', 'ecs-service-linked-role'], role: 'LandingZoneAdmin'},
          integrations: {},
        }),
      ],
      settings: DEPLOYABLE_SETTINGS,
    })
    for (const stack of await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients))
      docs[stack.id] = await readStack(stack.file)
  })
  after(() => removeDir(workspace.root))

  describe('the bootstrap stack of a client account', () => {
    it('exists for every client with an account, applied through its bootstrap role', () => {
      expect(Object.keys(docs).filter((id) => id.endsWith('/bootstrap'))).to.deep.equal([
        'acme/bootstrap',
        'cascade/bootstrap',
        'existing/bootstrap',
      ])
      const [provider] = docs['acme/bootstrap']!.provider.aws!
      expect(provider).to.deep.include({
        allowed_account_ids: ['222222222222'],
        assume_role: [
          {
            role_arn: 'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole',
            session_name: 'seiketsu-bootstrap-acme',
          },
        ],
        default_tags: [
          {tags: {'seiketsu:client': 'acme', 'seiketsu:managed-by': 'seiketsu', 'seiketsu:stack': 'bootstrap'}},
        ],
      })
      // An account the platform did not create: the role its manifest names.
      expect(docs['existing/bootstrap']!.provider.aws![0]!.assume_role[0].role_arn).to.equal(
        'arn:aws:iam::555555555555:role/LandingZoneAdmin',
      )
    })

    it('creates the provisioner role the client stack assumes, trusting only the platform provisioner', () => {
      const bootstrap = docs['acme/bootstrap']!
      const role = resourceOf(bootstrap, 'aws_iam_role', 'provisioner')
      expect(role.name).to.equal('SeiketsuClientProvisioner')
      expect(statementsOf(role.assume_role_policy)).to.deep.equal([
        {
          Action: 'sts:AssumeRole',
          Condition: {ArnEquals: {'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/SeiketsuClientProvisioner'}},
          Effect: 'Allow',
          Principal: {AWS: 'arn:aws:iam::111111111111:root'},
          Sid: 'PlatformRoleAssumesRole',
        },
      ])
      expect(resourceOf(bootstrap, 'aws_iam_role_policy_attachment', 'provisioner_managed_policy1')).to.deep.equal({
        policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        role: '${aws_iam_role.provisioner.name}',
      })
      // The client stack's providers assume exactly that role.
      expect(docs.acme!.provider.aws![0]!.assume_role[0].role_arn).to.equal(
        'arn:aws:iam::222222222222:role/SeiketsuClientProvisioner',
      )
    })

    it('creates the ECS and Application Auto Scaling service-linked roles a new account lacks', () => {
      expect(
        listOf(docs['acme/bootstrap']!, 'aws_iam_service_linked_role').map((role) => role.aws_service_name),
      ).to.deep.equal(['ecs.application-autoscaling.amazonaws.com', 'ecs.amazonaws.com'])
    })

    it('imports what an existing account already has instead of failing on it (bootstrap.adopt)', () => {
      expect(docs['existing/bootstrap']!.import).to.deep.equal([
        {id: 'SeiketsuClientProvisioner', to: 'aws_iam_role.provisioner'},
        {
          id: 'arn:aws:iam::555555555555:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS',
          to: 'aws_iam_service_linked_role.ecs_service_linked_role',
        },
      ])
      expect(docs['acme/bootstrap']).not.to.have.property('import')
    })

    it('is not written for a client whose account does not exist yet', () => {
      expect(docs).not.to.have.property('dunmore/bootstrap')
    })
  })

  describe('the image', () => {
    it('comes from a repository of the platform stack, replicated to every other client region, pullable by the organization only', () => {
      const platform = docs.platform!
      expect(resourceOf(platform, 'aws_ecr_repository', 'image_repository')).to.deep.include({
        image_tag_mutability: 'IMMUTABLE',
        name: 'seiketsu/voice-agent',
      })
      const [pull] = statementsOf(resourceOf(platform, 'aws_ecr_repository_policy', 'image_repository_policy').policy)
      expect(pull).to.deep.equal({
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Condition: {StringEquals: {'aws:PrincipalOrgID': '${data.aws_organizations_organization.organization.id}'}},
        Effect: 'Allow',
        Principal: '*',
        Sid: 'OrganizationAccountsPull',
      })
      const [rule] = resourceOf(platform, 'aws_ecr_replication_configuration', 'image_replication')
        .replication_configuration.rule
      expect(rule.destination).to.deep.equal([
        {region: 'eu-west-1', registry_id: '111111111111'},
        {region: 'us-west-2', registry_id: '111111111111'},
      ])
      expect(rule.repository_filter).to.deep.equal([{filter: 'seiketsu/voice-agent', filter_type: 'PREFIX_MATCH'}])
      // ECR creates each replica itself: a template in its region gives it the same pull policy.
      const templates = listOf(platform, 'aws_ecr_repository_creation_template')
      expect(templates.map((template) => template.provider).sort()).to.deep.equal(['aws.eu_west_1', 'aws.us_west_2'])
      for (const template of templates) expect(statementsOf(template.repository_policy)).to.deep.equal([pull])
    })

    it('is pinned by digest in every client task, in the client region', () => {
      const [container] = JSON.parse(
        resourceOf(docs.cascade!, 'aws_ecs_task_definition', 'app_task_definition').container_definitions,
      )
      expect(container.image).to.equal(
        `111111111111.dkr.ecr.us-west-2.amazonaws.com/seiketsu/voice-agent@${DEPLOYABLE_SETTINGS.imageDigest}`,
      )
    })
  })

  describe('the service', () => {
    it('runs tasks only once seiketsu plan opens its gate (image pinned, secrets filled)', () => {
      const acme = docs.acme!
      expect(acme.variable!.service_enabled).to.deep.include({default: false, type: 'bool'})
      expect(resourceOf(acme, 'aws_ecs_service', 'app_service').desired_count).to.equal(
        '${var.service_enabled ? 1 : 0}',
      )
      expect(resourceOf(acme, 'aws_appautoscaling_target', 'app_scaling_target')).to.deep.include({
        max_capacity: '${var.service_enabled ? 5 : 0}',
        min_capacity: '${var.service_enabled ? 1 : 0}',
      })
    })

    it('scales in only when CPU, memory, response time and queue depth are all low', () => {
      const alarm = resourceOf(docs.acme!, 'aws_cloudwatch_metric_alarm', 'app_all_low')
      expect(alarm).to.deep.include({
        alarm_actions: ['${aws_appautoscaling_policy.app_scale_in.arn}'],
        comparison_operator: 'LessThanThreshold',
        evaluation_periods: 15,
        threshold: 0.5,
      })
      const load = alarm.metric_query.find((query: {id: string}) => query.id === 'load')
      expect(load).to.deep.include({
        expression: 'MAX([FILL(cpu, 0) / 70, FILL(memory, 0) / 80, FILL(latency, 0) / 0.5, FILL(queue, 0) / 100])',
        return_data: true,
      })
      expect(alarm.metric_query.map((query: {id: string}) => query.id)).to.deep.equal([
        'cpu',
        'memory',
        'latency',
        'queue',
        'load',
      ])
      // The scale-in on CPU alone is gone: it flapped against the other three scale-out triggers.
      expect(listOf(docs.acme!, 'aws_cloudwatch_metric_alarm').map((each) => each.alarm_name)).not.to.include(
        'seiketsu-acme-cpu-low',
      )
    })

    it('has Container Insights write to a log group made first, encrypted, with retention', () => {
      const group = resourceOf(docs.acme!, 'aws_cloudwatch_log_group', 'app_insights_log_group')
      expect(group).to.deep.include({
        kms_key_id: '${aws_kms_key.keys_key.arn}',
        name: '/aws/ecs/containerinsights/seiketsu-acme/performance',
        retention_in_days: 365,
      })
      expect(resourceOf(docs.acme!, 'aws_ecs_cluster', 'app_cluster').depends_on).to.deep.equal([
        'aws_cloudwatch_log_group.app_insights_log_group',
      ])
    })
  })

  describe('the database user', () => {
    it('is created by a one-off task whose execution role alone reads the RDS-managed master secret', () => {
      const acme = docs.acme!
      const task = resourceOf(acme, 'aws_ecs_task_definition', 'database_setup_task_definition')
      expect(task).not.to.have.property('task_role_arn')
      const [container] = JSON.parse(task.container_definitions)
      expect(container.secrets).to.deep.equal([
        {
          name: 'PGPASSWORD',
          valueFrom: '${aws_db_instance.database_instance.master_user_secret[0].secret_arn}:password::',
        },
      ])
      expect(container.command.at(-1)).to.equal(databaseSetupSql('app', 'app'))
      expect(container.environment).to.deep.include({name: 'PGSSLMODE', value: 'require'})
      const readers = listOf(acme, 'aws_iam_role_policy').filter((policy) =>
        statementsOf(policy.policy).some((statement) => String(statement.Resource).includes('master_user_secret')),
      )
      expect(readers.map((policy) => policy.role)).to.deep.equal(['${aws_iam_role.database_setup_execution_role.name}'])
      expect(acme.output!.database_setup!.value).to.deep.equal({
        cluster: '${aws_ecs_cluster.app_cluster.name}',
        container: 'db-setup',
        log_group: '/seiketsu/acme/db-setup',
        log_stream_prefix: 'db-setup',
        region: 'us-east-1',
        security_groups: ['${aws_security_group.security_groups_app.id}'],
        subnets: ['${aws_subnet.network_private_subnet1.id}', '${aws_subnet.network_private_subnet2.id}'],
        task_definition: '${aws_ecs_task_definition.database_setup_task_definition.arn}',
      })
    })

    it('is created idempotently: the role if missing, then grants that are no-ops when held', () => {
      const sql = databaseSetupSql('app', 'app')
      expect(sql).to.contain(
        'IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = \'app\') THEN CREATE ROLE "app" LOGIN',
      )
      expect(sql).to.contain('GRANT rds_iam TO "app";')
      expect(sql).not.to.match(/PASSWORD/i)
    })
  })

  describe('Redis', () => {
    it('lets nobody in as the default user: its only enabled user is the app, with IAM authentication', () => {
      const acme = docs.acme!
      const users = resourcesOf(acme, 'aws_elasticache_user')
      expect(users.cache_disabled_default_user).to.deep.include({
        access_string: 'off -@all',
        user_name: 'default',
      })
      expect(users.cache_app_user).to.deep.include({
        authentication_mode: {type: 'iam'},
        user_id: 'seiketsu-acme-app',
        user_name: 'seiketsu-acme-app',
      })
      expect(
        resourceOf(acme, 'aws_elasticache_replication_group', 'cache_replication_group').user_group_ids,
      ).to.deep.equal(['${aws_elasticache_user_group.cache_user_group.user_group_id}'])
      const [container] = JSON.parse(
        resourceOf(acme, 'aws_ecs_task_definition', 'app_task_definition').container_definitions,
      )
      expect(container.environment).to.deep.include.members([
        {name: 'REDIS_USER', value: 'seiketsu-acme-app'},
        {name: 'REDIS_AUTH', value: 'iam'},
      ])
    })
  })

  describe('the platform stack', () => {
    it('checks CloudTrail trusted access before creating the organization trail, and grants CloudTrail the key as documented', () => {
      const platform = docs.platform!
      const [precondition] = resourceOf(platform, 'aws_cloudtrail', 'trail').lifecycle.precondition
      expect(precondition.condition).to.equal(
        '${contains(tolist(data.aws_organizations_organization.organization.aws_service_access_principals), "cloudtrail.amazonaws.com")}',
      )
      expect(precondition.error_message).to.contain(
        'aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com',
      )
      const statements = statementsOf(resourceOf(platform, 'aws_kms_key', 'trail_key').policy)
      expect(statements.find((statement) => statement.Sid === 'CloudTrailEncryptsLogs')).to.deep.include({
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: {'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:111111111111:trail/seiketsu-organization'},
          StringLike: {'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:111111111111:trail/*'},
        },
      })
      expect(statements.find((statement) => statement.Sid === 'CloudTrailDecryptsWithBucketKey')).to.deep.include({
        Action: 'kms:Decrypt',
      })
    })

    it("creates the domain's zone and the role client stacks delegate through: NS records under the domain, nothing else", () => {
      const platform = docs.platform!
      expect(resourceOf(platform, 'aws_route53_zone', 'zone').name).to.equal('clients.seiketsu.example')
      const statements = rolePolicyStatements(platform, 'aws_iam_role.dns_delegation')
      expect(statements.find((statement) => statement.Sid === 'WriteClientDelegations')).to.deep.equal({
        Action: 'route53:ChangeResourceRecordSets',
        Condition: {
          'ForAllValues:StringEquals': {'route53:ChangeResourceRecordSetsRecordTypes': ['NS']},
          'ForAllValues:StringLike': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*.clients.seiketsu.example'],
          },
        },
        Effect: 'Allow',
        Resource: '${aws_route53_zone.zone.arn}',
        Sid: 'WriteClientDelegations',
      })
    })

    it('uses an existing zone by id (dns.zoneId) instead of creating one', async () => {
      const existing = await makeWorkspace({
        clients: [draftClient('acme', {accountId: '222222222222'})],
        configText: (text) =>
          text.replace('# dns:\n#   zoneId: Z0123456789ABCDEFGHIJ', 'dns:\n  zoneId: Z0EXISTING00000000001'),
      })
      try {
        const stacks = await synthesizeStacks(existing, (await loadRegistry(existing)).clients)
        const read = (id: string) => readStack(stacks.find((stack) => stack.id === id)!.file)
        const [platform, acme] = [await read('platform'), await read('acme')]
        expect(platform.resource).not.to.have.property('aws_route53_zone')
        expect(rolePolicyStatements(platform, 'aws_iam_role.dns_delegation')[0]!.Resource).to.equal(
          'arn:aws:route53:::hostedzone/Z0EXISTING00000000001',
        )
        expect(acme.data).to.equal(undefined)
        expect(resourceOf(acme, 'aws_route53_record', 'edge_delegation').zone_id).to.equal('Z0EXISTING00000000001')
      } finally {
        await removeDir(existing.root)
      }
    })
  })

  describe('bucket names', () => {
    it('carry the account id in a new workspace, and stay as they were in one made before (storage.bucketNames: legacy)', async () => {
      expect(resourceOf(docs.acme!, 'aws_s3_bucket', 'storage_data_bucket').bucket).to.equal(
        'seiketsu-acme-222222222222-data',
      )
      const legacy = await makeWorkspace({
        clients: [draftClient('acme', {accountId: '222222222222'})],
        configText: (text) =>
          text.replace(/\n# Bucket names carry[^\n]*\nstorage:\n {2}bucketNames: account-scoped\n/, '\n'),
      })
      try {
        expect(legacy.config.storage.bucketNames).to.equal('legacy')
        const [, acme] = await synthesizeStacks(legacy, (await loadRegistry(legacy)).clients, {includePlatform: false})
        const doc = await readStack(acme!.file)
        expect(
          listOf(doc, 'aws_s3_bucket')
            .map((bucket) => bucket.bucket)
            .sort(),
        ).to.deep.equal(['seiketsu-acme-alb-logs', 'seiketsu-acme-data', 'seiketsu-acme-data-dr'])
      } finally {
        await removeDir(legacy.root)
      }
    })
  })
})
