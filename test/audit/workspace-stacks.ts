import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {stackFile} from '../../src/audit/audit.ts'
import type {ClientManifest} from '../../src/registry/manifest.ts'
import {workspacePaths, type Workspace} from '../../src/workspace/workspace.ts'
import {auditFixtures} from './helpers.ts'

const template = readFile(join(auditFixtures, 'stacks', 'acme.tf.json'), 'utf8')

/**
 * The hand-written baseline stack (client acme, account 222222222222, 10.0.0.0/16, silver) made into
 * another silver client's stack: its id, account and CIDR. Stands in for synth until it lands.
 */
export async function baselineStackFor(client: Pick<ClientManifest, 'id' | 'accountId' | 'cidr'>): Promise<string> {
  const [a, b] = client.cidr.split('.')
  return (await template)
    .replaceAll('222222222222', client.accountId ?? '222222222222')
    .replaceAll('"10.0.', `"${a}.${b}.`)
    .replaceAll(/\bacme\b/g, client.id)
}

export async function writeClientStack(workspace: Workspace, id: string, text: string): Promise<string> {
  const file = stackFile(workspacePaths(workspace.root).out, id)
  await mkdir(join(file, '..'), {recursive: true})
  await writeFile(file, text)
  return file
}
