import {readFile} from 'node:fs/promises'
import {basename, dirname, relative, resolve as resolvePath} from 'node:path'

import {configurationFiles, malformedInput, parseHcl, parseJsonText, readInputText} from '../configuration/load.ts'
import type {TerraformDocument} from '../configuration/model.ts'
import {defaultProvider, defaultTags} from '../configuration/providers.ts'
import {resourcesOf} from '../configuration/references.ts'
import {arnAccount, at, isObject, str} from '../configuration/values.ts'
import {usageError} from '../errors.ts'
import {PLATFORM_STACK_ID} from '../naming.ts'
import type {TierCatalog} from '../tiers/tiers.ts'
import {isPlanJson, planToDocument, type PlannedDocument} from './plan.ts'
import {buildStack} from './stack.ts'
import type {ClientContext, Finding, Stack} from './types.ts'

/** Reading Terraform from disk into stacks: JSON, HCL and plan files. Every failure is exit 2 naming the file (and line). */

/** One file as a document: Terraform JSON, HCL, or a plan (`terraform show -json`). */
async function readDocument(file: string, label: string): Promise<TerraformDocument | PlannedDocument> {
  const text = await readInputText(file, label)
  if (file.endsWith('.tf')) return {file: label, json: await parseHcl(text, label)}
  const json = parseJsonText(text, label)
  if (isPlanJson(json)) return planToDocument(json, label)
  if (!isObject(json)) throw malformedInput(label, 1, 'not a Terraform JSON configuration (expected an object)')
  return {file: label, json}
}

export async function readPlan(file: string, label: string): Promise<PlannedDocument> {
  const json = parseJsonText(await readInputText(file, label), label)
  if (!isPlanJson(json))
    throw malformedInput(label, undefined, 'not the output of `terraform show -json` (no planned_values)')
  return planToDocument(json, label)
}

/**
 * The stacks under the given paths: a file, or a folder searched recursively for *.tf and *.tf.json.
 * The files of one folder form one configuration (Terraform's module rule), so references between
 * them resolve; a plan file is a configuration of its own.
 */
export async function loadPathStacks(
  paths: readonly string[],
  options: {cwd: string; tiers?: TierCatalog; platform?: string; managementAccountId?: string},
): Promise<Stack[]> {
  const byDir = new Map<string, (TerraformDocument | PlannedDocument)[]>()
  const explicit = new Set<string>()
  const stacks: Stack[] = []
  for (const path of paths) {
    const absolute = resolvePath(options.cwd, path)
    let files: string[]
    try {
      files = await configurationFiles(absolute)
    } catch {
      throw usageError(`path ${path}: not found`, {code: 'UNREADABLE_FILE', details: {file: path}, input: 'path'})
    }
    if (files.length === 0)
      throw usageError(`path ${path}: no *.tf or *.tf.json file there`, {
        code: 'NO_TERRAFORM',
        details: {file: path},
        input: 'path',
      })
    for (const file of files) {
      const label = relative(options.cwd, file) || basename(file)
      if (file === absolute) explicit.add(label)
      const document = await readDocument(file, label)
      if ('planned' in document) {
        stacks.push(identify(buildStack([document], {id: label}), options))
        continue
      }
      const dir = dirname(label)
      byDir.set(dir, [...(byDir.get(dir) ?? []), document])
    }
  }
  for (const [dir, documents] of byDir)
    // A folder's configuration is named after the folder; a file named on its own after itself.
    stacks.push(
      identify(
        buildStack(documents, {
          id: documents.length === 1 && explicit.has(documents[0]!.file) ? documents[0]!.file : dir,
        }),
        options,
      ),
    )
  return stacks
}

export async function loadPlanStacks(
  files: readonly string[],
  options: {cwd: string; tiers?: TierCatalog; platform?: string; managementAccountId?: string},
): Promise<Stack[]> {
  const stacks: Stack[] = []
  for (const file of files) {
    const label = relative(options.cwd, resolvePath(options.cwd, file)) || file
    stacks.push(identify(buildStack([await readPlan(resolvePath(options.cwd, file), label)], {id: label}), options))
  }
  return stacks
}

/** The default tag that names what a stack is beside the client (synth: `platform`, `bootstrap`). */
const STACK_TAG = 'seiketsu:stack'
const BOOTSTRAP_STACK_TAG = 'bootstrap'

/**
 * Terraform from outside the workspace says whose it is through the provider: the default tag
 * seiketsu:client (and :tier), the account of the role it assumes, its region; seiketsu:stack says
 * it is the platform stack, or a client account's bootstrap stack (which also carries seiketsu:client,
 * but must not be judged as the client's stack). The management account comes from the workspace,
 * when there is one.
 */
export function identify(
  stack: Stack,
  options: {tiers?: TierCatalog; platform?: string; managementAccountId?: string},
): Stack {
  const tags = defaultTags(stack)
  const clientId = tags['seiketsu:client']
  stack.platform ??= options.platform ?? inferPlatform(stack, clientId)
  if (tags[STACK_TAG] === PLATFORM_STACK_ID && !clientId) {
    stack.kind = 'platform'
    return stack
  }
  if (!clientId) return stack
  const provider = defaultProvider(stack)
  const tierName = tags['seiketsu:tier']
  const tier = tierName ? options.tiers?.[tierName] : undefined
  const roleArn = str(at(provider?.values, 'assume_role', 'role_arn'))
  const client: ClientContext = {
    accountId: roleArn ? arnAccount(roleArn) : undefined,
    id: clientId,
    managementAccountId: options.managementAccountId,
    region: undefined,
    tier,
  }
  stack.client = client
  stack.kind = tags[STACK_TAG] === BOOTSTRAP_STACK_TAG ? 'bootstrap' : 'client'
  return stack
}

/** The platform prefix from the client key alias (alias/<platform>/<client>). */
function inferPlatform(stack: Stack, clientId: string | undefined): string | undefined {
  if (!clientId) return undefined
  for (const alias of resourcesOf(stack, 'aws_kms_alias')) {
    const match = /^alias\/([^/]+)\/(.+)$/.exec(str(alias.values.name) ?? '')
    if (match && match[2] === clientId) return match[1]
  }
  return undefined
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function lineAt(text: string, index: number): number {
  let line = 1
  for (
    let position = text.indexOf('\n');
    position !== -1 && position < index;
    position = text.indexOf('\n', position + 1)
  )
    line++
  return line
}

/** The line where an address is declared in a file's text (JSON, HCL or plan), when it can be found. */
export function declarationLine(text: string, file: string, address: string): number | undefined {
  if (!address) return undefined
  const plain = address.replace(/^(module\.[^.]+\.)+/, '').replace(/\[[^\]]*\]$/, '')
  const parts = plain.split('.')
  const [kind, type, name] = parts[0] === 'data' ? ['data', parts[1], parts[2]] : ['resource', parts[0], parts[1]]
  if (!type) return undefined
  const planned = new RegExp(`"address"\\s*:\\s*"${escapeRegExp(address)}"`).exec(text)
  if (planned) return lineAt(text, planned.index)
  if (file.endsWith('.tf')) {
    const match = new RegExp(`${kind}\\s+"${escapeRegExp(type)}"${name ? `\\s+"${escapeRegExp(name)}"` : ''}`).exec(
      text,
    )
    return match ? lineAt(text, match.index) : undefined
  }
  const typeAt = text.search(new RegExp(`"${escapeRegExp(type)}"\\s*:`))
  if (typeAt === -1) return undefined
  if (!name) return lineAt(text, typeAt)
  const nameAt = text.slice(typeAt).search(new RegExp(`"${escapeRegExp(name)}"\\s*:`))
  return nameAt === -1 ? lineAt(text, typeAt) : lineAt(text, typeAt + nameAt)
}

/** Adds the declaration line to each finding (files read once each). */
export async function locateFindings(findings: Finding[], cwd: string): Promise<void> {
  const texts = new Map<string, Promise<string | undefined>>()
  for (const finding of findings) {
    if (!finding.file) continue
    if (!texts.has(finding.file))
      texts.set(
        finding.file,
        readFile(resolvePath(cwd, finding.file), 'utf8').catch(() => undefined),
      )
    const text = await texts.get(finding.file)
    const address = finding.address.startsWith('provider.') ? '' : finding.address
    const line =
      text === undefined
        ? undefined
        : address
          ? declarationLine(text, finding.file, address)
          : providerLine(text, finding.address)
    if (line !== undefined) finding.line = line
  }
}

function providerLine(text: string, address: string): number | undefined {
  if (!address.startsWith('provider.')) return undefined
  const at = text.search(/"provider"\s*:|provider\s+"aws"/)
  return at === -1 ? undefined : lineAt(text, at)
}
