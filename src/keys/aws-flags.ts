import {Flags} from '@oclif/core'

import type {AwsOptions} from '../aws/clients.ts'

/** The AWS flags of every command that may talk to AWS (rotate-keys, secrets set, and token/keys with the aws keystore). */
export const awsFlags = {
  'endpoint-url': Flags.string({
    description: 'Send every AWS call to this endpoint (LocalStack, tests). AWS_ENDPOINT_URL_<SERVICE> also work.',
    helpGroup: 'AWS',
  }),
  'max-attempts': Flags.integer({
    default: 3,
    description: 'Attempts per AWS call, retries of throttling and transient errors included.',
    helpGroup: 'AWS',
    max: 10,
    min: 1,
  }),
  profile: Flags.string({
    description: 'AWS profile for the credentials that assume the provisioner role (default: the standard chain).',
    helpGroup: 'AWS',
  }),
  region: Flags.string({
    description: "Region of the STS calls (default: the workspace's). Client resources stay in the clients' regions.",
    helpGroup: 'AWS',
  }),
}

export function awsOptionsFrom(flags: {
  'endpoint-url'?: string
  'max-attempts'?: number
  profile?: string
  region?: string
}): AwsOptions {
  return {
    endpointUrl: flags['endpoint-url'],
    maxAttempts: flags['max-attempts'],
    profile: flags.profile,
    region: flags.region,
  }
}
