/**
 * The SDK clients of every AWS service seiketsu calls, and the one configuration they share:
 * bounded attempts (`maxAttempts`) through the SDK's standard retry strategy, which also backs off
 * on throttling; the `--endpoint-url` override; the region. Without the override, endpoints follow
 * the SDK's own AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> variables (_KMS, _SECRETS_MANAGER,
 * _ECS, _STS, _COST_EXPLORER…). A service's SDK package is imported only when a command really
 * calls it. A new service is one entry in AWS_SERVICES.
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

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** What an SDK client is built with: the part of every service's configuration seiketsu sets. */
interface ClientConfig {
  region?: string
  maxAttempts: number
  endpoint?: string
  credentials?: AwsCredentials
  profile?: string
  requestHandler?: {connectionTimeout: number; requestTimeout: number}
}

interface AwsService {
  load(): Promise<new (config: ClientConfig) => {destroy(): void}>
  /** The one region a service with one endpoint per partition answers in, whatever the caller's. */
  partitionRegion?: string
  requestHandler?: ClientConfig['requestHandler']
}

const AWS_SERVICES = {
  costExplorer: {
    load: async () => (await import('@aws-sdk/client-cost-explorer')).CostExplorerClient,
    // ce.us-east-1.amazonaws.com for the aws partition.
    partitionRegion: 'us-east-1',
    // A hung endpoint fails the command instead of hanging a CI job.
    requestHandler: {connectionTimeout: 10_000, requestTimeout: 60_000},
  },
  ecs: {load: async () => (await import('@aws-sdk/client-ecs')).ECSClient},
  kms: {load: async () => (await import('@aws-sdk/client-kms')).KMSClient},
  secretsManager: {load: async () => (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient},
  sts: {load: async () => (await import('@aws-sdk/client-sts')).STSClient},
} satisfies Record<string, AwsService>

export type AwsServiceName = keyof typeof AWS_SERVICES
export type AwsClient<S extends AwsServiceName> = InstanceType<Awaited<ReturnType<(typeof AWS_SERVICES)[S]['load']>>>

const DEFAULT_MAX_ATTEMPTS = 3

/**
 * A new client of `service` in `region`, signed with `credentials` or else with the
 * management-side ones (the SDK's standard chain, or `options.profile`). The caller destroys it.
 */
export async function createAwsClient<S extends AwsServiceName>(
  service: S,
  options: AwsOptions,
  region?: string,
  credentials?: AwsCredentials,
): Promise<AwsClient<S>> {
  const definition: AwsService = AWS_SERVICES[service]
  const Client = await definition.load()
  return new Client({
    ...(options.endpointUrl ? {endpoint: options.endpointUrl} : {}),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    region: definition.partitionRegion ?? region,
    ...(credentials ? {credentials} : options.profile ? {profile: options.profile} : {}),
    ...(definition.requestHandler ? {requestHandler: definition.requestHandler} : {}),
  }) as AwsClient<S>
}
