import {IamServiceLinkedRole} from '@cdktf/provider-aws/lib/iam-service-linked-role/index.js'
import {AwsProvider} from '@cdktf/provider-aws/lib/provider/index.js'
import type {Construct} from 'constructs'

import type {StackBackend} from '../backend.ts'
import type {BootstrapStackModel} from '../model.ts'
import {roleTrustPolicy} from '../policy.ts'
import {roleWithPolicies} from './role.ts'
import {SeiketsuStack} from './stack.ts'

/** The service-linked roles a new account lacks until a service first creates them itself. */
const SERVICE_LINKED_ROLES = {
  autoscaling: {
    adopt: 'autoscaling-service-linked-role',
    role: 'aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
    service: 'ecs.application-autoscaling.amazonaws.com',
  },
  ecs: {
    adopt: 'ecs-service-linked-role',
    role: 'aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS',
    service: 'ecs.amazonaws.com',
  },
} as const

/**
 * What a client account needs before its client stack can plan (DESIGN.md: platform → bootstrap →
 * client): the SeiketsuClientProvisioner role the client stack's provider assumes, trusting only the
 * platform's provisioner role in the management account, and the service-linked roles of ECS and
 * Application Auto Scaling (the first ECS service of a new account can otherwise fail with "Unable
 * to assume the service linked role"). Applied from the management account through the account's
 * bootstrap role (OrganizationAccountAccessRole in accounts the platform created). What already
 * exists in an account the platform did not create is imported, not created (manifest `bootstrap.adopt`).
 */
export class BootstrapStack extends SeiketsuStack {
  readonly model: BootstrapStackModel

  constructor(scope: Construct, model: BootstrapStackModel, backend: StackBackend) {
    super(scope, model.id.replace('/', '-'), backend, model.terraform)
    this.model = model
    new AwsProvider(this, 'aws', {
      allowedAccountIds: [model.accountId],
      assumeRole: [{roleArn: model.bootstrapRoleArn, sessionName: `seiketsu-bootstrap-${model.clientId}`}],
      defaultTags: [{tags: model.tags}],
      region: model.region,
    })
    const adopted = new Set<string>(model.adopt)
    const provisioner = roleWithPolicies(this, 'provisioner', {
      description: `Provisions the stack of client ${model.clientId}; assumed by the platform's provisioner role only`,
      // It creates and changes every resource of the client stack, IAM roles included.
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
      maxSessionDuration: 3600,
      name: model.provisionerRole,
      policies: {},
      trust: roleTrustPolicy(model.managementAccountId, [model.platformProvisionerRoleArn]),
    }).role
    if (adopted.has('provisioner-role')) provisioner.importFrom(model.provisionerRole)
    for (const [id, linked] of Object.entries(SERVICE_LINKED_ROLES)) {
      const role = new IamServiceLinkedRole(this, `${id}ServiceLinkedRole`, {
        awsServiceName: linked.service,
        description: `Created by seiketsu for the services of client ${model.clientId}`,
        // AWS refuses to change a service-linked role's description once another tool created it.
        lifecycle: {ignoreChanges: ['description']},
      })
      if (adopted.has(linked.adopt)) role.importFrom(`arn:aws:iam::${model.accountId}:role/${linked.role}`)
    }
  }
}
