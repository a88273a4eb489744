import {readFileSync} from 'node:fs'
import {join, sep} from 'node:path'
import {pathToFileURL} from 'node:url'

import {Ajv} from 'ajv'
import {expect} from 'chai'
import {XMLParser, XMLValidator} from 'fast-xml-parser'

import {auditStacks} from '../../src/audit/audit.ts'
import {toJunit} from '../../src/audit/formats/junit.ts'
import {toSarif} from '../../src/audit/formats/sarif.ts'
import {renderAuditTable} from '../../src/audit/formats/table.ts'
import {parseOutputs} from '../../src/audit/outputs.ts'
import type {AuditReport} from '../../src/audit/types.ts'
import {auditFixture, auditFixtures} from './helpers.ts'

/** The draft-04 SARIF schema, read by ajv 8 (which speaks draft-06+: `id` is `$id` there). */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(auditFixtures, 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<
    string,
    unknown
  >
  const {$schema: _draft, id, ...rest} = schema
  const ajv = new Ajv({
    allErrors: true,
    formats: {
      'date-time': (value: string) => !Number.isNaN(Date.parse(value)),
      uri: /^[a-z][a-z\d+.-]*:\S*$/i,
      'uri-reference': /^\S+$/,
    },
    strict: false,
    // The schema's language pattern has a stray ']' that only non-unicode regular expressions accept.
    unicodeRegExp: false,
  })
  return ajv.compile({...rest, $id: id as string})
}

async function reportWithSuppression(): Promise<AuditReport> {
  const {stacks} = await auditFixture(join(auditFixtures, 'fleet'))
  return auditStacks(stacks, {
    suppressions: [
      {
        client: 'gamma',
        expires: '2026-12-31',
        reason: 'gamma migrates its tags in the next release',
        resource: 'aws_s3_bucket.data',
        rule: 'SKT-FLT-003',
      },
    ],
    today: '2026-06-01',
  })
}

describe('audit report formats', () => {
  let report: AuditReport
  before(async () => {
    report = await reportWithSuppression()
    expect(report.findings.some((finding) => finding.suppressed)).to.equal(true)
  })

  it('SARIF is valid against the SARIF 2.1.0 schema and carries what GitHub code scanning reads', () => {
    const sarif = toSarif(report, '1.2.3') as {
      runs: {tool: {driver: {rules: Record<string, unknown>[]}}; results: Record<string, unknown>[]}[]
    }
    const validate = sarifValidator()
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true)
    const [run] = sarif.runs
    const rules = run!.tool.driver.rules
    expect(rules).to.have.length(report.rules.length)
    for (const rule of rules) {
      expect(rule).to.include.keys(
        'id',
        'shortDescription',
        'fullDescription',
        'help',
        'defaultConfiguration',
        'properties',
      )
      expect((rule.properties as Record<string, string>)['security-severity']).to.match(/^\d+\.\d$/)
    }
    const tls = rules.find((rule) => rule.id === 'SKT-EDGE-002')!
    expect(tls.defaultConfiguration).to.deep.equal({level: 'error'})
    expect(run!.results).to.have.length(report.findings.length)
    const result = run!.results.find((entry) => entry.ruleId === 'SKT-FLT-004') as {
      level: string
      locations: {
        logicalLocations: {fullyQualifiedName: string}[]
        physicalLocation: {artifactLocation: {uri: string}; region: {startLine: number}}
      }[]
    }
    expect(result.level).to.equal('error')
    expect(result.locations[0]!.logicalLocations[0]!.fullyQualifiedName).to.equal('aws_kms_key.data')
    expect(result.locations[0]!.physicalLocation.artifactLocation.uri).to.equal('fleet/beta/cdk.tf.json')
    const suppressed = run!.results.filter((entry) => entry.suppressions)
    expect(suppressed).to.have.length(1)
    expect(suppressed[0]).to.deep.include({ruleId: 'SKT-FLT-003'})
    expect((suppressed[0]!.suppressions as {status: string; justification: string}[])[0]).to.deep.include({
      status: 'accepted',
    })
  })

  it('SARIF URIs are relative to the workspace root with a base id, and absolute outside it', () => {
    const moved: AuditReport = {
      ...report,
      findings: report.findings.map((finding, index) => ({
        ...finding,
        // As `seiketsu audit -w ws2` from the parent folder names them; one file outside the workspace.
        file:
          index === 0
            ? join('..', 'elsewhere', 'main.tf')
            : join('ws2', 'cdktf.out', 'stacks', finding.stack, 'cdk.tf.json'),
      })),
    }
    const parent = join(sep, 'home', 'ops', 'platform')
    const sarif = toSarif(moved, '1.2.3', {cwd: parent, root: join(parent, 'ws2')}) as {
      runs: {
        originalUriBaseIds: Record<string, {uri?: string}>
        results: {locations: {physicalLocation: {artifactLocation: {uri: string; uriBaseId?: string}}}[]}[]
      }[]
    }
    const validate = sarifValidator()
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true)
    const [run] = sarif.runs
    expect(run!.originalUriBaseIds['%SRCROOT%']!.uri).to.equal(`${pathToFileURL(join(parent, 'ws2')).href}/`)
    const locations = run!.results.map((result) => result.locations[0]!.physicalLocation.artifactLocation)
    expect(locations[0]).to.deep.equal({uri: pathToFileURL(join(parent, '..', 'elsewhere', 'main.tf')).href})
    expect(locations[1]).to.deep.equal({
      uri: `cdktf.out/stacks/${moved.findings[1]!.stack}/cdk.tf.json`,
      uriBaseId: '%SRCROOT%',
    })
  })

  it('JUnit is well-formed, with one test case per rule and resource, failures and skipped suppressions', () => {
    const xml = toJunit(report)
    expect(XMLValidator.validate(xml)).to.equal(true)
    const parsed = new XMLParser({
      ignoreAttributes: false,
      isArray: (name) => ['testsuite', 'testcase'].includes(name),
    }).parse(xml) as {
      testsuites: {
        '@_tests': string
        '@_failures': string
        '@_skipped': string
        testsuite: {'@_name': string; testcase: Record<string, unknown>[]}[]
      }
    }
    const cases = parsed.testsuites.testsuite.flatMap((suite) => suite.testcase)
    expect(Number(parsed.testsuites['@_tests'])).to.equal(cases.length)
    const names = cases.map((testcase) => testcase['@_name'] as string)
    expect(new Set(names).size).to.equal(names.length - countDuplicatesAcrossSuites(parsed.testsuites.testsuite))
    expect(cases.filter((testcase) => testcase.failure)).to.have.length(Number(parsed.testsuites['@_failures']))
    expect(Number(parsed.testsuites['@_skipped'])).to.equal(1)
    const beta = parsed.testsuites.testsuite.find((suite) => suite['@_name'] === 'fleet/beta')!
    const kms = beta.testcase.find((testcase) =>
      (testcase['@_name'] as string).startsWith('SKT-FLT-004 aws_kms_key.data'),
    )
    expect(kms?.failure).to.not.equal(undefined)
    const passing = beta.testcase.find((testcase) =>
      (testcase['@_name'] as string).startsWith('SKT-KMS-001 aws_kms_key.data'),
    )
    expect(passing).to.not.equal(undefined)
    expect(passing!.failure).to.equal(undefined)
  })

  it('the table lists findings and says how the audit went', () => {
    const text = renderAuditTable(report, {color: false})
    expect(text).to.match(/SKT-FLT-004\s+fleet\/beta\s+aws_kms_key\.data/)
    expect(text).to.match(/suppressed/)
    expect(text.split('\n').at(-1)).to.match(/^FAILED: 4 stack\(s\), .* failing at low and above\.$/)
    expect(renderAuditTable(report, {color: true})).to.include('\u001B[')
  })

  it('--output takes FORMAT=FILE pairs and bare files in --format', () => {
    expect(parseOutputs(['sarif=out/audit.sarif', 'junit=a=b.xml', 'report.json'], 'json')).to.deep.equal([
      {file: 'out/audit.sarif', format: 'sarif'},
      {file: 'a=b.xml', format: 'junit'},
      {file: 'report.json', format: 'json'},
    ])
    expect(() => parseOutputs(['html=x.html'], 'table')).to.throw(/unknown format 'html'/)
  })
})

/** Test-case names repeat across suites (same rule and address in two stacks), never within one. */
function countDuplicatesAcrossSuites(suites: {testcase: Record<string, unknown>[]}[]): number {
  const all = suites.flatMap((suite) => suite.testcase.map((testcase) => testcase['@_name'] as string))
  for (const suite of suites) {
    const names = suite.testcase.map((testcase) => testcase['@_name'] as string)
    expect(new Set(names).size, 'test cases within a suite are unique').to.equal(names.length)
  }
  return all.length - new Set(all).size
}
