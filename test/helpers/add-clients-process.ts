// A separate process that onboards clients through the real registry code, one addClients call per
// id: several of these run at once in the concurrency tests, and some are killed mid-way.
import {addClients} from '../../src/registry/changes.ts'
import {loadWorkspace} from '../../src/workspace/workspace.ts'
import {draftClient} from './workspace.ts'

const [dir, ...ids] = process.argv.slice(2)
const workspace = await loadWorkspace(dir)
for (const id of ids) {
  await addClients(workspace, [{draft: draftClient(id), source: {file: 'test'}}], {command: 'test'})
  process.stdout.write(`${id}\n`)
}
