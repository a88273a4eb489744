import type {KmsKey} from '@cdktf/provider-aws/lib/kms-key/index.js'
import {SecretsmanagerSecret} from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js'
import {Construct} from 'constructs'

import type {IntegrationName} from '../../registry/manifest.ts'
import type {ClientStackModel} from '../model.ts'

/**
 * One Secrets Manager secret per enabled credential-holding integration, plus the client's JWT
 * signing keys; all encrypted with the client key. Terraform creates the containers only: there is
 * deliberately no secret version here, so no value ever reaches the stack, a plan or the state.
 * `seiketsu secrets set` / `rotate-keys` put the values with the AWS SDK.
 */
export class ClientSecrets extends Construct {
  readonly integrations: Partial<Record<IntegrationName, SecretsmanagerSecret>> = {}
  readonly jwtSigningKeys: SecretsmanagerSecret

  constructor(scope: Construct, id: string, model: ClientStackModel, key: KmsKey) {
    super(scope, id)
    for (const secret of model.integrationSecrets)
      this.integrations[secret.integration] = new SecretsmanagerSecret(this, secret.integration, {
        description: `${secret.integration} credentials of client ${model.id} (value set outside Terraform)`,
        kmsKeyId: key.arn,
        name: secret.name,
        recoveryWindowInDays: 30,
      })
    this.jwtSigningKeys = new SecretsmanagerSecret(this, 'jwtSigningKeys', {
      description: `JWT signing key set of client ${model.id} (value set by seiketsu rotate-keys)`,
      kmsKeyId: key.arn,
      name: model.jwtKeysSecretName,
      recoveryWindowInDays: 30,
    })
  }

  /** Every secret, in a stable order. */
  all(): SecretsmanagerSecret[] {
    return [...Object.values(this.integrations), this.jwtSigningKeys]
  }
}
