import type {AuditReport, Check, Finding} from '../types.ts'

/** JUnit XML: one test suite per stack, one test case per rule × resource evaluated. */

/** Characters XML 1.0 cannot carry at all (control characters other than tab, newline, return). */
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const NOT_XML = new RegExp('[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]', 'g')

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll(NOT_XML, '')
}

function key(ruleId: string, stack: string, address: string): string {
  return `${ruleId}\u0000${stack}\u0000${address}`
}

export function toJunit(report: AuditReport): string {
  const byCase = new Map<string, Finding[]>()
  for (const finding of report.findings) {
    const id = key(finding.ruleId, finding.stack, finding.address)
    const list = byCase.get(id) ?? []
    list.push(finding)
    byCase.set(id, list)
  }
  const suites = new Map<string, Check[]>()
  const seen = new Set<string>()
  const checked = new Set(report.checks.map((check) => key(check.ruleId, check.stack, check.address)))
  const cases: Check[] = [...report.checks]
  // Fleet findings and stack-level findings carry their own address: make sure each has a case.
  for (const finding of report.findings) {
    const id = key(finding.ruleId, finding.stack, finding.address)
    if (!checked.has(id) && !seen.has(id))
      cases.push({
        address: finding.address,
        file: finding.file,
        passed: false,
        ruleId: finding.ruleId,
        stack: finding.stack,
      })
    seen.add(id)
  }
  for (const check of cases) {
    const suite = suites.get(check.stack) ?? []
    suite.push(check)
    suites.set(check.stack, suite)
  }
  const titles = new Map(report.rules.map((rule) => [rule.id, rule.title]))
  const lines: string[] = []
  let failures = 0
  let skipped = 0
  const suiteXml: string[] = []
  for (const [stack, checks] of suites) {
    let suiteFailures = 0
    let suiteSkipped = 0
    const body: string[] = []
    for (const check of checks) {
      const findings = byCase.get(key(check.ruleId, check.stack, check.address)) ?? []
      const open = findings.filter((finding) => !finding.suppressed)
      const name = `${check.ruleId} ${check.address || '(stack)'}: ${titles.get(check.ruleId) ?? ''}`
      const attributes = `name="${escapeXml(name)}" classname="${escapeXml(`${stack}.${check.ruleId}`)}" file="${escapeXml(check.file)}"`
      if (open.length > 0) {
        suiteFailures++
        body.push(
          `    <testcase ${attributes}>`,
          `      <failure message="${escapeXml(open.map((finding) => finding.message).join('; '))}" type="${open[0]!.severity}">${escapeXml(
            open
              .map((finding) => `${finding.severity} ${finding.ruleId} ${finding.address}: ${finding.message}`)
              .join('\n'),
          )}</failure>`,
          '    </testcase>',
        )
      } else if (findings.length > 0) {
        suiteSkipped++
        const reason = findings[0]!.suppressed!
        body.push(
          `    <testcase ${attributes}>`,
          `      <skipped message="${escapeXml(`suppressed until ${reason.expires}: ${reason.reason}`)}"/>`,
          '    </testcase>',
        )
      } else body.push(`    <testcase ${attributes}/>`)
    }
    failures += suiteFailures
    skipped += suiteSkipped
    suiteXml.push(
      `  <testsuite name="${escapeXml(stack)}" tests="${checks.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}">`,
      ...body,
      '  </testsuite>',
    )
  }
  lines.push(
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="seiketsu audit" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...suiteXml,
    '</testsuites>',
    '',
  )
  return lines.join('\n')
}
