import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {usageError} from '../errors.ts'
import {toJunit} from './formats/junit.ts'
import {toSarif, type SarifPaths} from './formats/sarif.ts'
import {renderAuditTable} from './formats/table.ts'
import type {AuditReport} from './types.ts'

export const FORMATS = ['table', 'json', 'sarif', 'junit'] as const
export type AuditFormat = (typeof FORMATS)[number]

export interface OutputTarget {
  format: AuditFormat
  file: string
}

/**
 * `--output` values: `FORMAT=FILE` (e.g. sarif=audit.sarif), or a bare FILE that takes `--format`.
 * Several may be given; the human table still goes to the screen.
 */
export function parseOutputs(values: readonly string[], format: AuditFormat): OutputTarget[] {
  return values.map((value) => {
    const match = /^([a-z]+)=(.+)$/.exec(value)
    if (!match) return {file: value, format}
    const [, name, file] = match
    if (!(FORMATS as readonly string[]).includes(name!))
      throw usageError(`output ${value}: unknown format '${name}' (allowed: ${FORMATS.join(', ')})`, {
        code: 'INVALID_FLAG',
        input: 'output',
        suggestions: ['--output sarif=audit.sarif --output junit=audit.xml'],
      })
    return {file: file!, format: name as AuditFormat}
  })
}

/**
 * The JSON report: everything but the list of passing and failing checks (one per rule and resource,
 * ~200 per stack), which only JUnit needs; `counts.checks` keeps their number.
 */
export function jsonReport(report: AuditReport): Omit<AuditReport, 'checks'> {
  const {checks: _checks, ...rest} = report
  return rest
}

export function renderReport(
  report: AuditReport,
  format: AuditFormat,
  options: {color: boolean; version: string; paths?: SarifPaths},
): string {
  switch (format) {
    case 'json': {
      return `${JSON.stringify(jsonReport(report), null, 2)}\n`
    }
    case 'sarif': {
      return `${JSON.stringify(toSarif(report, options.version, options.paths), null, 2)}\n`
    }
    case 'junit': {
      return toJunit(report)
    }
    default: {
      return `${renderAuditTable(report, {color: options.color})}\n`
    }
  }
}

export async function writeOutputs(
  report: AuditReport,
  targets: readonly OutputTarget[],
  options: {cwd: string; version: string; root?: string},
): Promise<string[]> {
  const written: string[] = []
  const paths = {cwd: options.cwd, root: options.root ?? options.cwd}
  for (const target of targets) {
    const file = resolve(options.cwd, target.file)
    try {
      await mkdir(dirname(file), {recursive: true})
      await writeFile(file, renderReport(report, target.format, {color: false, paths, version: options.version}))
    } catch (error) {
      throw usageError(
        `output ${target.file}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        {
          code: 'UNWRITABLE_OUTPUT',
          input: 'output',
        },
      )
    }
    written.push(target.file)
  }
  return written
}
