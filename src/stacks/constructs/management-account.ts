import {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import type {Construct} from 'constructs'

import type {PlatformStackModel} from '../model.ts'
import {policyDocument, type PolicyStatement} from '../policy.ts'

/** What every provider of the platform stack needs: the one account it may touch, and the tags it applies. */
export type ManagementAccount = Pick<PlatformStackModel, 'managementAccountId' | 'tags'>

/** A provider that refuses every account but the management account; an alias for any region but the platform's. */
export function managementProvider(
  scope: Construct,
  id: string,
  account: ManagementAccount,
  options: {region: string; alias?: string},
): AwsProvider {
  return new AwsProvider(scope, id, {
    alias: options.alias,
    allowedAccountIds: [account.managementAccountId],
    defaultTags: [{tags: account.tags}],
    region: options.region,
  })
}

export function managementRoot(managementAccountId: string): string {
  return `arn:aws:iam::${managementAccountId}:root`
}

export function managementRoleArn(managementAccountId: string, role: string): string {
  return `arn:aws:iam::${managementAccountId}:role/${role}`
}

/**
 * A key of the platform stack, rotated yearly and kept 30 days once scheduled for deletion: the
 * management account administers it, `statements` let AWS services use it.
 */
export function managementKey(
  scope: Construct,
  id: string,
  props: {managementAccountId: string; description: string; statements?: PolicyStatement[]; provider?: AwsProvider},
): KmsKey {
  return new KmsKey(scope, id, {
    deletionWindowInDays: 30,
    description: props.description,
    enableKeyRotation: true,
    policy: policyDocument([
      {
        Action: 'kms:*',
        Principal: {AWS: managementRoot(props.managementAccountId)},
        Resource: '*',
        Sid: 'ManagementAccountAdministersKey',
      },
      ...(props.statements ?? []),
    ]),
    provider: props.provider,
  })
}
