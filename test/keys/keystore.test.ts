import {chmod, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {LocalKeyStore} from '../../src/keys/keystore.ts'
import {ensureSigningKeys, loadSigningKeys, rotateSigningKeys} from '../../src/keys/signing-keys.ts'
import {readTrail} from '../../src/registry/audit-trail.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {workspacePaths} from '../../src/workspace/workspace.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('local keystore', () => {
  it('keeps keys in .seiketsu/keys/<client>/: folders 0700, file 0600, no temp files left', async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme')]})
    const acme = (await loadRegistry(workspace)).get('acme')
    const created = await ensureSigningKeys(workspace, acme)
    expect(created).to.include({client: 'acme', created: true, store: 'local'})
    const dir = join(workspacePaths(workspace.root).keys, 'acme')
    expect(await mode(workspacePaths(workspace.root).keys)).to.equal(0o700)
    expect(await mode(dir)).to.equal(0o700)
    expect(await mode(join(dir, 'signing-keys.json'))).to.equal(0o600)
    await rotateSigningKeys(workspace, acme, {force: true})
    expect(await mode(join(dir, 'signing-keys.json'))).to.equal(0o600)
    expect((await readdir(dir)).sort()).to.deep.equal(['signing-keys.json'])
    // Idempotent: a second call keeps the keys.
    const again = await ensureSigningKeys(workspace, acme)
    expect(again.created).to.equal(false)
    // git ignores the folder in a new workspace.
    expect(await readFile(join(workspace.root, '.gitignore'), 'utf8')).to.contain('.seiketsu/keys/')
  })

  it('records creation and rotation in the audit trail without key material', async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme')]})
    const acme = (await loadRegistry(workspace)).get('acme')
    await ensureSigningKeys(workspace, acme, {command: 'seiketsu onboard'})
    await rotateSigningKeys(workspace, acme, {force: true})
    const lines = await readTrail(workspacePaths(workspace.root).auditTrail)
    const records = lines.map((line) => JSON.parse(line) as {action: string; command: string; client: string})
    expect(records.map((record) => [record.action, record.client])).to.deep.include.members([
      ['create-signing-keys', 'acme'],
      ['rotate-signing-keys', 'acme'],
    ])
    const stored = (await loadSigningKeys(workspace, acme))!
    for (const key of stored.keys) expect(lines.join('\n')).to.not.contain(key.jwk.d)
    expect(lines.join('\n')).to.not.match(/"d":/)
  })

  it('refuses a key file or folder others can read (exit 3), as ssh does', async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme')]})
    const acme = (await loadRegistry(workspace)).get('acme')
    await ensureSigningKeys(workspace, acme)
    const store = new LocalKeyStore(workspace.root, 'acme')
    await chmod(store.file, 0o644)
    const error = await loadSigningKeys(workspace, acme).catch((caught: unknown) => caught)
    expect(isSeiketsuError(error) && [error.exitCode, error.code]).to.deep.equal([3, 'KEYSTORE_PERMISSIONS'])
    await chmod(store.file, 0o600)
    await chmod(store.dir, 0o755)
    const dirError = await loadSigningKeys(workspace, acme).catch((caught: unknown) => caught)
    expect(isSeiketsuError(dirError) && dirError.code).to.equal('KEYSTORE_PERMISSIONS')
    // Writers refuse too, rather than quietly tightening the folder over keys that may have leaked.
    const rotation = await rotateSigningKeys(workspace, acme, {force: true}).catch((caught: unknown) => caught)
    expect(isSeiketsuError(rotation) && rotation.code).to.equal('KEYSTORE_PERMISSIONS')
    expect(await mode(store.dir)).to.equal(0o755)
  })

  it('refuses a damaged key set (exit 2) without printing key material', async () => {
    const workspace = await makeWorkspace({clients: [draftClient('acme')]})
    const acme = (await loadRegistry(workspace)).get('acme')
    await ensureSigningKeys(workspace, acme)
    const store = new LocalKeyStore(workspace.root, 'acme')
    const set = JSON.parse(await readFile(store.file, 'utf8'))
    // A kid that is not the key's thumbprint (a swapped key).
    set.keys[0].kid = set.keys[1].kid.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A'))
    await writeFile(store.file, JSON.stringify(set), {mode: 0o600})
    const error = await loadSigningKeys(workspace, acme).catch((caught: unknown) => caught)
    expect(isSeiketsuError(error) && [error.exitCode, error.code]).to.deep.equal([2, 'INVALID_KEYSTORE'])
    // A schema problem names the field, never the value.
    set.keys[0].jwk.d = 42
    await writeFile(store.file, JSON.stringify(set), {mode: 0o600})
    const schemaError = await loadSigningKeys(workspace, acme).catch((caught: unknown) => caught)
    expect(isSeiketsuError(schemaError) && schemaError.exitCode).to.equal(2)
    expect((schemaError as Error).message)
      .to.contain('keys[0].jwk.d')
      .and.not.contain(set.keys[1].jwk.d)
    await writeFile(store.file, '{', {mode: 0o600})
    expect(((await loadSigningKeys(workspace, acme).catch((caught: unknown) => caught)) as Error).message).to.contain(
      'not a JSON key set',
    )
  })
})
