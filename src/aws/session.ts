import {provisionerRoleArn, provisionerSessionName} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import {createAwsClient, type AwsClient, type AwsCredentials, type AwsOptions, type AwsServiceName} from './clients.ts'
import {awsCall, awsFailure, noAccountError} from './errors.ts'

/**
 * One per command run. Calls to a client's resources go to the client's own account through the
 * provisioner role (STS AssumeRole), starting from the SDK's standard credential chain (or
 * `--profile`): the role is assumed once per account, and each service gets one SDK client per
 * account and region, signed with those temporary credentials.
 */
export class AwsSession {
  private readonly options: AwsOptions
  private readonly defaultRegion: string
  private readonly purpose: string
  /** Temporary credentials, by role ARN. */
  private readonly assumed = new Map<string, Promise<AwsCredentials>>()
  private readonly sdkClients = new Map<string, Promise<{destroy(): void}>>()

  constructor(options: AwsOptions, defaultRegion: string, purpose: string) {
    this.options = options
    this.defaultRegion = defaultRegion
    this.purpose = purpose
  }

  /** The SDK client of `service` in the client's account and `region`, signed as the provisioner role. */
  async client<S extends AwsServiceName>(
    service: S,
    client: ClientManifest,
    region = client.region,
  ): Promise<AwsClient<S>> {
    const key = `${service} ${client.accountId} ${region}`
    let sdkClient = this.sdkClients.get(key) as Promise<AwsClient<S>> | undefined
    if (!sdkClient) {
      sdkClient = this.credentialsFor(client).then((credentials) =>
        createAwsClient(service, this.options, region, credentials),
      )
      this.sdkClients.set(key, sdkClient)
      sdkClient.catch(() => this.sdkClients.delete(key))
    }
    return sdkClient
  }

  /** Closes the SDK clients' connections. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled(this.sdkClients.values())
    for (const client of clients) if (client.status === 'fulfilled') client.value.destroy()
    this.sdkClients.clear()
  }

  /** Temporary credentials of the provisioner role in the client's account. */
  private async credentialsFor(client: ClientManifest): Promise<AwsCredentials> {
    const accountId = client.accountId
    if (!accountId) throw noAccountError(client.id, 'there is no account to assume a role in')
    const roleArn = provisionerRoleArn(accountId)
    let credentials = this.assumed.get(roleArn)
    if (!credentials) {
      credentials = this.assumeRole(client, roleArn)
      this.assumed.set(roleArn, credentials)
      credentials.catch(() => this.assumed.delete(roleArn))
    }
    return credentials
  }

  private async assumeRole(client: ClientManifest, roleArn: string): Promise<AwsCredentials> {
    const {AssumeRoleCommand} = await import('@aws-sdk/client-sts')
    const region = this.options.region ?? this.defaultRegion
    const context = {client: client.id, operation: 'AssumeRole', region, service: 'STS'}
    const sts = await createAwsClient('sts', this.options, region)
    try {
      const response = await awsCall(context, () =>
        sts.send(
          new AssumeRoleCommand({
            DurationSeconds: 3600,
            RoleArn: roleArn,
            RoleSessionName: provisionerSessionName(this.purpose, client.id),
          }),
        ),
      )
      const issued = response.Credentials
      if (!issued?.AccessKeyId || !issued.SecretAccessKey)
        throw awsFailure(new Error('the response carried no credentials'), context)
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
}
