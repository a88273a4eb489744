import {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import {TerraformVariable} from 'cdktf'
import type {Construct} from 'constructs'

import type {StackBackend} from '../backend.ts'
import {PENDING_ACCOUNT_PREFIX, type ClientStackModel} from '../model.ts'
import {ClientAccessRoles} from './access-roles.ts'
import {ClientCache} from './cache.ts'
import {ClientDatabaseSetup} from './database-setup.ts'
import {ClientDatabase} from './database.ts'
import {ClientEdge} from './edge.ts'
import {ClientKeys} from './keys.ts'
import {ClientNetwork} from './network.ts'
import {ClientObservability} from './observability.ts'
import {ClientSecrets} from './secrets.ts'
import {ClientSecurityGroups} from './security-groups.ts'
import {ClientService} from './service.ts'
import {SeiketsuStack} from './stack.ts'
import {ClientStorage} from './storage.ts'

/**
 * One client's whole stack (DESIGN.md "The per-client stack"), in the client's own account: the
 * provider assumes the provisioner role there and refuses to touch any other account.
 */
export class ClientStack extends SeiketsuStack {
  readonly model: ClientStackModel
  readonly keys: ClientKeys
  readonly network: ClientNetwork
  readonly securityGroups: ClientSecurityGroups
  readonly storage: ClientStorage
  readonly edge: ClientEdge
  readonly secrets: ClientSecrets
  readonly observability: ClientObservability
  readonly database: ClientDatabase
  readonly cache: ClientCache
  readonly accessRoles: ClientAccessRoles
  readonly service: ClientService
  readonly databaseSetup: ClientDatabaseSetup

  constructor(scope: Construct, model: ClientStackModel, backend: StackBackend) {
    super(scope, model.id, backend, model.terraform)
    this.model = model
    // A client without an account yet has no account id: the providers take it from the variable whose
    // validation refuses every plan, so `validate` still checks the whole stack.
    const account = model.account.pending ? this.refuseUntilAccountExists() : model.account.id
    const provider = (id: string, region: string, alias?: string) =>
      new AwsProvider(this, id, {
        alias,
        allowedAccountIds: [account],
        assumeRole: [
          {roleArn: model.provisionerRoleArn.replace(model.account.id, account), sessionName: `seiketsu-${model.id}`},
        ],
        defaultTags: [{tags: model.tags}],
        region,
      })
    provider('aws', model.region)
    const dr = provider('awsDr', model.drRegion, 'dr')
    // The delegation record goes into the platform's zone, in the management account, through a role
    // that may write NS records under the domain and nothing else.
    const dnsProvider = model.dns
      ? new AwsProvider(this, 'awsDns', {
          alias: 'dns',
          allowedAccountIds: [model.managementAccountId],
          assumeRole: [{roleArn: model.dns.delegationRoleArn, sessionName: `seiketsu-${model.id}-dns`}],
          defaultTags: [{tags: model.tags}],
          region: model.region,
        })
      : undefined
    new TerraformVariable(this, 'serviceEnabled', {
      default: false,
      description: `Whether the service of client ${model.id} runs tasks: seiketsu plan sets it once the image is pinned by digest and every integration secret holds a value. False: the service exists with 0 tasks.`,
      type: 'bool',
    }).overrideLogicalId(model.serviceGate.variable)
    // The client budget moved to the management account (platform stack); forget any copy here.
    this.forget(['aws_budgets_budget.observability_budget'])

    this.keys = new ClientKeys(this, 'keys', model, dr)
    const {key, backupKey} = this.keys
    this.network = new ClientNetwork(this, 'network', model, key)
    this.securityGroups = new ClientSecurityGroups(this, 'securityGroups', model, this.network.vpc)
    this.storage = new ClientStorage(this, 'storage', model, {backupKey, key}, dr)
    this.edge = new ClientEdge(this, 'edge', model, {
      accessLogBucket: model.names.accessLogBucket,
      accessLogPolicy: this.storage.accessLogs.policy,
      dnsProvider,
      publicSubnets: this.network.publicSubnets,
      securityGroup: this.securityGroups.loadBalancer,
      vpc: this.network.vpc,
    })
    this.secrets = new ClientSecrets(this, 'secrets', model, key)
    this.observability = new ClientObservability(this, 'observability', model, key)
    this.database = new ClientDatabase(this, 'database', model, {
      backupKey,
      drProvider: dr,
      isolatedSubnets: this.network.isolatedSubnets,
      key,
      securityGroup: this.securityGroups.database,
    })
    this.cache = new ClientCache(this, 'cache', model, {
      isolatedSubnets: this.network.isolatedSubnets,
      key,
      securityGroup: this.securityGroups.cache,
    })
    this.accessRoles = new ClientAccessRoles(this, 'iam', model, {
      backupKey,
      cache: this.cache.replicationGroup,
      cacheUser: this.cache.appUser,
      database: this.database.instance,
      key,
      replicas: this.database.replicas,
      secrets: this.secrets.all(),
    })
    this.service = new ClientService(this, 'app', model, {
      alarmTopic: this.observability.alarmTopic,
      cache: this.cache.replicationGroup,
      cacheUser: model.names.cacheUsers.app,
      dataBucket: model.names.dataBucket,
      database: this.database.instance,
      replicas: this.database.replicas,
      integrationSecrets: model.integrationSecrets.map(({envName, integration}) => ({
        envName,
        secret: this.secrets.integrations[integration]!,
      })),
      key,
      listener: this.edge.listener,
      loadBalancer: this.edge.loadBalancer,
      privateSubnets: this.network.privateSubnets,
      securityGroup: this.securityGroups.app,
      targetGroup: this.edge.targetGroup,
      taskRole: this.accessRoles.app,
    })
    this.databaseSetup = new ClientDatabaseSetup(this, 'databaseSetup', model, {
      cluster: this.service.cluster,
      database: this.database.instance,
      key,
      privateSubnets: this.network.privateSubnets,
      securityGroup: this.securityGroups.app,
    })
  }

  /**
   * The client has no AWS account yet: its account id in this stack is a placeholder. This variable's
   * validation fails on every plan, with the reason and the fix, so terraform never acts on it.
   */
  private refuseUntilAccountExists(): string {
    const {id} = this.model
    const variable = new TerraformVariable(this, 'accountPending', {
      default: this.model.account.id,
      description: `Client ${id} has no AWS account id yet; this stack cannot be planned until it has one.`,
      type: 'string',
      validation: [
        {
          condition: `\${!startswith(var.account_pending, "${PENDING_ACCOUNT_PREFIX}")}`,
          errorMessage: `Client ${id} has no AWS account yet (accountId: null in clients/${id}.yaml). Apply the platform stack, which creates the account, record its id in the manifest, then run seiketsu synth again.`,
        },
      ],
    })
    return variable.stringValue
  }
}
