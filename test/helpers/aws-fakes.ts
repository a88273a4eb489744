import {randomUUID} from 'node:crypto'

import {
  awsJsonError,
  awsQueryError,
  signedBy,
  startAwsLoopback,
  type AwsCall,
  type AwsReply,
  type JsonHandler,
  type LoopbackService,
} from './aws-loopback.ts'
import {FakeEcs} from './ecs-fake.ts'

/**
 * Stateful stand-ins of STS, KMS, Secrets Manager and ECS (RunTask, DescribeTasks: `ecs-fake.ts`) behind one loopback endpoint, for the real
 * AWS SDK clients. They keep one state per AWS account and region and tell the account from the
 * caller's access key: STS AssumeRole hands out `ASIA<account>…` keys, and KMS / Secrets Manager
 * refuse any other caller, so a call that did not go through the provisioner role fails as it
 * would against AWS. Staging labels, AWSPREVIOUS, compare-and-swap on UpdateSecretVersionStage,
 * pagination, KMS rotation periods and the on-demand limit follow the services' documented rules.
 */

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

export interface FakeClientAccount {
  id: string
  accountId: string
  region: string
  drRegion: string
}

const epoch = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined)

/** Fake temporary credentials of the provisioner role in `accountId`. */
export function assumedAccessKey(accountId: string): string {
  return `ASIA${accountId}FAKE`
}

export class FakeAws {
  readonly kmsKeys: FakeKmsKey[] = []
  readonly ecs = new FakeEcs()
  readonly secrets: FakeSecret[] = []
  readonly assumed: {roleArn: string; sessionName: string; signer?: string}[] = []
  /** Replies served before the real handler, per `<service>:<Operation>` (e.g. `kms:DescribeKey`), first in first out. */
  readonly faults = new Map<string, (AwsReply | {status?: number; xml: string})[]>()
  /** Accounts whose provisioner role refuses the caller. */
  readonly deniedAccounts = new Set<string>()
  onDemandLimit = 25
  /** Services may return fewer results than asked for (with a next token): list pages hold at most this many. */
  pageSize = 100
  /** Milliseconds every KMS / Secrets Manager / ECS answer waits, so concurrent calls overlap. */
  latencyMs = 0
  /** Calls being answered now, and the most ever at once, per `<service>:<Operation>`. */
  readonly inFlight = new Map<string, number>()
  readonly peakInFlight = new Map<string, number>()
  service!: LoopbackService

  static async start(): Promise<FakeAws> {
    const fake = new FakeAws()
    fake.service = await startAwsLoopback({
      json: {
        secretsmanager: fake.withFaults('secretsmanager', fake.secretsHandlers()),
        TrentService: fake.withFaults('kms', fake.kmsHandlers()),
        AmazonEC2ContainerServiceV20141113: fake.withFaults(
          'ecs',
          fake.ecs.handlers((call) => fake.scope(call)),
        ),
      },
      query: {
        AssumeRole: (params, call) => {
          const fault = fake.faults.get('sts:AssumeRole')?.shift()
          if (fault) return fault as {status?: number; xml: string}
          return fake.assumeRole(params, call)
        },
      },
    })
    return fake
  }

  get url(): string {
    return this.service.url
  }

  get calls(): AwsCall[] {
    return this.service.calls
  }

  callsOf(operation: string): AwsCall[] {
    return this.calls.filter((call) => call.operation === operation)
  }

  close(): Promise<void> {
    return this.service.close()
  }

  fail(key: string, ...replies: (AwsReply | {status?: number; xml: string})[]): void {
    this.faults.set(key, [...(this.faults.get(key) ?? []), ...replies])
  }

  /** What the client stack would have created in a client account: both KMS keys, the integration secret containers, the RDS master secret. */
  addClientAccount(
    platform: string,
    client: FakeClientAccount,
    options: {integrations?: string[]; db?: boolean; rotationEnabled?: boolean} = {},
  ): void {
    for (const [alias, region] of [
      [`alias/${platform}/${client.id}`, client.region],
      [`alias/${platform}/${client.id}-backup`, client.drRegion],
    ] as const)
      this.kmsKeys.push({
        accountId: client.accountId,
        aliases: [alias],
        keyId: randomUUID(),
        keySpec: 'SYMMETRIC_DEFAULT',
        keyState: 'Enabled',
        origin: 'AWS_KMS',
        region,
        rotationEnabled: options.rotationEnabled ?? false,
        rotationPeriodInDays: options.rotationEnabled ? 365 : undefined,
        rotations: [],
      })
    for (const integration of options.integrations ?? [])
      this.addSecret({
        accountId: client.accountId,
        name: `${platform}/${client.id}/${integration}`,
        region: client.region,
      })
    if (options.db ?? true) {
      const instanceArn = `arn:aws:rds:${client.region}:${client.accountId}:db:${platform}-${client.id}`
      this.addSecret({
        accountId: client.accountId,
        name: `rds!db-${randomUUID()}`,
        owningService: 'rds',
        region: client.region,
        rotationEnabled: true,
        tags: [{Key: 'aws:rds:primaryDBInstanceArn', Value: instanceArn}],
        value: JSON.stringify({password: 'initial', username: 'postgres'}),
      })
    }
  }

  addSecret(input: {
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

  private withFaults(service: string, handlers: Record<string, JsonHandler>): Record<string, JsonHandler> {
    return Object.fromEntries(
      Object.entries(handlers).map(([operation, handler]) => [
        operation,
        async (body: Record<string, unknown>, call: AwsCall) => {
          const key = `${service}:${operation}`
          const now = (this.inFlight.get(key) ?? 0) + 1
          this.inFlight.set(key, now)
          this.peakInFlight.set(key, Math.max(now, this.peakInFlight.get(key) ?? 0))
          try {
            if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs))
            return (this.faults.get(key)?.shift() as AwsReply | undefined) ?? (await handler(body, call))
          } finally {
            this.inFlight.set(key, this.inFlight.get(key)! - 1)
          }
        },
      ]),
    )
  }

  private assumeRole(params: URLSearchParams, call: AwsCall) {
    const roleArn = params.get('RoleArn') ?? ''
    const sessionName = params.get('RoleSessionName') ?? ''
    const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn)
    if (!match) return awsQueryError('ValidationError', `invalid RoleArn ${roleArn}`)
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) return awsQueryError('ValidationError', 'invalid RoleSessionName')
    const accountId = match[1]!
    if (this.deniedAccounts.has(accountId))
      return awsQueryError(
        'AccessDenied',
        `User: arn:aws:iam::111111111111:user/ops is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      )
    this.assumed.push({roleArn, sessionName, signer: signedBy(call)?.accessKeyId})
    return {
      xml: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${assumedAccessKey(accountId)}</AccessKeyId><SecretAccessKey>fake-secret-${accountId}</SecretAccessKey><SessionToken>fake-session-${accountId}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:${sessionName}</AssumedRoleId><Arn>arn:aws:sts::${accountId}:assumed-role/${match[2]}/${sessionName}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    }
  }

  /** The account and region a call acts in, or the reply refusing a caller that did not assume a role. */
  private scope(call: AwsCall): {accountId: string; region: string} | AwsReply {
    const signer = signedBy(call)
    const match = /^ASIA(\d{12})FAKE$/.exec(signer?.accessKeyId ?? '')
    if (!signer || !match)
      return awsJsonError(
        'AccessDeniedException',
        `${signer?.accessKeyId ?? 'anonymous'} is not a role session of a client account`,
      )
    return {accountId: match[1]!, region: signer.region}
  }

  private kmsHandlers(): Record<string, JsonHandler> {
    const find = (call: AwsCall, keyId: unknown, allowAlias: boolean): FakeKmsKey | AwsReply => {
      const scope = this.scope(call)
      if ('body' in scope) return scope
      const id = String(keyId ?? '')
      if (id.startsWith('alias/') && !allowAlias)
        return awsJsonError('NotFoundException', `Invalid keyId ${id}: aliases are not accepted here`)
      const key = this.kmsKeys.find(
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
    const isReply = (value: unknown): value is AwsReply =>
      typeof value === 'object' && value !== null && 'body' in value
    return {
      DescribeKey: (body, call) => {
        const key = find(call, body.KeyId, true)
        if (isReply(key)) return key
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
        const key = find(call, body.KeyId, false)
        if (isReply(key)) return key
        const period = (body.RotationPeriodInDays as number | undefined) ?? 365
        if (period < 90 || period > 2560)
          return awsJsonError('ValidationException', 'RotationPeriodInDays must be between 90 and 2560')
        key.rotationEnabled = true
        key.rotationPeriodInDays = period
        return {body: {}}
      },
      GetKeyRotationStatus: (body, call) => {
        const key = find(call, body.KeyId, false)
        if (isReply(key)) return key
        const next = key.rotationEnabled
          ? new Date(Date.UTC(2027, 0, 1) + (key.rotationPeriodInDays ?? 365) * 86_400_000)
          : undefined
        return {
          body: {
            KeyId: key.keyId,
            KeyRotationEnabled: key.rotationEnabled,
            NextRotationDate: epoch(next),
            OnDemandRotationStartDate: epoch(key.onDemandStart),
            RotationPeriodInDays: key.rotationEnabled ? key.rotationPeriodInDays : undefined,
          },
        }
      },
      ListKeyRotations: (body, call) => {
        const key = find(call, body.KeyId, false)
        if (isReply(key)) return key
        const limit = Math.min(Number(body.Limit ?? 100), this.pageSize)
        const start = Number(body.Marker ?? 0)
        const page = key.rotations.slice(start, start + limit)
        const truncated = start + limit < key.rotations.length
        return {
          body: {
            NextMarker: truncated ? String(start + limit) : undefined,
            Rotations: page.map((rotation) => ({
              KeyId: key.keyId,
              RotationDate: epoch(rotation.date),
              RotationType: rotation.type,
            })),
            Truncated: truncated,
          },
        }
      },
      RotateKeyOnDemand: (body, call) => {
        const key = find(call, body.KeyId, false)
        if (isReply(key)) return key
        if (key.rotations.filter((rotation) => rotation.type === 'ON_DEMAND').length >= this.onDemandLimit)
          return awsJsonError('LimitExceededException', 'The on-demand rotation limit for this key has been reached.')
        key.rotations.push({date: new Date(), type: 'ON_DEMAND'})
        return {body: {KeyId: key.keyId}}
      },
    }
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

  private secretsHandlers(): Record<string, JsonHandler> {
    const find = (call: AwsCall, secretId: unknown): FakeSecret | AwsReply => {
      const scope = this.scope(call)
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
    const isReply = (value: unknown): value is AwsReply =>
      typeof value === 'object' && value !== null && 'body' in value
    return {
      CreateSecret: (body, call) => {
        const scope = this.scope(call)
        if ('body' in scope) return scope
        const name = String(body.Name)
        if (this.secret(scope.accountId, name))
          return awsJsonError('ResourceExistsException', `The secret ${name} already exists.`)
        const secret = this.addSecret({
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
        if (isReply(secret)) return secret
        return {
          body: {
            ARN: secret.arn,
            DeletedDate: epoch(secret.deletedDate),
            KmsKeyId: secret.kmsKeyId,
            LastChangedDate: epoch(secret.lastChangedDate),
            LastRotatedDate: epoch(secret.lastRotatedDate),
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
        if (isReply(secret)) return secret
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
            CreatedDate: epoch(version.created),
            Name: secret.name,
            SecretString: version.value,
            VersionId: version.id,
            VersionStages: version.stages,
          },
        }
      },
      ListSecrets: (body, call) => {
        const scope = this.scope(call)
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
        const size = Math.min(Number(body.MaxResults ?? 100), this.pageSize)
        const start = Number(body.NextToken ?? 0)
        const page = matching.slice(start, start + size)
        return {
          body: {
            NextToken: start + size < matching.length ? String(start + size) : undefined,
            SecretList: page.map((secret) => ({
              ARN: secret.arn,
              LastRotatedDate: epoch(secret.lastRotatedDate),
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
        if (isReply(secret)) return secret
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
        if (isReply(secret)) return secret
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
        if (isReply(secret)) return secret
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
