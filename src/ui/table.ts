import chalk from 'chalk'
import Table from 'cli-table3'

/** A plain table for terminals and CI logs alike (no colour when the output is not a terminal). */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const table = new Table({
    head: head.map((title) => chalk.bold(title)),
    style: {border: [], compact: true, head: [], 'padding-left': 0, 'padding-right': 2},
    chars: {
      bottom: '',
      'bottom-left': '',
      'bottom-mid': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      middle: '',
      right: '',
      'right-mid': '',
      top: '',
      'top-left': '',
      'top-mid': '',
      'top-right': '',
    },
  })
  for (const row of rows) table.push(row.map(String))
  return table.toString()
}
