import type {JsonHandler} from './protocol.ts'

/**
 * Organizations (JSON 1.1, `X-Amz-Target: AWSOrganizationsV20161128.<Op>`): one organization with
 * its management account as the only member, one root, and the service principals with trusted
 * access (read at each call, so a test may change them).
 */

export const ORGANIZATIONS_TARGET = 'AWSOrganizationsV20161128'

export function organizationsHandlers(organization: {
  id: string
  managementAccount: string
  trustedServices: readonly string[]
}): Record<string, JsonHandler> {
  const management = organization.managementAccount
  const described = {
    Arn: `arn:aws:organizations::${management}:organization/${organization.id}`,
    AvailablePolicyTypes: [],
    FeatureSet: 'ALL',
    Id: organization.id,
    MasterAccountArn: `arn:aws:organizations::${management}:account/${organization.id}/${management}`,
    MasterAccountEmail: 'aws-root@seiketsu.example',
    MasterAccountId: management,
  }
  return {
    DescribeOrganization: () => ({body: {Organization: described}}),
    ListAWSServiceAccessForOrganization: () => ({
      body: {
        EnabledServicePrincipals: organization.trustedServices.map((ServicePrincipal) => ({
          DateEnabled: 1_700_000_000,
          ServicePrincipal,
        })),
      },
    }),
    ListAccounts: () => ({
      body: {
        Accounts: [
          {
            Arn: described.MasterAccountArn,
            Email: described.MasterAccountEmail,
            Id: management,
            JoinedMethod: 'INVITED',
            JoinedTimestamp: 1_700_000_000,
            Name: 'management',
            Status: 'ACTIVE',
          },
        ],
      },
    }),
    ListRoots: () => ({
      body: {
        Roots: [
          {
            Arn: `arn:aws:organizations::${management}:root/${organization.id}/r-seik`,
            Id: 'r-seik',
            Name: 'Root',
            PolicyTypes: [],
          },
        ],
      },
    }),
  }
}
