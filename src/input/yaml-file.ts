import {readFile} from 'node:fs/promises'

import {LineCounter, parseDocument, isNode} from 'yaml'

import {usageError} from '../errors.ts'

/** A parsed YAML (or JSON) file that can still say on which line a field was written. */
export interface ParsedFile {
  file: string
  data: unknown
  lineOf(path: readonly PropertyKey[]): number | undefined
}

/** Parses YAML text; JSON is YAML too. A syntax error is a usage error naming the file and line. */
export function parseYamlText(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  if (document.errors.length > 0) {
    const first = document.errors[0]!
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line
    throw usageError(`${file}${line ? `:${line}` : ''}: not valid YAML: ${first.message.split('\n')[0]}`, {
      code: 'MALFORMED_FILE',
      details: {file, line},
    })
  }
  return {
    file,
    data: document.toJS(),
    lineOf(path) {
      if (path.length === 0) return undefined
      const node = document.getIn(path as unknown[], true)
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line
      return undefined
    },
  }
}

export async function readYamlFile(file: string, label = file): Promise<ParsedFile> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`
    throw usageError(`${label}: ${reason}`, {code: 'UNREADABLE_FILE', details: {file: label}})
  }
  return parseYamlText(text, label)
}
