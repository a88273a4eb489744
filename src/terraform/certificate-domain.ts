import {readFile} from 'node:fs/promises'

import {usageError} from '../errors.ts'

/**
 * The certificate names in a synthesized stack that can never be validated: names under `.invalid`
 * (reserved by RFC 6761, never resolves), which synth uses while seiketsu.yaml has no `domain`.
 * terraform would build the VPC, NAT gateways, database and cache, then wait up to 45 minutes on
 * the certificate's validation and fail.
 */
export function unvalidatableCertificateNames(stackJson: unknown): string[] {
  const certificates = Object.values(asRecord(asRecord(asRecord(stackJson).resource).aws_acm_certificate))
  const names = certificates.flatMap((certificate) => {
    const {domain_name: domainName, subject_alternative_names: alternatives} = asRecord(certificate)
    return [domainName, ...(Array.isArray(alternatives) ? alternatives : [])]
  })
  return names.filter((name): name is string => typeof name === 'string' && /\.invalid\.?$/i.test(name))
}

export interface StackWithoutDomain {
  id: string
  /** Its certificate names that can never be validated. */
  names: string[]
}

/** The stacks whose certificates can never be validated. A stack that cannot be read is left to the callers' own checks. */
export async function stacksWithoutDomain(
  stacks: readonly {id: string; file: string}[],
): Promise<StackWithoutDomain[]> {
  const found = await Promise.all(
    stacks.map(async (stack) => {
      try {
        return {id: stack.id, names: unvalidatableCertificateNames(JSON.parse(await readFile(stack.file, 'utf8')))}
      } catch {
        return {id: stack.id, names: []}
      }
    }),
  )
  return found.filter((stack) => stack.names.length > 0)
}

/** What `plan` says about such a stack (on stderr, and under `warnings` in its JSON). */
export function noDomainWarning(stack: StackWithoutDomain): string {
  return `${stack.id}: its certificate is for ${stack.names.join(', ')}, which can never be validated; set domain in seiketsu.yaml (clients answer on https://<id>.<domain>) and plan again: seiketsu provision refuses this stack until then`
}

/** Exit 2 before anything is applied when a selected stack's certificate can never be validated. */
export async function refuseStacksWithoutDomain(stacks: readonly {id: string; file: string}[]): Promise<void> {
  const without = await stacksWithoutDomain(stacks)
  if (without.length === 0) return
  const ids = without.map((stack) => stack.id)
  throw usageError(
    `Cannot provision ${ids.join(', ')}: the certificate is for ${without.flatMap((stack) => stack.names).join(', ')}, under .invalid (what synth uses while seiketsu.yaml sets no domain), which can never be validated: terraform would build the network, NAT gateways and database, then wait 45 minutes for the certificate and fail. Nothing was applied`,
    {
      code: 'NO_DOMAIN',
      details: {stacks: without},
      suggestions: [
        `Set domain in seiketsu.yaml (e.g. domain: clients.example.com; each client answers on https://<id>.<domain>), then seiketsu plan ${ids.join(' ')}, review, and provision again`,
      ],
    },
  )
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}
