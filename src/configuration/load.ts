import {readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {usageError} from '../errors.ts'

/** Reading configuration files from disk: JSON and HCL. Every failure is exit 2 naming the file (and line). */

const SKIPPED_DIRS = new Set(['node_modules', '.terraform', '.git'])

function isConfigFile(name: string): boolean {
  return name.endsWith('.tf.json') || name.endsWith('.tf')
}

export function malformedInput(file: string, line: number | undefined, reason: string) {
  return usageError(`${file}${line ? `:${line}` : ''}: ${reason}`, {
    code: 'MALFORMED_FILE',
    details: {file, line},
    suggestions: ['Fix the file, or leave it out of what is audited.'],
  })
}

/** A file's text; `label` is how messages name it. */
export async function readInputText(file: string, label: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`
    throw usageError(`${label}: ${reason}`, {code: 'UNREADABLE_FILE', details: {file: label}})
  }
}

/** JSON.parse with the line of the error in the message. */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    const message = (error as Error).message
    const lineMatch = /line (\d+)/.exec(message)
    const position = /position (\d+)/.exec(message)
    const line = lineMatch
      ? Number(lineMatch[1])
      : position
        ? text.slice(0, Number(position[1])).split('\n').length
        : undefined
    throw malformedInput(
      label,
      line,
      `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '').split('\n')[0]}`,
    )
  }
}

/** HCL through @cdktf/hcl2json (a WebAssembly build of HashiCorp's parser, no install script, offline). */
export async function parseHcl(text: string, label: string): Promise<Record<string, unknown>> {
  const {parse} = await import('@cdktf/hcl2json')
  try {
    return (await parse(label, text)) as Record<string, unknown>
  } catch (error) {
    const message = String((error as Error).message ?? error)
    const line = /:(\d+),\d+-/.exec(message)?.[1]
    const detail = /:\d+,\d+-[\d,]+: ([^\]]+)/.exec(message)?.[1] ?? message
    throw malformedInput(label, line ? Number(line) : undefined, `not valid HCL: ${detail.trim()}`)
  }
}

/** The configuration files at a path: the file itself, or the *.tf and *.tf.json of a folder and its subfolders. */
export async function configurationFiles(path: string): Promise<string[]> {
  const info = await stat(path)
  if (info.isFile()) return [path]
  const files: string[] = []
  for (const entry of await readdir(path, {withFileTypes: true})) {
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name))
      files.push(...(await configurationFiles(join(path, entry.name))))
    else if (entry.isFile() && isConfigFile(entry.name)) files.push(join(path, entry.name))
  }
  return files.sort()
}
