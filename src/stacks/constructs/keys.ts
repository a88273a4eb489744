import {KmsAlias} from '@cdktf/provider-aws/lib/kms-alias/index.js'
import {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import type {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import {Construct} from 'constructs'

import type {ClientStackModel} from '../model.ts'
import {policyDocument, type PolicyStatement} from '../policy.ts'

/**
 * The client's customer-managed key (everything at rest in the client region) and a separate key
 * in the DR region for the copies there (RDS backups, replicated objects). Rotation on for both;
 * the key policies name only the client's own account (plus AWS services acting for it).
 */
export class ClientKeys extends Construct {
  readonly key: KmsKey
  readonly alias: KmsAlias
  readonly backupKey: KmsKey
  readonly backupAlias: KmsAlias

  constructor(scope: Construct, id: string, model: ClientStackModel, drProvider: AwsProvider) {
    super(scope, id)
    const {account, arns, names, region} = model
    const accountCondition = {StringEquals: {'aws:SourceAccount': account.id}}
    const rootStatement: PolicyStatement = {
      Action: 'kms:*',
      Principal: {AWS: arns.accountRoot},
      Resource: '*',
      Sid: 'ClientAccountAdministersKey',
    }
    this.key = new KmsKey(this, 'key', {
      deletionWindowInDays: 30,
      description: `${names.prefix}: data at rest of client ${model.id}`,
      enableKeyRotation: true,
      rotationPeriodInDays: model.keyRotationDays,
      policy: policyDocument([
        rootStatement,
        {
          Action: [
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:GenerateDataKey',
            'kms:DescribeKey',
          ],
          Condition: {
            ArnEquals: {
              'kms:EncryptionContext:aws:logs:arn': [
                arns.appLogGroup,
                arns.flowLogGroup,
                arns.databaseLogGroup,
                arns.cacheLogGroup,
                arns.containerInsightsLogGroup,
                arns.databaseSetupLogGroup,
              ],
            },
          },
          Principal: {Service: `logs.${region}.amazonaws.com`},
          Resource: '*',
          Sid: 'CloudWatchLogsEncryptsClientLogGroups',
        },
        {
          // Alarms publish to the client's encrypted SNS topic (budgets live in the management account).
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: accountCondition,
          Principal: {Service: 'cloudwatch.amazonaws.com'},
          Resource: '*',
          Sid: 'AlarmsPublishToEncryptedTopic',
        },
      ]),
    })
    this.alias = new KmsAlias(this, 'alias', {name: names.keyAlias, targetKeyId: this.key.keyId})
    this.backupKey = new KmsKey(this, 'backupKey', {
      deletionWindowInDays: 30,
      description: `${names.prefix}: backups of client ${model.id} in ${model.drRegion}`,
      enableKeyRotation: true,
      rotationPeriodInDays: model.keyRotationDays,
      policy: policyDocument([rootStatement]),
      provider: drProvider,
    })
    this.backupAlias = new KmsAlias(this, 'backupAlias', {
      name: names.backupKeyAlias,
      provider: drProvider,
      targetKeyId: this.backupKey.keyId,
    })
  }
}
