import type {DataAwsOrganizationsOrganization} from '@cdktf/provider-aws/lib/data-aws-organizations-organization/index.js'
import {EcrReplicationConfiguration} from '@cdktf/provider-aws/lib/ecr-replication-configuration/index.js'
import {EcrRepositoryCreationTemplate} from '@cdktf/provider-aws/lib/ecr-repository-creation-template/index.js'
import {EcrRepositoryPolicy} from '@cdktf/provider-aws/lib/ecr-repository-policy/index.js'
import {EcrRepository} from '@cdktf/provider-aws/lib/ecr-repository/index.js'
import {TerraformOutput} from 'cdktf'
import type {Construct} from 'constructs'

import type {PlatformStackModel} from '../model.ts'
import {policyDocument} from '../policy.ts'
import {managementProvider} from './management-account.ts'

/** The ECR actions a client account's task execution role needs to pull an image. */
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']

/**
 * The voice-agent images: one repository in the platform region, immutable tags (clients pin a
 * digest), scanned on push, replicated to every other client region, and pullable by the accounts
 * of the organization only. A replicated repository is created by ECR itself: a creation template
 * in each region gives it the same settings and pull policy.
 */
export function voiceAgentImages(
  scope: Construct,
  model: Pick<PlatformStackModel, 'imageRepository' | 'managementAccountId' | 'tags'>,
  organization: DataAwsOrganizationsOrganization,
): EcrRepository {
  const {imageRepository} = model
  const pullPolicy = policyDocument([
    {
      Action: PULL_ACTIONS,
      Condition: {StringEquals: {'aws:PrincipalOrgID': organization.id}},
      Principal: '*',
      Sid: 'OrganizationAccountsPull',
    },
  ])
  const repository = new EcrRepository(scope, 'imageRepository', {
    encryptionConfiguration: [{encryptionType: 'AES256'}],
    imageScanningConfiguration: {scanOnPush: true},
    imageTagMutability: 'IMMUTABLE',
    name: imageRepository.name,
  })
  new EcrRepositoryPolicy(scope, 'imageRepositoryPolicy', {policy: pullPolicy, repository: repository.name})
  if (imageRepository.replicaRegions.length > 0) {
    new EcrReplicationConfiguration(scope, 'imageReplication', {
      replicationConfiguration: {
        rule: [
          {
            destination: imageRepository.replicaRegions.map((region) => ({
              region,
              registryId: model.managementAccountId,
            })),
            repositoryFilter: [{filter: imageRepository.name, filterType: 'PREFIX_MATCH'}],
          },
        ],
      },
    })
    for (const region of imageRepository.replicaRegions)
      new EcrRepositoryCreationTemplate(scope, `imageReplicaTemplate-${region}`, {
        appliedFor: ['REPLICATION'],
        description: `Replicas of ${imageRepository.name} in ${region}`,
        encryptionConfiguration: [{encryptionType: 'AES256'}],
        imageTagMutability: 'IMMUTABLE',
        prefix: imageRepository.name,
        provider: managementProvider(scope, `aws-${region}`, model, {alias: region.replaceAll('-', '_'), region}),
        repositoryPolicy: pullPolicy,
      })
  }
  new TerraformOutput(scope, 'imageRepositoryUrl', {
    description: 'Push the voice-agent image here, then set image.digest in seiketsu.yaml to its digest.',
    value: repository.repositoryUrl,
  })
  return repository
}
