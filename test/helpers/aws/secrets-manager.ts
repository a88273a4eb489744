import {randomUUID} from 'node:crypto'

import {awsJsonError, epochSeconds, isAwsReply, type AwsCall, type AwsReply, type JsonHandler} from './protocol.ts'
import {callerScope} from './sts.ts'

/**
 * Secrets Manager (JSON 1.1, `X-Amz-Target: secretsmanager.<Op>`), per account and region:
 * secrets with versions and staging labels (moving AWSCURRENT leaves AWSPREVIOUS behind;
 * UpdateSecretVersionStage is a compare-and-swap on RemoveFromVersionId), ListSecrets filters and
 * pages, managed rotation (RotateSecret writes a new AWSCURRENT), a recovery window (DeletedDate).
 * Only a role session of the secret's account may call it.
 */

export const SECRETS_MANAGER_TARGET = 'secretsmanager'

export interface FakeSecretVersion {
  id: string
  value?: string
  stages: string[]
  created: Date
}

export interface FakeSecret {
  accountId: string
  region: string
  name: string
  arn: string
  kmsKeyId?: string
  description?: string
  tags: {Key: string; Value: string}[]
  owningService?: string
  rotationEnabled: boolean
  versions: FakeSecretVersion[]
  lastChangedDate?: Date
  lastRotatedDate?: Date
  /** Scheduled for deletion (DeleteSecret with a recovery window): DescribeSecret still answers, with DeletedDate. */
  deletedDate?: Date
}

export class FakeSecretsManager {
  readonly secrets: FakeSecret[] = []
  /** The most a list page holds, whatever the caller asks. */
  private readonly pageSize: () => number

  constructor(pageSize: () => number) {
    this.pageSize = pageSize
  }

  add(input: {
    accountId: string
    region: string
    name: string
    value?: string
    tags?: {Key: string; Value: string}[]
    owningService?: string
    rotationEnabled?: boolean
    kmsKeyId?: string
  }): FakeSecret {
    const secret: FakeSecret = {
      accountId: input.accountId,
      arn: `arn:aws:secretsmanager:${input.region}:${input.accountId}:secret:${input.name}-${randomUUID().slice(0, 6)}`,
      kmsKeyId: input.kmsKeyId,
      name: input.name,
      owningService: input.owningService,
      region: input.region,
      rotationEnabled: input.rotationEnabled ?? false,
      tags: input.tags ?? [],
      versions: [],
    }
    if (input.value !== undefined) this.putVersion(secret, input.value, randomUUID(), ['AWSCURRENT'])
    this.secrets.push(secret)
    return secret
  }

  /** A secret by name in an account, for assertions. */
  secret(accountId: string, name: string): FakeSecret | undefined {
    return this.secrets.find((secret) => secret.accountId === accountId && secret.name === name)
  }

  staged(secret: FakeSecret, stage: string): FakeSecretVersion | undefined {
    return secret.versions.find((version) => version.stages.includes(stage))
  }

  private putVersion(secret: FakeSecret, value: string | undefined, id: string, stages: string[]): FakeSecretVersion {
    const version: FakeSecretVersion = {created: new Date(), id, stages: [], value}
    secret.versions.push(version)
    for (const stage of stages) this.moveStage(secret, stage, version)
    secret.lastChangedDate = new Date()
    return version
  }

  /** Moves a label onto a version; moving AWSCURRENT puts AWSPREVIOUS on the version that had it. */
  private moveStage(secret: FakeSecret, stage: string, to: FakeSecretVersion): void {
    const from = this.staged(secret, stage)
    if (from === to) return
    if (from) from.stages = from.stages.filter((label) => label !== stage)
    if (stage === 'AWSCURRENT' && from) {
      for (const version of secret.versions) version.stages = version.stages.filter((label) => label !== 'AWSPREVIOUS')
      from.stages.push('AWSPREVIOUS')
    }
    to.stages.push(stage)
  }

  handlers(): Record<string, JsonHandler> {
    const find = (call: AwsCall, secretId: unknown): FakeSecret | AwsReply => {
      const scope = callerScope(call)
      if ('body' in scope) return scope
      const id = String(secretId ?? '')
      const secret = this.secrets.find(
        (candidate) =>
          candidate.accountId === scope.accountId &&
          candidate.region === scope.region &&
          (candidate.name === id || candidate.arn === id),
      )
      return secret ?? awsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.")
    }
    return {
      CreateSecret: (body, call) => {
        const scope = callerScope(call)
        if ('body' in scope) return scope
        const name = String(body.Name)
        if (this.secret(scope.accountId, name))
          return awsJsonError('ResourceExistsException', `The secret ${name} already exists.`)
        const secret = this.add({
          accountId: scope.accountId,
          kmsKeyId: body.KmsKeyId as string | undefined,
          name,
          region: scope.region,
          tags: (body.Tags as {Key: string; Value: string}[] | undefined) ?? [],
        })
        secret.description = body.Description as string | undefined
        const version = this.putVersion(
          secret,
          body.SecretString as string,
          String(body.ClientRequestToken ?? randomUUID()),
          ['AWSCURRENT'],
        )
        return {body: {ARN: secret.arn, Name: secret.name, VersionId: version.id}}
      },
      DescribeSecret: (body, call) => {
        const secret = find(call, body.SecretId)
        if (isAwsReply(secret)) return secret
        return {
          body: {
            ARN: secret.arn,
            DeletedDate: epochSeconds(secret.deletedDate),
            KmsKeyId: secret.kmsKeyId,
            LastChangedDate: epochSeconds(secret.lastChangedDate),
            LastRotatedDate: epochSeconds(secret.lastRotatedDate),
            Name: secret.name,
            OwningService: secret.owningService,
            RotationEnabled: secret.rotationEnabled,
            Tags: secret.tags,
            VersionIdsToStages: Object.fromEntries(
              secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, v.stages]),
            ),
          },
        }
      },
      GetSecretValue: (body, call) => {
        const secret = find(call, body.SecretId)
        if (isAwsReply(secret)) return secret
        const stage = String(body.VersionStage ?? 'AWSCURRENT')
        const version = body.VersionId
          ? secret.versions.find((v) => v.id === body.VersionId)
          : this.staged(secret, stage)
        if (!version || version.value === undefined)
          return awsJsonError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          )
        return {
          body: {
            ARN: secret.arn,
            CreatedDate: epochSeconds(version.created),
            Name: secret.name,
            SecretString: version.value,
            VersionId: version.id,
            VersionStages: version.stages,
          },
        }
      },
      ListSecrets: (body, call) => {
        const scope = callerScope(call)
        if ('body' in scope) return scope
        const filters = (body.Filters as {Key: string; Values: string[]}[] | undefined) ?? []
        const matching = this.secrets.filter(
          (secret) =>
            secret.accountId === scope.accountId &&
            secret.region === scope.region &&
            filters.every((filter) => {
              if (filter.Key === 'owning-service')
                return filter.Values.some((value) => secret.owningService?.startsWith(value))
              if (filter.Key === 'tag-key')
                return filter.Values.some((value) => secret.tags.some((tag) => tag.Key.startsWith(value)))
              if (filter.Key === 'name') return filter.Values.some((value) => secret.name.startsWith(value))
              return false
            }),
        )
        const size = Math.min(Number(body.MaxResults ?? 100), this.pageSize())
        const start = Number(body.NextToken ?? 0)
        const page = matching.slice(start, start + size)
        return {
          body: {
            NextToken: start + size < matching.length ? String(start + size) : undefined,
            SecretList: page.map((secret) => ({
              ARN: secret.arn,
              LastRotatedDate: epochSeconds(secret.lastRotatedDate),
              Name: secret.name,
              OwningService: secret.owningService,
              RotationEnabled: secret.rotationEnabled,
              Tags: secret.tags,
            })),
          },
        }
      },
      PutSecretValue: (body, call) => {
        const secret = find(call, body.SecretId)
        if (isAwsReply(secret)) return secret
        const stages = (body.VersionStages as string[] | undefined) ?? ['AWSCURRENT']
        const version = this.putVersion(
          secret,
          body.SecretString as string,
          String(body.ClientRequestToken ?? randomUUID()),
          stages,
        )
        return {body: {ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: version.stages}}
      },
      RotateSecret: (body, call) => {
        const secret = find(call, body.SecretId)
        if (isAwsReply(secret)) return secret
        if (!secret.rotationEnabled && !body.RotationLambdaARN && !body.RotationRules)
          return awsJsonError('InvalidRequestException', 'No rotation is configured for this secret.')
        // Managed rotation: the service writes the new password as the new AWSCURRENT.
        const version = this.putVersion(
          secret,
          JSON.stringify({password: randomUUID(), username: 'postgres'}),
          String(body.ClientRequestToken ?? randomUUID()),
          ['AWSCURRENT'],
        )
        secret.lastRotatedDate = new Date()
        return {body: {ARN: secret.arn, Name: secret.name, VersionId: version.id}}
      },
      UpdateSecretVersionStage: (body, call) => {
        const secret = find(call, body.SecretId)
        if (isAwsReply(secret)) return secret
        const stage = String(body.VersionStage)
        const holder = this.staged(secret, stage)
        const moveTo = body.MoveToVersionId ? secret.versions.find((v) => v.id === body.MoveToVersionId) : undefined
        if (body.MoveToVersionId && !moveTo) return awsJsonError('ResourceNotFoundException', 'no such version')
        if (holder && holder !== moveTo && body.RemoveFromVersionId !== holder.id)
          return awsJsonError(
            'InvalidParameterException',
            `The staging label ${stage} is currently attached to version ${holder.id}; you must specify it in RemoveFromVersionId.`,
          )
        if (moveTo) this.moveStage(secret, stage, moveTo)
        else if (holder) holder.stages = holder.stages.filter((label) => label !== stage)
        return {body: {ARN: secret.arn, Name: secret.name}}
      },
    }
  }
}
