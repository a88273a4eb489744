import {organizationsHandlers, ORGANIZATIONS_TARGET} from './organizations.ts'
import {startAwsLoopback, type LoopbackService} from './protocol.ts'
import {route53Handlers, type FakeHostedZone} from './route53.ts'
import {providerStsHandlers} from './sts.ts'

const MANAGEMENT_ACCOUNT = '111111111111'
const ORGANIZATION_ID = 'o-seiketsu01'

export interface AwsStub extends LoopbackService {
  /** AssumeRole calls, in order: the role ARN and the key that signed the call. */
  assumed: {roleArn: string; signer?: string}[]
  /** Service principals with trusted access in the organization (ListAWSServiceAccessForOrganization). */
  trustedServices: string[]
}

/**
 * A loopback STS, Organizations and Route 53 for the real provider: AssumeRole hands out a key that
 * names the role's account, GetCallerIdentity answers with the account of the key that signed the
 * call (the management account for the base credentials), Organizations describes one
 * organization, and Route 53 holds `zones`. With that, the provider configures itself
 * (assume_role, allowed_account_ids) and plans offline.
 */
export async function startAwsStub(
  options: {trustedServices?: string[]; zones?: FakeHostedZone[]} = {},
): Promise<AwsStub> {
  const assumed: AwsStub['assumed'] = []
  const trustedServices = [...(options.trustedServices ?? ['cloudtrail.amazonaws.com'])]
  const service = await startAwsLoopback({
    json: {
      [ORGANIZATIONS_TARGET]: organizationsHandlers({
        id: ORGANIZATION_ID,
        managementAccount: MANAGEMENT_ACCOUNT,
        trustedServices,
      }),
    },
    query: providerStsHandlers(assumed, MANAGEMENT_ACCOUNT),
    rest: route53Handlers(options.zones ?? []),
  })
  return {...service, assumed, trustedServices}
}
