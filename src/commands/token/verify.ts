import {Args, Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {usageError} from '../../errors.ts'
import {awsFlags, awsOptionsFrom} from '../../keys/aws-flags.ts'
import {verifyClientToken, type VerifiedToken} from '../../keys/tokens.ts'
import {readStdinValue} from '../../ui/stdin.ts'

export type TokenVerifyResult = VerifiedToken

export default class TokenVerify extends SeiketsuCommand<TokenVerifyResult> {
  static override args = {
    token: Args.string({description: 'The JWT, or - to read it from stdin.', required: true}),
  }
  static override description = `Exit 0 and the claims when the token is valid; exit 3 with the reason otherwise.
Only ES256 is accepted (never none, never HMAC); the kid is looked up only in the key set of one client (--client, or the token's client_id, which must then match); iss, aud, exp and nbf are checked with the workspace's clock skew; the role must grant every permission the token carries.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> eyJhbGciOi… --client acme-realty',
    'echo "$TOKEN" | <%= config.bin %> <%= command.id %> - --require leads:write --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'the token is valid: its claims',
    3: 'the token is rejected: the reason (code TOKEN_…)',
    4: 'AWS failed',
  })
  static override flags = {
    ...awsFlags,
    client: Flags.string({description: "Accept only this client's tokens (default: the token's client_id)."}),
    require: Flags.string({description: 'A permission the token must carry (repeatable).', multiple: true}),
  }
  static override summary = 'Verify a ClientToken.'

  async run(): Promise<TokenVerifyResult> {
    const {args, flags} = await this.parse(TokenVerify)
    const workspace = await this.workspace(flags)
    const token = args.token === '-' ? await readStdinValue() : args.token
    if (!token.trim()) throw usageError('No token: TOKEN (or stdin with -) is empty', {code: 'MISSING_INPUT'})
    const verified = await verifyClientToken(workspace, token, {
      awsOptions: awsOptionsFrom(flags),
      client: flags.client,
      require: flags.require,
    })
    if (!this.jsonEnabled()) {
      const {claims} = verified
      this.log(`Valid ${claims.role} token of ${claims.user_id} for ${verified.client} (key ${verified.kid})`)
      this.log(`  expires      ${verified.expiresAt}`)
      this.log(`  permissions  ${claims.permissions.join(' ') || '-'}`)
      this.log(`  issuer       ${claims.iss}`)
      this.log(`  audience     ${claims.aud}`)
      this.log(`  jti          ${claims.jti}`)
    }
    return verified
  }
}
