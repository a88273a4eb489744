/**
 * Terraform addresses of resources in a client stack, as the constructs' ids produce them. The
 * database user setup looks two of them up in a plan; all of them are where live state already
 * is, so a test keeps every one present in a synthesized stack (renaming one replaces a resource).
 */
export const CLIENT_STACK_ADDRESSES = {
  accessLogBucket: 'aws_s3_bucket.storage_access_logs_bucket',
  alarmTopic: 'aws_sns_topic.observability_alarm_topic',
  backupKey: 'aws_kms_key.keys_backup_key',
  backupKeyAlias: 'aws_kms_alias.keys_backup_alias',
  cache: 'aws_elasticache_replication_group.cache_replication_group',
  cacheAppUser: 'aws_elasticache_user.cache_app_user',
  cluster: 'aws_ecs_cluster.app_cluster',
  dataBucket: 'aws_s3_bucket.storage_data_bucket',
  database: 'aws_db_instance.database_instance',
  databaseBackupReplication: 'aws_db_instance_automated_backups_replication.database_backup_replication',
  databaseParameterGroup: 'aws_db_parameter_group.database_parameter_group',
  databaseSetupTask: 'aws_ecs_task_definition.database_setup_task_definition',
  drBucket: 'aws_s3_bucket.storage_disaster_recovery_bucket',
  httpsListener: 'aws_lb_listener.edge_https_listener',
  jwtSigningKeysSecret: 'aws_secretsmanager_secret.secrets_jwt_signing_keys',
  key: 'aws_kms_key.keys_key',
  keyAlias: 'aws_kms_alias.keys_alias',
  loadBalancer: 'aws_lb.edge_load_balancer',
  queue: 'aws_sqs_queue.app_queue',
  s3Endpoint: 'aws_vpc_endpoint.network_s3_endpoint',
  service: 'aws_ecs_service.app_service',
  taskDefinition: 'aws_ecs_task_definition.app_task_definition',
  vpc: 'aws_vpc.network_vpc',
} as const

/** The Organizations account the platform stack creates for a client that has none. */
export function clientAccountAddress(clientId: string): string {
  return `aws_organizations_account.account-${clientId}`
}
