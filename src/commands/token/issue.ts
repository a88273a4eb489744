import {Flags} from '@oclif/core'

import {exitCodeTable, SeiketsuCommand} from '../../base-command.ts'
import {trailHead} from '../../registry/audit-trail.ts'
import {workspacePaths} from '../../workspace/workspace.ts'
import {awsFlags, awsOptionsFrom} from '../../keys/aws-flags.ts'
import {issueClientToken} from '../../keys/tokens.ts'

export interface TokenIssueResult {
  token: string
  kid: string
  expiresAt: string
}

export default class TokenIssue extends SeiketsuCommand<TokenIssueResult> {
  static override description = `Signs a JWT with the client's current key (ES256; kid = the key's RFC 7638 thumbprint). Claims: client_id, user_id (also sub), role, permissions (the role's, from templates/rbac.yaml), account_id, iss, aud, iat, nbf, exp, jti; header typ client-token+jwt.
The client's signing keys are created on first use. The token alone goes to stdout; details go to stderr.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --client acme-realty --user alice@acme.example --role agent',
    '<%= config.bin %> <%= command.id %> --client acme-realty --user ops-bot --role viewer --ttl 30s --json',
  ]
  static exitCodes = exitCodeTable({
    0: 'issued: the token alone on stdout',
    2: 'an unknown client or role, or an invalid --ttl or --user',
    3: 'the client is not active',
    4: 'AWS failed',
  })
  static override flags = {
    ...awsFlags,
    client: Flags.string({description: 'Client id.', required: true}),
    role: Flags.string({description: 'Client role: admin, agent or viewer (templates/rbac.yaml).', required: true}),
    ttl: Flags.string({description: "Lifetime such as 30s, 15m or 1h (default 15m; at most the role's maxTtl)."}),
    user: Flags.string({description: 'The user the token is for (user_id and sub).', required: true}),
  }
  static override summary = 'Issue a ClientToken (JWT) for a user of a client.'

  async run(): Promise<TokenIssueResult> {
    const {flags} = await this.parse(TokenIssue)
    const workspace = await this.workspace(flags)
    // Every change here is recorded: a broken trail stops it before anything changes.
    await trailHead(workspacePaths(workspace.root).auditTrail)
    const issued = await issueClientToken(
      workspace,
      flags.client,
      {role: flags.role, ttl: flags.ttl, user: flags.user},
      {awsOptions: awsOptionsFrom(flags)},
    )
    if (!this.jsonEnabled()) {
      if (issued.keysCreated) this.logToStderr(`Created the signing keys of ${issued.client}.`)
      this.logToStderr(
        `${issued.claims.role} token for ${issued.claims.user_id} at ${issued.client}, key ${issued.kid}, expires ${issued.expiresAt}`,
      )
      this.log(issued.token)
    }
    return {expiresAt: issued.expiresAt, kid: issued.kid, token: issued.token}
  }
}
