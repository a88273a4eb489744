import {stat} from 'node:fs/promises'

import {z} from 'zod'

import {problemsError, zodProblems} from '../input/problems.ts'
import {readYamlFile} from '../input/yaml-file.ts'
import {ruleById} from './rules/index.ts'
import type {Finding, Suppression} from './types.ts'

/**
 * audit-exceptions.yaml: reviewed, expiring exceptions to the policy. Each names one rule, one
 * client (or `*`), one resource address, why, and until when. Matching is on all of rule, client
 * and address, so an exception for one client never hides another client's finding.
 */

export const EXCEPTIONS_FILE = 'audit-exceptions.yaml'

/** YYYY-MM-DD that is a real calendar day (YAML may hand over a Date for an unquoted date). */
const isoDate = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value),
  z
    .string({error: 'must be a date such as 2026-12-31'})
    .refine(
      (text) => /^\d{4}-\d{2}-\d{2}$/.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text),
      {error: 'must be a date such as 2026-12-31'},
    ),
)

const SuppressionSchema = z.strictObject({
  rule: z
    .string()
    .refine((id) => ruleById(id) !== undefined, {error: 'unknown rule id (seiketsu audit rules lists them)'}),
  client: z
    .string()
    .regex(/^(\*|[a-z][a-z0-9-]{1,30}[a-z0-9]|platform)$/, {error: "a client id, or '*' for every client"}),
  resource: z.string().min(1, {error: 'the resource address, e.g. aws_lb.main'}),
  reason: z
    .string({error: 'required: why the finding is accepted'})
    .trim()
    .min(10, {error: 'say why (at least 10 characters)'}),
  expires: isoDate,
})

const ExceptionsSchema = z.strictObject({
  exceptions: z.array(SuppressionSchema).default([]),
})

/** The workspace's exceptions (none when the file does not exist). Invalid entries: exit 2, every problem at once. */
export async function loadSuppressions(file: string): Promise<Suppression[]> {
  try {
    if (!(await stat(file)).isFile()) return []
  } catch {
    return []
  }
  const parsed = await readYamlFile(file, EXCEPTIONS_FILE)
  const data = parsed.data ?? {}
  const result = ExceptionsSchema.safeParse(data)
  // A missing field has no line of its own: point at its entry.
  const lineOf = (path: readonly PropertyKey[]) => parsed.lineOf(path) ?? parsed.lineOf(path.slice(0, -1))
  if (!result.success)
    throw problemsError(`${EXCEPTIONS_FILE} is invalid:`, zodProblems(result.error, EXCEPTIONS_FILE, data, lineOf), [
      'Each exception needs rule, client (or "*"), resource, reason and expires (YYYY-MM-DD).',
    ])
  return result.data.exceptions.map((entry, index) => ({...entry, line: parsed.lineOf(['exceptions', index])}))
}

export interface SuppressionOutcome {
  findings: Finding[]
  applied: number
  expired: Suppression[]
  unused: Suppression[]
}

/** Marks the findings an active exception covers; expired exceptions suppress nothing and are returned. */
export function applySuppressions(
  findings: readonly Finding[],
  suppressions: readonly Suppression[],
  today: string,
): SuppressionOutcome {
  const expired = suppressions.filter((entry) => entry.expires < today)
  const active = suppressions.filter((entry) => entry.expires >= today)
  const used = new Set<Suppression>()
  let applied = 0
  const marked = findings.map((finding) => {
    const match = active.find(
      (entry) =>
        entry.rule === finding.ruleId &&
        entry.resource === finding.address &&
        (entry.client === '*' || entry.client === (finding.client ?? finding.stack)),
    )
    if (!match) return finding
    used.add(match)
    applied++
    return {...finding, suppressed: {expires: match.expires, reason: match.reason}}
  })
  return {applied, expired, findings: marked, unused: active.filter((entry) => !used.has(entry))}
}
