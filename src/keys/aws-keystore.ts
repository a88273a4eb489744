import {randomUUID} from 'node:crypto'

import {ExitCode, SeiketsuError} from '../errors.ts'
import {clientKeyAlias, jwtKeysSecretName} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {awsCall, awsErrorName} from '../aws/errors.ts'
import type {AwsSession} from '../aws/session.ts'
import type {KeySet} from './key-set.ts'
import {parseKeySet, type KeyStore} from './keystore.ts'

interface CurrentVersion {
  exists: boolean
  versionId?: string
  set?: KeySet
}

/**
 * The key set as a Secrets Manager secret in the client's account (`<platform>/<client>/jwt-signing-keys`),
 * encrypted with the client's KMS key. Each version holds the whole key set: a change is written as
 * AWSPENDING, then AWSCURRENT is moved onto it from the version it was computed from (which Secrets
 * Manager labels AWSPREVIOUS, the set to roll back to). Moving AWSCURRENT names the version it is
 * taken from, so two operators rotating at once cannot both win: the second one fails and changes nothing.
 */
export class SecretsManagerKeyStore implements KeyStore {
  readonly kind = 'aws'
  readonly client: ClientManifest
  readonly platform: string
  readonly secretName: string
  readonly location: string
  private readonly session: AwsSession

  constructor(platform: string, client: ClientManifest, session: AwsSession) {
    this.client = client
    this.platform = platform
    this.session = session
    this.secretName = jwtKeysSecretName(platform, client.id)
    this.location = `Secrets Manager ${this.secretName} (account ${client.accountId ?? 'none'}, ${client.region})`
  }

  private context(operation: string) {
    return {client: this.client.id, operation, region: this.client.region, service: 'Secrets Manager'}
  }

  async load(): Promise<KeySet | undefined> {
    return (await this.readCurrent()).set
  }

  async update<T>(change: (current: KeySet | undefined) => Promise<{set?: KeySet; result: T}>): Promise<T> {
    const current = await this.readCurrent()
    const {result, set} = await change(current.set)
    if (set) await (current.exists ? this.writeVersion(set, current.versionId) : this.create(set))
    return result
  }

  private async readCurrent(): Promise<CurrentVersion> {
    const sdk = await import('@aws-sdk/client-secrets-manager')
    const secrets = await this.session.client('secretsManager', this.client)
    try {
      const response = await awsCall(this.context('GetSecretValue'), () =>
        secrets.send(new sdk.GetSecretValueCommand({SecretId: this.secretName, VersionStage: 'AWSCURRENT'})),
      )
      if (response.SecretString === undefined) return {exists: true, versionId: response.VersionId}
      const set = await parseKeySet(response.SecretString, this.client.id, this.location)
      return {exists: true, set, versionId: response.VersionId}
    } catch (error) {
      if (awsErrorName(error) !== 'ResourceNotFoundException') throw error
    }
    // No current value: either no secret at all, or an empty container (Terraform creates those).
    try {
      await awsCall(this.context('DescribeSecret'), () =>
        secrets.send(new sdk.DescribeSecretCommand({SecretId: this.secretName})),
      )
      return {exists: true}
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return {exists: false}
      throw error
    }
  }

  private async create(set: KeySet): Promise<void> {
    const sdk = await import('@aws-sdk/client-secrets-manager')
    const secrets = await this.session.client('secretsManager', this.client)
    try {
      await awsCall(this.context('CreateSecret'), () =>
        secrets.send(
          new sdk.CreateSecretCommand({
            ClientRequestToken: randomUUID(),
            Description: `JWT signing keys of ${this.client.id}: written by seiketsu (token, rotate-keys); do not edit`,
            KmsKeyId: clientKeyAlias(this.platform, this.client.id),
            Name: this.secretName,
            SecretString: JSON.stringify(set),
            Tags: [
              {Key: 'seiketsu:client', Value: this.client.id},
              {Key: 'seiketsu:managed-by', Value: 'seiketsu'},
            ],
          }),
        ),
      )
    } catch (error) {
      if (awsErrorName(error) === 'ResourceExistsException') throw concurrentChange(this.location)
      throw error
    }
  }

  private async writeVersion(set: KeySet, fromVersionId: string | undefined): Promise<void> {
    const sdk = await import('@aws-sdk/client-secrets-manager')
    const secrets = await this.session.client('secretsManager', this.client)
    const put = await awsCall(this.context('PutSecretValue'), () =>
      secrets.send(
        new sdk.PutSecretValueCommand({
          ClientRequestToken: randomUUID(),
          SecretId: this.secretName,
          SecretString: JSON.stringify(set),
          VersionStages: ['AWSPENDING'],
        }),
      ),
    )
    try {
      await awsCall(this.context('UpdateSecretVersionStage'), () =>
        secrets.send(
          new sdk.UpdateSecretVersionStageCommand({
            MoveToVersionId: put.VersionId,
            RemoveFromVersionId: fromVersionId,
            SecretId: this.secretName,
            VersionStage: 'AWSCURRENT',
          }),
        ),
      )
    } catch (error) {
      // AWSCURRENT is no longer on the version this change was computed from: someone else wrote first.
      if (fromVersionId && awsErrorName(error) === 'InvalidParameterException') throw concurrentChange(this.location)
      throw error
    }
    await awsCall(this.context('UpdateSecretVersionStage'), () =>
      secrets.send(
        new sdk.UpdateSecretVersionStageCommand({
          RemoveFromVersionId: put.VersionId,
          SecretId: this.secretName,
          VersionStage: 'AWSPENDING',
        }),
      ),
    )
  }
}

function concurrentChange(location: string): SeiketsuError {
  return new SeiketsuError(
    `${location} changed while this command was writing it; nothing was changed`,
    ExitCode.Failure,
    {
      code: 'CONCURRENT_CHANGE',
      suggestions: ['Another operator or CI job rotated these keys at the same time; run the command again.'],
    },
  )
}
