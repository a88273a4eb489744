import {createHash} from 'node:crypto'
import {readFile, readdir} from 'node:fs/promises'
import {join, relative} from 'node:path'

/** Every file under `root` (but .git) with a hash of its content: equal snapshots mean nothing changed on disk. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {}
  async function walk(dir: string) {
    for (const entry of await readdir(dir, {withFileTypes: true})) {
      if (entry.name === '.git') continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else
        result[relative(root, path)] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
    }
  }
  await walk(root)
  return result
}
