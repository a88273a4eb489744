import type {ECSClient} from '@aws-sdk/client-ecs'
import type {KMSClient} from '@aws-sdk/client-kms'
import type {SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {ExitCode, SeiketsuError, usageError} from '../errors.ts'
import {PROVISIONER_ROLE, provisionerRoleArn, provisionerSessionName} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'

/**
 * AWS access of the key commands. Calls to a client's resources go to the client's own account
 * through the provisioner role (STS AssumeRole), starting from the SDK's standard credential chain
 * (or `--profile`). Endpoints follow the SDK's own overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS,
 * _SECRETS_MANAGER, _ECS, _STS) or `--endpoint-url`. Retries are bounded (`maxAttempts`). SDK clients are
 * imported only when a command really talks to AWS.
 */
export interface AwsOptions {
  /** A profile of the shared config/credentials files for the management-side credentials. */
  profile?: string
  /** Region of the STS calls (default: the workspace region). Client resources stay in the client's regions. */
  region?: string
  /** One endpoint for every service (tests, LocalStack); the per-service AWS_ENDPOINT_URL_* variables also work. */
  endpointUrl?: string
  /** Attempts per call, retries included (default 3). */
  maxAttempts?: number
}

interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** A client without an AWS account has nothing on AWS yet: exit 2, saying what that rules out and how to record the account. */
export function noAccountError(clientId: string, consequence: string): SeiketsuError {
  return usageError(`Client ${clientId} has no AWS account yet (accountId is null): ${consequence}`, {
    code: 'NO_ACCOUNT',
    suggestions: [
      `Once the platform stack has created it: seiketsu clients update ${clientId} --account-id ACCOUNT_ID`,
    ],
  })
}

/** Where a call went, for error messages. */
export interface AwsCallContext {
  service: string
  operation: string
  client?: string
  region?: string
}

/** The SDK's error shape, as much of it as the messages need. */
interface SdkError extends Error {
  $metadata?: {httpStatusCode?: number; requestId?: string; attempts?: number}
  Code?: string
}

/** Any AWS failure as exit 4, with the service's own error name and message and what to check. */
export function awsFailure(error: unknown, context: AwsCallContext): SeiketsuError {
  if (error instanceof SeiketsuError) return error
  const sdk = error as SdkError
  const where = [context.client ? `client ${context.client}` : undefined, context.region].filter(Boolean).join(', ')
  const name = sdk.name && sdk.name !== 'Error' ? sdk.name : (sdk.Code ?? 'Error')
  const reached = sdk.$metadata?.httpStatusCode !== undefined
  const message = reached
    ? `${context.service} ${context.operation} failed${where ? ` (${where})` : ''}: ${name}: ${sdk.message}`
    : `${context.service} ${context.operation} could not reach AWS${where ? ` (${where})` : ''}: ${sdk.message}`
  const suggestions: string[] = []
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name))
    suggestions.push(
      context.service === 'STS'
        ? `Check that the ${PROVISIONER_ROLE} role exists in the client account and trusts the caller (seiketsu provision creates it).`
        : `Check that the ${PROVISIONER_ROLE} role may call ${context.operation}.`,
    )
  if (/ExpiredToken|InvalidClientTokenId|UnrecognizedClient|CredentialsProviderError/i.test(`${name} ${sdk.message}`))
    suggestions.push('Refresh your AWS credentials (aws sso login, or --profile NAME).')
  if (!reached) suggestions.push('Check the network, --region and --endpoint-url / AWS_ENDPOINT_URL.')
  return new SeiketsuError(message, ExitCode.External, {
    cause: error,
    code: 'AWS_ERROR',
    details: {
      attempts: sdk.$metadata?.attempts,
      awsError: name,
      client: context.client,
      operation: context.operation,
      region: context.region,
      requestId: sdk.$metadata?.requestId,
      service: context.service,
      status: sdk.$metadata?.httpStatusCode,
    },
    suggestions,
  })
}

/** Runs one AWS call, turning any failure into exit 4 with the service's message. */
export async function awsCall<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw awsFailure(error, context)
  }
}

/** The SDK error name of a failure awsCall wrapped (e.g. ResourceNotFoundException). */
export function awsErrorName(error: unknown): string | undefined {
  if (error instanceof SeiketsuError) return (error.details as {awsError?: string} | undefined)?.awsError
  return (error as SdkError | undefined)?.name
}

/**
 * One per command run: assumes the provisioner role once per client account and hands out SDK
 * clients signed with those temporary credentials.
 */
export class AwsSession {
  readonly options: AwsOptions
  readonly defaultRegion: string
  readonly purpose: string
  private readonly assumed = new Map<string, Promise<Credentials>>()
  private readonly sdkClients = new Map<string, Promise<{destroy(): void}>>()

  constructor(options: AwsOptions, defaultRegion: string, purpose: string) {
    this.options = options
    this.defaultRegion = defaultRegion
    this.purpose = purpose
  }

  private common(region: string) {
    return {
      ...(this.options.endpointUrl ? {endpoint: this.options.endpointUrl} : {}),
      maxAttempts: this.options.maxAttempts ?? 3,
      region,
    }
  }

  /** Temporary credentials of the provisioner role in the client's account. */
  credentialsFor(client: ClientManifest): Promise<Credentials> {
    const accountId = client.accountId
    if (!accountId) throw noAccountError(client.id, 'there is no account to assume a role in')
    let credentials = this.assumed.get(accountId)
    if (!credentials) {
      credentials = this.assumeRole(client, accountId)
      this.assumed.set(accountId, credentials)
      credentials.catch(() => this.assumed.delete(accountId))
    }
    return credentials
  }

  private async assumeRole(client: ClientManifest, accountId: string): Promise<Credentials> {
    const {AssumeRoleCommand, STSClient} = await import('@aws-sdk/client-sts')
    const region = this.options.region ?? this.defaultRegion
    const sts = new STSClient({
      ...this.common(region),
      ...(this.options.profile ? {profile: this.options.profile} : {}),
    })
    try {
      const response = await awsCall({client: client.id, operation: 'AssumeRole', region, service: 'STS'}, () =>
        sts.send(
          new AssumeRoleCommand({
            DurationSeconds: 3600,
            RoleArn: provisionerRoleArn(accountId),
            RoleSessionName: provisionerSessionName(this.purpose, client.id),
          }),
        ),
      )
      const issued = response.Credentials
      if (!issued?.AccessKeyId || !issued.SecretAccessKey)
        throw awsFailure(new Error('the response carried no credentials'), {
          client: client.id,
          operation: 'AssumeRole',
          region,
          service: 'STS',
        })
      return {
        accessKeyId: issued.AccessKeyId,
        expiration: issued.Expiration,
        secretAccessKey: issued.SecretAccessKey,
        sessionToken: issued.SessionToken,
      }
    } finally {
      sts.destroy()
    }
  }

  kms(client: ClientManifest, region: string): Promise<KMSClient> {
    return this.cached(`kms ${client.id} ${region}`, async () => {
      const {KMSClient} = await import('@aws-sdk/client-kms')
      return new KMSClient({...this.common(region), credentials: await this.credentialsFor(client)})
    })
  }

  secretsManager(client: ClientManifest, region = client.region): Promise<SecretsManagerClient> {
    return this.cached(`secretsmanager ${client.id} ${region}`, async () => {
      const {SecretsManagerClient} = await import('@aws-sdk/client-secrets-manager')
      return new SecretsManagerClient({...this.common(region), credentials: await this.credentialsFor(client)})
    })
  }

  ecs(client: ClientManifest, region = client.region): Promise<ECSClient> {
    return this.cached(`ecs ${client.id} ${region}`, async () => {
      const {ECSClient} = await import('@aws-sdk/client-ecs')
      return new ECSClient({...this.common(region), credentials: await this.credentialsFor(client)})
    })
  }

  /** Closes the SDK clients' connections. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled(this.sdkClients.values())
    for (const client of clients) if (client.status === 'fulfilled') client.value.destroy()
    this.sdkClients.clear()
  }

  private cached<C extends {destroy(): void}>(key: string, create: () => Promise<C>): Promise<C> {
    let client = this.sdkClients.get(key) as Promise<C> | undefined
    if (!client) {
      client = create()
      this.sdkClients.set(key, client)
      client.catch(() => this.sdkClients.delete(key))
    }
    return client
  }
}
