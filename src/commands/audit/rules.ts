import {ruleCatalogue} from '../../audit/catalogue.ts'
import type {RuleSummary} from '../../audit/types.ts'
import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {renderTable} from '../../ui/table.ts'

export interface AuditRulesResult {
  rules: RuleSummary[]
}

export default class AuditRules extends SeiketsuCommand<AuditRulesResult> {
  static override description =
    'Every rule seiketsu audit checks: id, title, severity, scope (resource, stack or fleet), resource types, the requirement it enforces, the peer Checkov / Trivy checks it corresponds to, and how to fix a finding. Needs no workspace.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static exitCodes = exitCodeTable({
    0: 'the rules were listed',
  })
  static override summary = 'List the audit rules.'

  async run(): Promise<AuditRulesResult> {
    await this.parse(AuditRules)
    const rules = await ruleCatalogue()
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['ID', 'SEVERITY', 'SCOPE', 'TITLE', 'PEERS'],
          rules.map((rule) => [
            rule.id,
            rule.severity,
            rule.scope,
            rule.title,
            [...rule.equivalents.checkov, ...rule.equivalents.trivy].join(' ') || '-',
          ]),
        ),
      )
      this.log(`\n${rules.length} rules. --json shows every field (requirement, resource types, remediation).`)
    }
    return {rules}
  }
}
