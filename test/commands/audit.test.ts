import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import type {AuditReport} from '../../src/audit/types.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import type {Workspace} from '../../src/workspace/workspace.ts'
import {auditFixtures} from '../audit/helpers.ts'
import {baselineStackFor, writeClientStack} from '../audit/workspace-stacks.ts'
import {makeTempDir, parseJson, removeDir, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const TLS13 = 'ELBSecurityPolicy-TLS13-1-3-2021-06'

describe('seiketsu audit', () => {
  let workspace: Workspace
  const exceptions = () => join(workspace.root, 'audit-exceptions.yaml')

  before(async () => {
    workspace = await makeWorkspace({
      clients: [draftClient('acme', {accountId: '222222222222'}), draftClient('beta', {accountId: '333333333333'})],
    })
    for (const client of (await loadRegistry(workspace)).clients) {
      const text = await baselineStackFor(client)
      // beta's listener still allows TLS 1.2: one high finding in the fleet.
      await writeClientStack(
        workspace,
        client.id,
        client.id === 'beta' ? text.replace(TLS13, 'ELBSecurityPolicy-TLS13-1-2-2021-06') : text,
      )
    }
  })
  after(() => removeDir(workspace.root))
  afterEach(() => rm(exceptions(), {force: true}))

  it('passes a clean stack (exit 0) and fails on a finding at or above --fail-on (exit 3), --json being the report', async () => {
    const acme = await runCli(['audit', 'acme', '--json'], {cwd: workspace.root})
    expect(acme.exitCode).to.equal(0)
    const clean = parseJson<AuditReport>(acme)
    expect(clean).to.have.keys('findings', 'rules', 'counts', 'stacks', 'suppressions', 'passed', 'failOn', 'outputs')
    expect(clean.passed).to.equal(true)
    expect(clean.stacks.map((stack) => stack.id)).to.deep.equal(['acme'])

    const all = await runCli(['audit', '--json'], {cwd: workspace.root})
    expect(all.exitCode).to.equal(3)
    const report = parseJson<AuditReport>(all)
    expect(
      report.findings.map((finding) => [finding.client, finding.ruleId, finding.address, finding.severity]),
    ).to.deep.equal([['beta', 'SKT-EDGE-002', 'aws_lb_listener.https', 'high']])
    expect(report.findings[0]!.file).to.equal(join('cdktf.out', 'stacks', 'beta', 'cdk.tf.json'))
    expect(report.findings[0]!.line).to.be.a('number').greaterThan(1)

    const critical = await runCli(['audit', '--fail-on', 'critical'], {cwd: workspace.root})
    expect(critical.exitCode).to.equal(0)
    expect(critical.stdout).to.match(/high\s+SKT-EDGE-002\s+beta\s+aws_lb_listener\.https/)
    expect(critical.stdout).to.match(/PASSED: 2 stack\(s\)/)
  })

  it('writes SARIF and JUnit files while the table goes to the screen', async () => {
    const result = await runCli(
      ['audit', '--output', 'sarif=reports/audit.sarif', '--output', 'junit=reports/audit.xml'],
      {cwd: workspace.root},
    )
    expect(result.exitCode).to.equal(3)
    expect(result.stdout).to.match(/FAILED: 2 stack\(s\)/)
    expect(result.stderr).to.include('Wrote sarif report to reports/audit.sarif')
    const sarif = JSON.parse(await readFile(join(workspace.root, 'reports', 'audit.sarif'), 'utf8')) as {
      version: string
      runs: {results: {ruleId: string}[]}[]
    }
    expect(sarif.version).to.equal('2.1.0')
    expect(sarif.runs[0]!.results.map((entry) => entry.ruleId)).to.deep.equal(['SKT-EDGE-002'])
    expect(await readFile(join(workspace.root, 'reports', 'audit.xml'), 'utf8')).to.match(
      /^<\?xml[\s\S]*<failure message="ssl_policy/,
    )
  })

  it('points SARIF locations at the workspace root, from wherever it runs (-w from the parent folder)', async () => {
    const output = join(workspace.root, 'reports', 'from-parent.sarif')
    const result = await runCli(['audit', '--workspace', basename(workspace.root), '--output', `sarif=${output}`], {
      cwd: dirname(workspace.root),
    })
    expect(result.exitCode).to.equal(3)
    const sarif = JSON.parse(await readFile(output, 'utf8')) as {
      runs: {
        originalUriBaseIds: Record<string, {uri: string}>
        results: {locations: {physicalLocation: {artifactLocation: unknown}}[]}[]
      }[]
    }
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).to.deep.equal({
      uri: 'cdktf.out/stacks/beta/cdk.tf.json',
      uriBaseId: '%SRCROOT%',
    })
    expect(sarif.runs[0]!.originalUriBaseIds['%SRCROOT%']!.uri).to.equal(`${pathToFileURL(workspace.root).href}/`)
  })

  it('honours audit-exceptions.yaml for the client it names only, and reports expired exceptions', async () => {
    const entry = (client: string, expires: string) =>
      `  - rule: SKT-EDGE-002\n    client: '${client}'\n    resource: aws_lb_listener.https\n    reason: The partner's legacy dialler needs TLS 1.2 until March\n    expires: ${expires}\n`
    await writeFile(exceptions(), `exceptions:\n${entry('beta', '2099-12-31')}`)
    const suppressed = await runCli(['audit', '--json', '--output', 'sarif=audit.sarif'], {cwd: workspace.root})
    expect(suppressed.exitCode).to.equal(0)
    const report = parseJson<AuditReport>(suppressed)
    expect(report.findings).to.have.length(1)
    expect(report.findings[0]!.suppressed).to.deep.equal({
      expires: '2099-12-31',
      reason: "The partner's legacy dialler needs TLS 1.2 until March",
    })
    const sarif = JSON.parse(await readFile(join(workspace.root, 'audit.sarif'), 'utf8')) as {
      runs: {results: {suppressions?: unknown[]}[]}[]
    }
    expect(sarif.runs[0]!.results[0]!.suppressions).to.have.length(1)

    await writeFile(exceptions(), `exceptions:\n${entry('acme', '2099-12-31')}`)
    const otherClient = await runCli(['audit', '--json'], {cwd: workspace.root})
    expect(otherClient.exitCode).to.equal(3)
    expect(parseJson<AuditReport>(otherClient).suppressions.unused).to.have.length(1)

    await writeFile(exceptions(), `exceptions:\n${entry('*', '2020-01-31')}`)
    const expired = await runCli(['audit'], {cwd: workspace.root})
    expect(expired.exitCode).to.equal(3)
    expect(expired.errorText).to.match(
      /audit-exceptions\.yaml:2: the exception for SKT-EDGE-002 on \* aws_lb_listener\.https expired 2020-01-31/,
    )
  })

  it('rejects an invalid exceptions file with exit 2, naming the line and field', async () => {
    await writeFile(
      exceptions(),
      'exceptions:\n  - rule: SKT-EDGE-002\n    client: beta\n    resource: aws_lb_listener.https\n    expires: next week\n',
    )
    const result = await runCli(['audit'], {cwd: workspace.root})
    expect(result.exitCode).to.equal(2)
    expect(result.errorText).to.include('audit-exceptions.yaml:2: exceptions[0].reason: required')
    expect(result.errorText).to.include(
      'audit-exceptions.yaml:5: exceptions[0].expires: must be a date such as 2026-12-31',
    )
  })

  it('lists the rules with `audit rules` (never taken for a client id) and rejects unknown ids and missing stacks', async () => {
    const rules = await runCli(['audit', 'rules', '--json'], {cwd: workspace.root})
    expect(rules.exitCode).to.equal(0)
    const {rules: catalogue} = parseJson<{rules: {id: string; equivalents: {checkov: string[]}}[]}>(rules)
    expect(catalogue.find((rule) => rule.id === 'SKT-EDGE-002')?.equivalents.checkov).to.deep.equal([
      'CKV_AWS_103',
      'CKV2_AWS_74',
    ])

    const unknown = await runCli(['audit', 'nobody'], {cwd: workspace.root})
    expect(unknown.exitCode).to.equal(2)
    expect(unknown.errorText).to.include('Unknown client: nobody')

    const fresh = await makeWorkspace({clients: [draftClient('gamma')]})
    try {
      const missing = await runCli(['audit', 'gamma', '--json'], {cwd: fresh.root})
      expect(missing.exitCode).to.equal(2)
      const {error} = parseJson<{error: {code: string; message: string}}>(missing)
      expect(error.code).to.equal('NOT_SYNTHESIZED')
      expect(error.message).to.include(join('cdktf.out', 'stacks', 'gamma', 'cdk.tf.json'))
    } finally {
      await removeDir(fresh.root)
    }
  })

  it('audits Terraform and plans outside a workspace; malformed input is exit 2 naming file and line', async () => {
    const dir = await makeTempDir()
    try {
      await mkdir(join(dir, 'infra'))
      await writeFile(join(dir, 'infra', 'main.tf'), 'resource "aws_db_instance" "main" {\n  storage_encrypted = \n}\n')
      const hcl = await runCli(['audit', '--path', 'infra'], {cwd: dir})
      expect(hcl.exitCode).to.equal(2)
      expect(hcl.errorText).to.match(/infra\/main\.tf:2: not valid HCL/)

      await writeFile(
        join(dir, 'broken.tf.json'),
        '{\n  "resource": {\n    "aws_vpc": {"main": {"cidr_block": "10.0.0.0/16",}}\n  }\n}\n',
      )
      const json = await runCli(['audit', '--path', 'broken.tf.json', '--json'], {cwd: dir})
      expect(json.exitCode).to.equal(2)
      expect(parseJson<{error: {message: string; details: {line: number}}}>(json).error).to.deep.include({
        details: {file: 'broken.tf.json', line: 3},
      })

      const plan = await runCli(
        ['audit', '--plan-json', join(auditFixtures, 'plan', 'plan.json'), '--format', 'json'],
        {cwd: dir},
      )
      expect(plan.exitCode).to.equal(3)
      const report = JSON.parse(plan.stdout) as AuditReport
      expect(report.findings.map((finding) => finding.ruleId)).to.include.members(['SKT-RDS-008', 'SKT-S3-002'])

      const nothing = await runCli(['audit', '--path', 'infra/nowhere'], {cwd: dir})
      expect(nothing.exitCode).to.equal(2)
      expect(nothing.errorText).to.include('--path infra/nowhere: not found')
    } finally {
      await removeDir(dir)
    }
  })
})
