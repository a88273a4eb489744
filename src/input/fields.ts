import {z} from 'zod'

import {isCanonicalCidr} from '../cidr.ts'

export const accountIdField = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? 'must be a quoted string: YAML reads unquoted digits as a number and drops leading zeros'
        : 'must be a 12-digit AWS account id',
  })
  .regex(/^\d{12}$/, {error: 'must be a 12-digit AWS account id'})

export const regionField = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, {error: 'must be an AWS region such as us-east-1'})

export const cidrField = z
  .string()
  .refine(isCanonicalCidr, {error: 'must be an IPv4 CIDR with no host bits set, such as 10.0.0.0/16'})

/** DNS-safe, usable in bucket names, role names and file names. */
export const CLIENT_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/

export const RESERVED_CLIENT_IDS = ['platform', 'rules', 'trail']

export const clientIdField = z
  .string()
  .regex(CLIENT_ID_PATTERN, {
    error:
      '3-32 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen',
  })
  .refine((id) => !id.includes('--'), {error: 'must not contain two hyphens in a row'})
  // Ids that other words of the command line already mean: the platform stack, `audit rules`, `audit trail`.
  .refine((id) => !RESERVED_CLIENT_IDS.includes(id), {error: `${RESERVED_CLIENT_IDS.join(', ')} are reserved words`})

export const isoTimestampField = z.iso.datetime({error: 'must be an ISO-8601 UTC timestamp'})
