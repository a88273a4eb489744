/**
 * One entry per AWS resource type seiketsu's stacks create (and the few more the destroy guard must
 * know): whether deleting one loses what cannot be recreated, whether the cost estimate prices it or
 * why it is left out, and which audit domain's rules it belongs with. A type added to a stack is added
 * here: a test fails on any synthesized type this table does not classify.
 */

/** The audit's rule domains (a rule's `domain`). */
export type AuditDomain =
  | 'cache'
  | 'compute'
  | 'database'
  | 'deployability'
  | 'edge'
  | 'fleet'
  | 'iam'
  | 'keys'
  | 'network'
  | 'observability'
  | 'provider'
  | 'scaling'
  | 'secrets'
  | 'security-groups'
  | 'storage'
  | 'trail'

/**
 * What the cost estimate does with a type: prices it (it has a pricing function there), leaves it out
 * because it costs nothing of its own (`free`: why), or leaves out a charge it does not estimate yet
 * (`unpriced`: what AWS charges).
 */
export type ResourceCost = 'priced' | {free: string} | {unpriced: string}

export interface ResourceTypeEntry {
  /**
   * Deleting it loses data or identity that cannot be recreated: a delete (or a replace, which
   * deletes first or after) of one is a destructive change that `provision` refuses unless the
   * operator names its address with --allow-destroy.
   */
  stateful: boolean
  cost: ResourceCost
  audit: AuditDomain
}

const CONFIGURATION = {free: 'configuration of another resource, no charge of its own'}
const IAM = {free: 'IAM has no charge'}
const WITH_LOAD_BALANCER = {free: 'part of its load balancer, priced there'}
const NOT_CREATED = {unpriced: "seiketsu's stacks do not create it: known to the destroy guard only"}

export const RESOURCE_CATALOGUE = {
  aws_acm_certificate: {audit: 'edge', cost: {free: 'public ACM certificates cost nothing'}, stateful: false},
  aws_acm_certificate_validation: {
    audit: 'edge',
    cost: {free: 'a wait inside terraform, not an AWS resource'},
    stateful: false,
  },
  aws_appautoscaling_policy: {
    audit: 'scaling',
    cost: {free: 'Application Auto Scaling has no charge of its own'},
    stateful: false,
  },
  aws_appautoscaling_target: {
    audit: 'scaling',
    cost: {free: 'Application Auto Scaling has no charge of its own'},
    stateful: false,
  },
  aws_backup_vault: {audit: 'storage', cost: NOT_CREATED, stateful: true},
  aws_budgets_budget: {
    audit: 'observability',
    cost: {
      unpriced: 'charged per budget beyond a free allowance, not estimated (one per client, in the platform stack)',
    },
    stateful: false,
  },
  aws_cloudtrail: {
    audit: 'trail',
    cost: {free: 'the first copy of management events is free; its log files are storage of a bucket'},
    stateful: false,
  },
  aws_cloudwatch_log_group: {audit: 'observability', cost: 'priced', stateful: true},
  aws_cloudwatch_metric_alarm: {
    audit: 'observability',
    cost: {unpriced: '$0.10 a month per standard-resolution alarm, not estimated yet'},
    stateful: false,
  },
  aws_db_cluster_snapshot: {audit: 'database', cost: NOT_CREATED, stateful: true},
  aws_db_instance: {audit: 'database', cost: 'priced', stateful: true},
  aws_db_instance_automated_backups_replication: {
    audit: 'database',
    cost: {unpriced: 'backup storage and transfer into the DR region, not estimated'},
    stateful: false,
  },
  aws_db_parameter_group: {audit: 'database', cost: CONFIGURATION, stateful: false},
  aws_db_snapshot: {audit: 'database', cost: NOT_CREATED, stateful: true},
  aws_db_subnet_group: {audit: 'database', cost: CONFIGURATION, stateful: false},
  aws_default_security_group: {audit: 'security-groups', cost: CONFIGURATION, stateful: false},
  aws_dynamodb_table: {audit: 'storage', cost: NOT_CREATED, stateful: true},
  aws_ecr_replication_configuration: {
    audit: 'deployability',
    cost: {unpriced: 'image storage in each destination region, not estimated'},
    stateful: false,
  },
  aws_ecr_repository: {
    audit: 'deployability',
    cost: {unpriced: 'image storage per GB-month, not estimated'},
    stateful: false,
  },
  aws_ecr_repository_creation_template: {audit: 'deployability', cost: CONFIGURATION, stateful: false},
  aws_ecr_repository_policy: {audit: 'iam', cost: CONFIGURATION, stateful: false},
  aws_ecs_cluster: {
    audit: 'compute',
    cost: {free: 'a cluster costs nothing; its tasks are priced with their service'},
    stateful: false,
  },
  aws_ecs_service: {audit: 'compute', cost: 'priced', stateful: false},
  aws_ecs_task_definition: {audit: 'compute', cost: {free: 'priced with the service that runs it'}, stateful: false},
  aws_efs_file_system: {audit: 'storage', cost: NOT_CREATED, stateful: true},
  aws_eip: {audit: 'network', cost: 'priced', stateful: false},
  aws_elasticache_cluster: {audit: 'cache', cost: 'priced', stateful: true},
  aws_elasticache_replication_group: {audit: 'cache', cost: 'priced', stateful: true},
  aws_elasticache_subnet_group: {audit: 'cache', cost: CONFIGURATION, stateful: false},
  aws_elasticache_user: {audit: 'cache', cost: CONFIGURATION, stateful: false},
  aws_elasticache_user_group: {audit: 'cache', cost: CONFIGURATION, stateful: false},
  aws_flow_log: {
    audit: 'network',
    cost: {free: 'its records are ingested into a log group, priced there'},
    stateful: false,
  },
  aws_iam_role: {audit: 'iam', cost: IAM, stateful: false},
  aws_iam_role_policies_exclusive: {audit: 'iam', cost: IAM, stateful: false},
  aws_iam_role_policy: {audit: 'iam', cost: IAM, stateful: false},
  aws_iam_role_policy_attachment: {audit: 'iam', cost: IAM, stateful: false},
  aws_iam_service_linked_role: {audit: 'iam', cost: IAM, stateful: false},
  aws_internet_gateway: {audit: 'network', cost: {free: 'an internet gateway costs nothing'}, stateful: false},
  aws_kms_alias: {audit: 'keys', cost: CONFIGURATION, stateful: false},
  aws_kms_key: {audit: 'keys', cost: 'priced', stateful: true},
  aws_lb: {audit: 'edge', cost: 'priced', stateful: false},
  aws_lb_listener: {audit: 'edge', cost: WITH_LOAD_BALANCER, stateful: false},
  aws_lb_target_group: {audit: 'observability', cost: WITH_LOAD_BALANCER, stateful: false},
  aws_nat_gateway: {audit: 'network', cost: 'priced', stateful: false},
  aws_organizations_account: {
    audit: 'fleet',
    cost: {free: 'an account costs nothing; what runs in it is priced with its stacks'},
    stateful: true,
  },
  aws_rds_cluster: {audit: 'database', cost: NOT_CREATED, stateful: true},
  aws_rds_cluster_instance: {audit: 'database', cost: NOT_CREATED, stateful: true},
  aws_route: {audit: 'network', cost: CONFIGURATION, stateful: false},
  aws_route53_record: {
    audit: 'edge',
    cost: {free: 'records cost nothing; queries are usage, not estimated'},
    stateful: false,
  },
  aws_route53_zone: {
    audit: 'edge',
    cost: {unpriced: '$0.50 a month per hosted zone, not estimated yet'},
    stateful: false,
  },
  aws_route_table: {audit: 'network', cost: CONFIGURATION, stateful: false},
  aws_route_table_association: {audit: 'network', cost: CONFIGURATION, stateful: false},
  aws_s3_bucket: {audit: 'storage', cost: 'priced', stateful: true},
  aws_s3_bucket_lifecycle_configuration: {audit: 'storage', cost: CONFIGURATION, stateful: false},
  aws_s3_bucket_ownership_controls: {audit: 'storage', cost: CONFIGURATION, stateful: false},
  aws_s3_bucket_policy: {audit: 'storage', cost: CONFIGURATION, stateful: false},
  aws_s3_bucket_public_access_block: {audit: 'storage', cost: CONFIGURATION, stateful: false},
  aws_s3_bucket_replication_configuration: {
    audit: 'storage',
    cost: {unpriced: 'transfer of replicated objects to the DR region, not estimated'},
    stateful: false,
  },
  aws_s3_bucket_server_side_encryption_configuration: {audit: 'storage', cost: CONFIGURATION, stateful: false},
  aws_s3_bucket_versioning: {audit: 'storage', cost: CONFIGURATION, stateful: false},
  aws_secretsmanager_secret: {audit: 'secrets', cost: 'priced', stateful: true},
  aws_security_group: {audit: 'security-groups', cost: CONFIGURATION, stateful: false},
  // Stateful: a topic loses its subscriptions, which operators make outside terraform (the alarm
  // topic would then notify nobody).
  aws_sns_topic: {
    audit: 'observability',
    cost: {free: 'billed per request and delivery beyond a monthly free tier; alarm notifications are few'},
    stateful: true,
  },
  aws_sns_topic_policy: {audit: 'iam', cost: CONFIGURATION, stateful: false},
  aws_sns_topic_subscription: {audit: 'observability', cost: CONFIGURATION, stateful: false},
  // Stateful: a queue loses the messages waiting in it (the work queue and its dead-letter queue).
  aws_sqs_queue: {
    audit: 'storage',
    cost: {free: 'billed per request; the first million a month are free'},
    stateful: true,
  },
  aws_subnet: {audit: 'network', cost: CONFIGURATION, stateful: false},
  aws_vpc: {
    audit: 'network',
    cost: {free: 'a VPC costs nothing; its NAT gateways and addresses are priced'},
    stateful: false,
  },
  aws_vpc_endpoint: {
    audit: 'network',
    cost: {free: 'an S3 gateway endpoint costs nothing (the only kind seiketsu creates)'},
    stateful: false,
  },
  aws_vpc_security_group_egress_rule: {audit: 'security-groups', cost: CONFIGURATION, stateful: false},
  aws_vpc_security_group_ingress_rule: {audit: 'security-groups', cost: CONFIGURATION, stateful: false},
} as const satisfies Record<string, ResourceTypeEntry>

type CataloguedResourceType = keyof typeof RESOURCE_CATALOGUE

/** The types the cost estimate prices: each has a pricing function there. */
export type PricedResourceType = {
  [T in CataloguedResourceType]: (typeof RESOURCE_CATALOGUE)[T]['cost'] extends 'priced' ? T : never
}[CataloguedResourceType]

/** The catalogue's entry for a type, when it has one. */
export function resourceTypeEntry(type: string): ResourceTypeEntry | undefined {
  return Object.hasOwn(RESOURCE_CATALOGUE, type) ? RESOURCE_CATALOGUE[type as CataloguedResourceType] : undefined
}
