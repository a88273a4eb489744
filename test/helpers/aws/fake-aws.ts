import {randomUUID} from 'node:crypto'

import {ECS_TARGET, FakeEcs} from './ecs.ts'
import {FakeKms, KMS_TARGET, type FakeKmsKey} from './kms.ts'
import {
  startAwsLoopback,
  type AwsCall,
  type AwsReply,
  type JsonHandler,
  type LoopbackService,
  type XmlReply,
} from './protocol.ts'
import {FakeSecretsManager, SECRETS_MANAGER_TARGET, type FakeSecret, type FakeSecretVersion} from './secrets-manager.ts'
import {FakeSts} from './sts.ts'

/**
 * The AWS of a client fleet behind one loopback endpoint, for the real AWS SDK clients: STS, KMS,
 * Secrets Manager and ECS (each in its own module), one state per account and region, told apart
 * by the caller's access key (STS AssumeRole hands out `ASIA<account>…` keys; the other services
 * refuse any other caller, as a call that did not go through the provisioner role would fail
 * against AWS). On top of the services: scripted faults, latency, and a count of calls in flight.
 */

export interface FakeClientAccount {
  id: string
  accountId: string
  region: string
  drRegion: string
}

export class FakeAws {
  private readonly sts = new FakeSts()
  private readonly kms = new FakeKms(() => this.pageSize)
  private readonly secretsManager = new FakeSecretsManager(() => this.pageSize)
  readonly ecs = new FakeEcs()
  /** Replies served before the real handler, per `<service>:<Operation>` (e.g. `kms:DescribeKey`), first in first out. */
  readonly faults = new Map<string, (AwsReply | XmlReply)[]>()
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
        [ECS_TARGET]: fake.withFaults('ecs', fake.ecs.handlers()),
        [KMS_TARGET]: fake.withFaults('kms', fake.kms.handlers()),
        [SECRETS_MANAGER_TARGET]: fake.withFaults('secretsmanager', fake.secretsManager.handlers()),
      },
      query: {
        AssumeRole: (params, call) =>
          (fake.faults.get('sts:AssumeRole')?.shift() as XmlReply | undefined) ?? fake.sts.assumeRole(params, call),
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

  get kmsKeys(): FakeKmsKey[] {
    return this.kms.keys
  }

  get secrets(): FakeSecret[] {
    return this.secretsManager.secrets
  }

  /** AssumeRole calls that succeeded: the role, the session name and the key that signed the call. */
  get assumed(): FakeSts['assumed'] {
    return this.sts.assumed
  }

  /** Accounts whose provisioner role refuses the caller. */
  get deniedAccounts(): Set<string> {
    return this.sts.deniedAccounts
  }

  callsOf(operation: string): AwsCall[] {
    return this.calls.filter((call) => call.operation === operation)
  }

  close(): Promise<void> {
    return this.service.close()
  }

  fail(key: string, ...replies: (AwsReply | XmlReply)[]): void {
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
      this.kms.keys.push({
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

  addSecret(input: Parameters<FakeSecretsManager['add']>[0]): FakeSecret {
    return this.secretsManager.add(input)
  }

  /** A secret by name in an account, for assertions. */
  secret(accountId: string, name: string): FakeSecret | undefined {
    return this.secretsManager.secret(accountId, name)
  }

  staged(secret: FakeSecret, stage: string): FakeSecretVersion | undefined {
    return this.secretsManager.staged(secret, stage)
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
}
