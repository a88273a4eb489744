import {readFile, writeFile} from 'node:fs/promises'

import {unzipSync, zipSync} from 'fflate'

/**
 * Rewrites a terraform plan file (a zip archive) with one entry transformed: what a plan made by
 * another terraform version looks like (its `tfplan` entry names that version). The result is
 * written with stored entries, which terraform reads like deflated ones.
 */
export async function rewritePlanEntry(file: string, name: string, transform: (data: Buffer) => Buffer): Promise<void> {
  const entries = unzipSync(await readFile(file))
  const rewritten = Object.fromEntries(
    Object.entries(entries).map(([entryName, data]) => [
      entryName,
      entryName === name ? new Uint8Array(transform(Buffer.from(data))) : data,
    ]),
  )
  await writeFile(file, zipSync(rewritten, {level: 0}))
}
