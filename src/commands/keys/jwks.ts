import {Args} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {awsFlags, awsOptionsFrom} from '../../keys/aws-flags.ts'
import {clientJwks} from '../../keys/signing-keys.ts'
import type {PublicJwk} from '../../keys/key-set.ts'

export interface KeysJwksResult {
  keys: PublicJwk[]
}

export default class KeysJwks extends SeiketsuCommand<KeysJwksResult> {
  static override args = {client: Args.string({description: 'Client id.', required: true})}
  static override description = `Prints the RFC 7517 JWK Set of a client's signing keys on stdout: the current key, the next key (published before it signs) and retiring keys still inside their overlap. Public parameters only, never a private one.
The platform API publishes this document; the keys are created on first use.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-realty > jwks.json',
    '<%= config.bin %> <%= command.id %> acme-realty --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'the key set was printed',
    4: 'AWS failed',
  })
  static override flags = {...awsFlags}
  static override summary = "Print a client's public JWKS."

  async run(): Promise<KeysJwksResult> {
    const {args, flags} = await this.parse(KeysJwks)
    const workspace = await this.workspace(flags)
    const {created, jwks} = await clientJwks(workspace, args.client, {awsOptions: awsOptionsFrom(flags)})
    if (!this.jsonEnabled()) {
      if (created) this.logToStderr(`Created the signing keys of ${args.client}.`)
      this.log(JSON.stringify(jwks, null, 2))
    }
    return jwks
  }
}
