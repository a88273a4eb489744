import {Chalk} from 'chalk'

import {renderTable} from '../../ui/table.ts'
import type {AuditReport, Severity} from '../types.ts'

/** The human report: findings grouped by stack, then a one-line summary. Colour only when asked. */
export function renderAuditTable(report: AuditReport, options: {color: boolean}): string {
  const chalk = new Chalk({level: options.color ? 1 : 0})
  const paint: Record<Severity, (text: string) => string> = {
    critical: (text) => chalk.bold.red(text),
    high: (text) => chalk.red(text),
    low: (text) => chalk.cyan(text),
    medium: (text) => chalk.yellow(text),
  }
  const out: string[] = []
  if (report.findings.length > 0) {
    out.push(
      renderTable(
        ['SEVERITY', 'RULE', 'STACK', 'RESOURCE', 'FINDING'],
        report.findings.map((finding) => [
          finding.suppressed
            ? chalk.dim(`${finding.severity} (suppressed)`)
            : paint[finding.severity](finding.severity),
          finding.ruleId,
          finding.stack,
          finding.address || '-',
          finding.suppressed
            ? chalk.dim(
                `${finding.message} — accepted until ${finding.suppressed.expires}: ${finding.suppressed.reason}`,
              )
            : finding.message,
        ]),
      ),
      '',
    )
  }
  for (const entry of report.suppressions.expired)
    out.push(
      chalk.yellow(
        `Expired exception (no longer applied): ${entry.rule} ${entry.client} ${entry.resource}, expired ${entry.expires}`,
      ),
    )
  const counts = report.counts
  const severities = (['critical', 'high', 'medium', 'low'] as const)
    .filter((severity) => counts.bySeverity[severity] > 0)
    .map((severity) => paint[severity](`${counts.bySeverity[severity]} ${severity}`))
  const verdict = report.passed ? chalk.green('PASSED') : chalk.bold.red('FAILED')
  out.push(
    `${verdict}: ${counts.stacks} stack(s), ${counts.resources} resources, ${counts.rules} rules, ${counts.checks} checks; ` +
      `${counts.unsuppressed} finding(s)${severities.length > 0 ? ` (${severities.join(', ')})` : ''}` +
      `${counts.suppressed > 0 ? `, ${counts.suppressed} suppressed` : ''}; failing at ${report.failOn} and above.`,
  )
  return out.join('\n')
}
