import type {Cloudtrail} from '@cdktf/provider-aws/lib/cloudtrail/index.js'
import {DataAwsOrganizationsOrganization} from '@cdktf/provider-aws/lib/data-aws-organizations-organization/index.js'
import type {EcrRepository} from '@cdktf/provider-aws/lib/ecr-repository/index.js'
import type {IamRole} from '@cdktf/provider-aws/lib/iam-role/index.js'
import type {OrganizationsAccount} from '@cdktf/provider-aws/lib/organizations-account/index.js'
import type {Construct} from 'constructs'

import {clientAccountAddress} from '../addresses.ts'
import type {StackBackend} from '../backend.ts'
import type {PlatformStackModel} from '../model.ts'
import {clientAccounts} from './client-accounts.ts'
import {clientBudgets} from './client-budgets.ts'
import {voiceAgentImages} from './image-repository.ts'
import {managementProvider} from './management-account.ts'
import {organizationTrail} from './organization-trail.ts'
import {dnsDelegation} from './platform-dns.ts'
import {platformRoles, type PlatformRoles} from './platform-roles.ts'
import {SeiketsuStack} from './stack.ts'
import {stateStore} from './state-store.ts'

/**
 * The management-account side (DESIGN.md): Organizations accounts for clients that have none yet,
 * the platform roles, the organization CloudTrail, the state bucket (S3 backend), the voice-agent
 * image repository (replicated to every client region, pullable by the organization's accounts),
 * the platform's DNS zone and the role that delegates client zones from it, and each client's
 * monthly budget (the payer account is the one that sees the bill) with alerts to the on-call
 * destination. Client account ids it creates are referenced within this stack only; client stacks
 * learn them from their manifests, never from this stack's state.
 *
 * Every family is a function creating its resources in the stack's own scope, so its addresses are
 * the ids it gives them (`aws_cloudtrail.trail`), as they were before the stack was split.
 */
export class PlatformStack extends SeiketsuStack {
  readonly model: PlatformStackModel
  readonly accounts: Record<string, OrganizationsAccount>
  readonly roles: PlatformRoles & {dnsDelegation?: IamRole}
  readonly trail: Cloudtrail
  readonly imageRepository: EcrRepository

  constructor(scope: Construct, model: PlatformStackModel, backend: StackBackend) {
    super(scope, model.id, backend, model.terraform)
    this.model = model
    managementProvider(this, 'aws', model, {region: model.region})

    this.accounts = clientAccounts(this, model)
    // Once a client's account id is in its manifest (or the client is gone), the account leaves this
    // stack: terraform forgets it rather than closing it. A no-op for accounts it never created.
    this.forget([...model.accountsToForget.map((id) => clientAccountAddress(id)), ...model.forgotten])

    const organization = new DataAwsOrganizationsOrganization(this, 'organization', {})
    // The state store comes first: the platform roles that read and write state need its key's ARN.
    const state = model.stateBucket ? stateStore(this, model, model.stateBucket) : undefined
    this.roles = platformRoles(this, model, {organization, stateAccess: state?.access ?? []})
    if (model.dns) this.roles.dnsDelegation = dnsDelegation(this, model, model.dns)
    this.trail = organizationTrail(this, model, organization)
    this.imageRepository = voiceAgentImages(this, model, organization)
    clientBudgets(
      this,
      model,
      model.clients.map((client) => ({
        accountId: client.accountId ?? this.accounts[client.id]!.id,
        budget: client.budget,
        clientId: client.id,
      })),
    )
  }
}
