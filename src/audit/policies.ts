import {jsonencodeValue} from '../configuration/jsonencode.ts'
import {resolve} from '../configuration/references.ts'
import {blocks, isLiteral, isObject, str, strings, type JsonObject} from '../configuration/values.ts'
import type {Stack} from './types.ts'

/** One IAM policy statement, whether written as policy JSON or as an aws_iam_policy_document block. */
export interface Statement {
  effect: 'Allow' | 'Deny'
  actions: string[]
  notActions: string[]
  resources: string[]
  notResources: string[]
  /** [{type: 'AWS', identifiers: ['arn:aws:iam::111111111111:root']}]; `*` as {type: '*', identifiers: ['*']}. */
  principals: {type: string; identifiers: string[]}[]
  conditions: {test: string; variable: string; values: string[]}[]
}

export type PolicyResult =
  {kind: 'statements'; statements: Statement[]} | {kind: 'invalid'; reason: string} | {kind: 'unknown'}

/**
 * The statements of a policy attribute: literal JSON, an object, or a reference to an
 * aws_iam_policy_document data source in the same configuration. `unknown` when only plan time
 * can tell (e.g. `${jsonencode(…)}`), `invalid` when literal text is not policy JSON.
 */
export function policyStatements(stack: Stack, value: unknown): PolicyResult {
  if (value === undefined || value === null || value === '') return {kind: 'statements', statements: []}
  if (isObject(value)) return {kind: 'statements', statements: jsonStatements(value)}
  if (typeof value !== 'string') return {kind: 'invalid', reason: 'not a policy document'}
  if (isLiteral(value)) return parsePolicyText(value)
  const encoded = jsonencodeValue(value)
  if (isObject(encoded)) return {kind: 'statements', statements: jsonStatements(encoded)}
  const document = resolve(stack, value, ['aws_iam_policy_document'])
  if (document) return {kind: 'statements', statements: documentStatements(stack, document.values)}
  // A JSON string carrying ${…} references inside its values (cdktf's usual output) still parses.
  const parsed = parsePolicyText(value)
  return parsed.kind === 'statements' ? parsed : {kind: 'unknown'}
}

const parsedPolicies = new Map<string, PolicyResult>()

/** Policy text → statements, memoized: several rules read the same policy. */
function parsePolicyText(text: string): PolicyResult {
  let result = parsedPolicies.get(text)
  if (!result) {
    result = parsePolicyJson(text)
    if (parsedPolicies.size > 50_000) parsedPolicies.clear()
    parsedPolicies.set(text, result)
  }
  return result
}

function parsePolicyJson(text: string): PolicyResult {
  try {
    const json = JSON.parse(text) as unknown
    if (!isObject(json)) return {kind: 'invalid', reason: 'policy JSON is not an object'}
    return {kind: 'statements', statements: jsonStatements(json)}
  } catch {
    return {kind: 'invalid', reason: 'policy is not valid JSON'}
  }
}

function jsonStatements(policy: JsonObject): Statement[] {
  const raw = policy.Statement
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  return statements.filter(isObject).map((statement) => ({
    actions: strings(statement.Action),
    conditions: jsonConditions(statement.Condition),
    effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
    notActions: strings(statement.NotAction),
    notResources: strings(statement.NotResource),
    principals: jsonPrincipals(statement.Principal),
    resources: strings(statement.Resource),
  }))
}

function jsonPrincipals(principal: unknown): Statement['principals'] {
  if (principal === undefined) return []
  if (principal === '*') return [{identifiers: ['*'], type: '*'}]
  if (!isObject(principal)) return []
  return Object.entries(principal).map(([type, identifiers]) => ({identifiers: strings(identifiers), type}))
}

function jsonConditions(condition: unknown): Statement['conditions'] {
  if (!isObject(condition)) return []
  return Object.entries(condition).flatMap(([test, variables]) =>
    isObject(variables)
      ? Object.entries(variables).map(([variable, values]) => ({test, values: strings(values), variable}))
      : [],
  )
}

function documentStatements(stack: Stack, values: JsonObject, seen = new Set<JsonObject>()): Statement[] {
  if (seen.has(values)) return []
  seen.add(values)
  const inherited: Statement[] = []
  for (const attribute of ['source_policy_documents', 'override_policy_documents'])
    for (const source of strings(values[attribute])) {
      const result = policyStatements(stack, source)
      if (result.kind === 'statements') inherited.push(...result.statements)
    }
  return [
    ...inherited,
    ...blocks(values.statement).map((statement) => ({
      actions: strings(statement.actions),
      conditions: blocks(statement.condition).map((condition) => ({
        test: str(condition.test) ?? '',
        values: strings(condition.values),
        variable: str(condition.variable) ?? '',
      })),
      effect: (statement.effect === 'Deny' ? 'Deny' : 'Allow') as Statement['effect'],
      notActions: strings(statement.not_actions),
      notResources: strings(statement.not_resources),
      principals: [
        ...blocks(statement.principals).map((p) => ({identifiers: strings(p.identifiers), type: str(p.type) ?? ''})),
      ],
      resources: strings(statement.resources),
    })),
  ]
}

/** Literal 12-digit account ids a statement's principals name (ARNs, bare ids). */
export function principalAccounts(statement: Statement): string[] {
  return statement.principals
    .filter((principal) => principal.type === 'AWS')
    .flatMap((principal) => principal.identifiers)
    .flatMap((identifier) => {
      if (/^\d{12}$/.test(identifier)) return [identifier]
      const match = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(identifier)
      return match ? [match[1]!] : []
    })
}

export function hasWildcardPrincipal(statement: Statement): boolean {
  return statement.principals.some(
    (principal) => (principal.type === '*' || principal.type === 'AWS') && principal.identifiers.includes('*'),
  )
}
