import {awsJsonError, epochSeconds, isAwsReply, type AwsCall, type AwsReply, type JsonHandler} from './protocol.ts'
import {callerScope} from './sts.ts'

/**
 * KMS (JSON 1.1, `X-Amz-Target: TrentService.<Op>`), per account and region: DescribeKey by id or
 * alias, key rotation (EnableKeyRotation with its 90–2560 day period, GetKeyRotationStatus,
 * ListKeyRotations paged by Marker, RotateKeyOnDemand up to the on-demand limit). Only a role
 * session of the key's account may call it.
 */

export const KMS_TARGET = 'TrentService'

export interface FakeKmsKey {
  keyId: string
  accountId: string
  region: string
  aliases: string[]
  keyState: string
  keySpec: string
  origin: string
  rotationEnabled: boolean
  rotationPeriodInDays?: number
  rotations: {type: 'AUTOMATIC' | 'ON_DEMAND'; date: Date}[]
  onDemandStart?: Date
}

export class FakeKms {
  readonly keys: FakeKmsKey[] = []
  onDemandLimit = 25
  /** The most a list page holds, whatever the caller asks. */
  private readonly pageSize: () => number

  constructor(pageSize: () => number) {
    this.pageSize = pageSize
  }

  handlers(): Record<string, JsonHandler> {
    return {
      DescribeKey: (body, call) => {
        const key = this.find(call, body.KeyId, true)
        if (isAwsReply(key)) return key
        return {
          body: {
            KeyMetadata: {
              Arn: `arn:aws:kms:${key.region}:${key.accountId}:key/${key.keyId}`,
              AWSAccountId: key.accountId,
              Enabled: key.keyState === 'Enabled',
              KeyId: key.keyId,
              KeyManager: 'CUSTOMER',
              KeySpec: key.keySpec,
              KeyState: key.keyState,
              KeyUsage: 'ENCRYPT_DECRYPT',
              Origin: key.origin,
            },
          },
        }
      },
      EnableKeyRotation: (body, call) => {
        const key = this.find(call, body.KeyId, false)
        if (isAwsReply(key)) return key
        const period = (body.RotationPeriodInDays as number | undefined) ?? 365
        if (period < 90 || period > 2560)
          return awsJsonError('ValidationException', 'RotationPeriodInDays must be between 90 and 2560')
        key.rotationEnabled = true
        key.rotationPeriodInDays = period
        return {body: {}}
      },
      GetKeyRotationStatus: (body, call) => {
        const key = this.find(call, body.KeyId, false)
        if (isAwsReply(key)) return key
        const next = key.rotationEnabled
          ? new Date(Date.UTC(2027, 0, 1) + (key.rotationPeriodInDays ?? 365) * 86_400_000)
          : undefined
        return {
          body: {
            KeyId: key.keyId,
            KeyRotationEnabled: key.rotationEnabled,
            NextRotationDate: epochSeconds(next),
            OnDemandRotationStartDate: epochSeconds(key.onDemandStart),
            RotationPeriodInDays: key.rotationEnabled ? key.rotationPeriodInDays : undefined,
          },
        }
      },
      ListKeyRotations: (body, call) => {
        const key = this.find(call, body.KeyId, false)
        if (isAwsReply(key)) return key
        const limit = Math.min(Number(body.Limit ?? 100), this.pageSize())
        const start = Number(body.Marker ?? 0)
        const page = key.rotations.slice(start, start + limit)
        const truncated = start + limit < key.rotations.length
        return {
          body: {
            NextMarker: truncated ? String(start + limit) : undefined,
            Rotations: page.map((rotation) => ({
              KeyId: key.keyId,
              RotationDate: epochSeconds(rotation.date),
              RotationType: rotation.type,
            })),
            Truncated: truncated,
          },
        }
      },
      RotateKeyOnDemand: (body, call) => {
        const key = this.find(call, body.KeyId, false)
        if (isAwsReply(key)) return key
        if (key.rotations.filter((rotation) => rotation.type === 'ON_DEMAND').length >= this.onDemandLimit)
          return awsJsonError('LimitExceededException', 'The on-demand rotation limit for this key has been reached.')
        key.rotations.push({date: new Date(), type: 'ON_DEMAND'})
        return {body: {KeyId: key.keyId}}
      },
    }
  }

  private find(call: AwsCall, keyId: unknown, allowAlias: boolean): FakeKmsKey | AwsReply {
    const scope = callerScope(call)
    if ('body' in scope) return scope
    const id = String(keyId ?? '')
    if (id.startsWith('alias/') && !allowAlias)
      return awsJsonError('NotFoundException', `Invalid keyId ${id}: aliases are not accepted here`)
    const key = this.keys.find(
      (candidate) =>
        candidate.accountId === scope.accountId &&
        candidate.region === scope.region &&
        (candidate.keyId === id || candidate.aliases.includes(id)),
    )
    return (
      key ??
      awsJsonError('NotFoundException', `Alias arn:aws:kms:${scope.region}:${scope.accountId}:${id} is not found.`)
    )
  }
}
