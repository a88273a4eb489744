import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {storedStack} from '../../src/stacks/store.ts'
import type {ClientManifest} from '../../src/registry/manifest.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {auditFixtures} from './helpers.ts'

const template = readFile(join(auditFixtures, 'stacks', 'acme.tf.json'), 'utf8')

/**
 * The hand-written baseline stack (client acme, account 222222222222, 10.0.0.0/16, silver) made into
 * another silver client's stack: its id, account and CIDR. Fleet tests get many stacks from it without
 * synthesizing each.
 */
export async function baselineStackFor(client: Pick<ClientManifest, 'id' | 'accountId' | 'cidr'>): Promise<string> {
  const [a, b] = client.cidr.split('.')
  return (await template)
    .replaceAll('222222222222', client.accountId ?? '222222222222')
    .replaceAll('"10.0.', `"${a}.${b}.`)
    .replaceAll(/\bacme\b/g, client.id)
}

export async function writeClientStack(workspace: Workspace, id: string, text: string): Promise<string> {
  const file = storedStack(workspacePaths(workspace.root).out, id).file
  await mkdir(join(file, '..'), {recursive: true})
  await writeFile(file, text)
  return file
}
