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

function uri(file: string): string {
  return file.split('\\').join('/').replace(/^\.\//, '')
}

function result(finding: Finding, ruleIndex: number) {
  return {
    level: LEVEL[finding.severity],
    locations: [
      {
        logicalLocations: [{fullyQualifiedName: finding.address || finding.stack, kind: 'resource'}],
        physicalLocation: {artifactLocation: {uri: uri(finding.file)}, region: {startLine: finding.line ?? 1}},
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
              location: {physicalLocation: {artifactLocation: {uri: 'audit-exceptions.yaml'}}},
              status: 'accepted',
            },
          ],
        }
      : {}),
  }
}

export function toSarif(report: AuditReport, version: string): Record<string, unknown> {
  const index = new Map(report.rules.map((rule, position) => [rule.id, position]))
  return {
    $schema: SARIF_SCHEMA,
    runs: [
      {
        automationDetails: {id: 'seiketsu-audit/'},
        columnKind: 'utf16CodeUnits',
        results: report.findings.map((finding) => result(finding, index.get(finding.ruleId) ?? 0)),
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
