import {isAbsolute, relative, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {AuditReport, Finding, RuleSummary, Severity} from '../types.ts'

/** SARIF 2.1.0 as GitHub code scanning reads it: rules with help and severity, results with locations. */

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  low: 'note',
  medium: 'warning',
}
/** GitHub maps security-severity to its labels: ≥9 critical, ≥7 high, ≥4 medium, else low. */
const SECURITY_SEVERITY: Record<Severity, string> = {critical: '9.5', high: '8.0', low: '3.0', medium: '5.5'}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'

function ruleName(rule: RuleSummary): string {
  return rule.title
    .replaceAll(/[^A-Za-z0-9 ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('')
}

function helpMarkdown(rule: RuleSummary): string {
  const peers = [...rule.equivalents.checkov, ...rule.equivalents.trivy]
  return [
    `**${rule.title}** (${rule.severity})`,
    '',
    `Requirement: ${rule.requirement}`,
    '',
    `Fix: ${rule.remediation}`,
    ...(peers.length > 0 ? ['', `Peer checks: ${peers.join(', ')}`] : []),
    ...(rule.resourceTypes.length > 0 ? ['', `Resource types: ${rule.resourceTypes.join(', ')}`] : []),
  ].join('\n')
}

/** The base every relative artifact URI is resolved against: the workspace root (a git repository's). */
export const SOURCE_ROOT = '%SRCROOT%'

/**
 * Where report paths are relative to: findings' files are relative to `cwd` (where the command ran);
 * SARIF locations are made relative to `root` (the workspace root, else that same directory), so that
 * `seiketsu audit -w ws2` run from the parent folder still points at `cdktf.out/…` of the repository.
 */
export interface SarifPaths {
  cwd: string
  root: string
}

type ArtifactLocation = {uri: string; uriBaseId?: string}

/** A file as a SARIF artifact location: relative to the root with its base id, or a file: URI outside it. */
function artifactLocation(file: string, paths: SarifPaths | undefined): ArtifactLocation {
  const absolute = paths ? resolve(paths.cwd, file) : file
  const relativePath = paths ? relative(paths.root, absolute) : file
  if (paths && (relativePath.startsWith('..') || isAbsolute(relativePath)))
    // A base id may only go with a relative reference: a file outside the root is named absolutely.
    return {uri: pathToFileURL(absolute).href}
  const uri = relativePath
    .split(/[\\/]/)
    .filter((part) => part !== '.' && part !== '')
    .map((part) => encodeURIComponent(part))
    .join('/')
  return {uri, uriBaseId: SOURCE_ROOT}
}

function result(finding: Finding, ruleIndex: number, paths: SarifPaths | undefined) {
  return {
    level: LEVEL[finding.severity],
    locations: [
      {
        logicalLocations: [{fullyQualifiedName: finding.address || finding.stack, kind: 'resource'}],
        physicalLocation: {
          artifactLocation: artifactLocation(finding.file, paths),
          region: {startLine: finding.line ?? 1},
        },
      },
    ],
    message: {
      text: `${finding.address ? `${finding.address}: ` : ''}${finding.message}${finding.client ? ` (client ${finding.client})` : ''}`,
    },
    partialFingerprints: {seiketsuFinding: [finding.ruleId, finding.stack, finding.address, finding.message].join('|')},
    properties: {client: finding.client, stack: finding.stack},
    ruleId: finding.ruleId,
    ruleIndex,
    ...(finding.suppressed
      ? {
          suppressions: [
            {
              justification: `${finding.suppressed.reason} (until ${finding.suppressed.expires})`,
              kind: 'external',
              // The exceptions file sits at the workspace root.
              location: {physicalLocation: {artifactLocation: {uri: 'audit-exceptions.yaml', uriBaseId: SOURCE_ROOT}}},
              status: 'accepted',
            },
          ],
        }
      : {}),
  }
}

/**
 * The SARIF log of a report. `paths`: where findings' files are relative to and the root URIs are
 * made relative to (without it, files are taken as relative to the root already).
 */
export function toSarif(report: AuditReport, version: string, paths?: SarifPaths): Record<string, unknown> {
  const index = new Map(report.rules.map((rule, position) => [rule.id, position]))
  return {
    $schema: SARIF_SCHEMA,
    runs: [
      {
        automationDetails: {id: 'seiketsu-audit/'},
        columnKind: 'utf16CodeUnits',
        originalUriBaseIds: {
          [SOURCE_ROOT]: {
            description: {text: 'The workspace root (the repository the stacks and audit-exceptions.yaml are in).'},
            ...(paths ? {uri: `${pathToFileURL(paths.root).href.replace(/\/$/, '')}/`} : {}),
          },
        },
        results: report.findings.map((finding) => result(finding, index.get(finding.ruleId) ?? 0, paths)),
        tool: {
          driver: {
            informationUri: 'https://github.com/seiketsu-ai/seiketsu',
            name: 'seiketsu',
            rules: report.rules.map((rule) => ({
              defaultConfiguration: {level: LEVEL[rule.severity]},
              fullDescription: {text: rule.requirement},
              help: {markdown: helpMarkdown(rule), text: `${rule.remediation} (${rule.requirement})`},
              helpUri: 'https://github.com/seiketsu-ai/seiketsu#seiketsu-audit',
              id: rule.id,
              name: ruleName(rule),
              properties: {
                equivalents: rule.equivalents,
                precision: 'very-high',
                'security-severity': SECURITY_SEVERITY[rule.severity],
                tags: ['security', 'terraform', rule.domain],
              },
              shortDescription: {text: rule.title},
            })),
            semanticVersion: version,
            version,
          },
        },
      },
    ],
    version: '2.1.0',
  }
}
