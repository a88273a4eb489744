import {Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {ExitCode, SeiketsuError} from '../../errors.ts'
import {loadRegistry} from '../../registry/registry.ts'
import {readTrail, verifyTrail, type TrailRecord, type TrailVerification} from '../../registry/audit-trail.ts'
import {renderTable} from '../../ui/table.ts'
import {workspacePaths} from '../../workspace/workspace.ts'

export interface AuditTrailResult {
  file: string
  records: TrailRecord[]
  verification?: TrailVerification
}

export default class AuditTrail extends SeiketsuCommand<AuditTrailResult> {
  static override description = `Every registry change (onboard, update, status change, key rotation, secret put) is a record in .seiketsu/audit-trail.jsonl: when, who (OS user and git identity), the command, the client and the change. Each record carries the hash of the one before it.
--verify recomputes the chain: exit 0 when intact, exit 3 naming the first record that was edited, removed or reordered.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --client acme-realty',
    '<%= config.bin %> <%= command.id %> --verify',
  ]
  static exitCodes = exitCodeTable({
    0: 'the trail was shown (--verify: it is intact)',
    3: 'the hash chain is broken (the first bad record is named)',
  })
  static override flags = {
    client: Flags.string({description: 'Only the records of this client.'}),
    verify: Flags.boolean({default: false, description: 'Check the hash chain; exit 3 when it is broken.'}),
  }
  static override summary = 'Show or verify the audit trail of registry changes.'

  async run(): Promise<AuditTrailResult> {
    const {flags} = await this.parse(AuditTrail)
    const workspace = await this.workspace(flags)
    const file = workspacePaths(workspace.root).auditTrail
    const lines = await readTrail(file)
    // A line that is not even a record breaks listing too: report it as --verify would.
    const unreadable = lines.some((line) => {
      try {
        JSON.parse(line)
        return false
      } catch {
        return true
      }
    })
    const verification = flags.verify || unreadable ? verifyTrail(lines) : undefined
    if (verification && !verification.ok) {
      const bad = verification.firstBad!
      const where = bad.seq === undefined ? `line ${bad.line}` : `record ${bad.seq} (line ${bad.line}`
      throw new SeiketsuError(
        `The audit trail is broken at ${where}${bad.seq === undefined ? '' : ')'} of .seiketsu/audit-trail.jsonl: ${bad.reason}`,
        ExitCode.Policy,
        {
          code: 'TRAIL_BROKEN',
          details: verification,
          suggestions: ['Compare the file with its history in git (git log -p .seiketsu/audit-trail.jsonl).'],
        },
      )
    }
    const records = lines
      .map((line) => JSON.parse(line) as TrailRecord)
      .filter((record) => !flags.client || record.client === flags.client)
    // A client with no record at all: unknown (a typo), unless the registry has it.
    if (flags.client && records.length === 0) (await loadRegistry(workspace)).get(flags.client)
    if (!this.jsonEnabled()) {
      if (verification)
        this.log(`The audit trail is intact: ${verification.records} records, each chained to the one before.`)
      else if (records.length === 0) this.log('No registry changes recorded yet.')
      else
        this.log(
          renderTable(
            ['#', 'WHEN', 'WHO', 'CLIENT', 'ACTION', 'CHANGE'],
            records.map((record) => [
              record.seq,
              record.at,
              record.actor.git ?? record.actor.osUser,
              record.client,
              record.action,
              summarize(record.change),
            ]),
          ),
        )
    }
    return {file, records, ...(flags.verify && verification ? {verification} : {})}
  }
}

function summarize(change: Record<string, unknown>): string {
  if ('created' in change) return 'created'
  return Object.entries(change)
    .map(([field, value]) => {
      const {from, to} = (value ?? {}) as {from?: unknown; to?: unknown}
      return from === undefined && to === undefined ? field : `${field} ${JSON.stringify(from)}→${JSON.stringify(to)}`
    })
    .join(', ')
}
