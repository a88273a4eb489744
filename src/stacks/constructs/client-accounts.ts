import {OrganizationsAccount} from '@cdktf/provider-aws/lib/organizations-account/index.js'
import {Fn, TerraformVariable} from 'cdktf'
import type {Construct} from 'constructs'

import type {PlatformStackModel} from '../model.ts'

/**
 * The Organizations accounts of the clients that have none yet, by client id, each with the
 * bootstrap role the platform applies the client's bootstrap stack through. An account is never
 * closed by this stack: terraform refuses to destroy one, and one that leaves the stack is forgotten.
 */
export function clientAccounts(
  scope: Construct,
  model: Pick<PlatformStackModel, 'bootstrapRole' | 'clients'>,
): Record<string, OrganizationsAccount> {
  const rootEmailTemplate = model.clients.some((client) => client.newAccount?.email === null)
    ? refuseWithoutRootEmails(scope)
    : undefined
  const accounts: Record<string, OrganizationsAccount> = {}
  for (const client of model.clients) {
    if (!client.newAccount) continue
    accounts[client.id] = new OrganizationsAccount(scope, `account-${client.id}`, {
      closeOnDeletion: false,
      email: client.newAccount.email ?? Fn.replace(rootEmailTemplate!.stringValue, '{client}', client.id),
      // Budgets live in this (payer) account, so no role of the client account needs the bill.
      iamUserAccessToBilling: 'DENY',
      // AWS never reports the role name back, and an account's root email cannot change through
      // the API: ignoring both keeps plans clean and never replaces an account.
      lifecycle: {ignoreChanges: ['role_name', 'email'], preventDestroy: true},
      name: client.newAccount.name,
      roleName: model.bootstrapRole,
      tags: client.newAccount.tags,
    })
  }
  return accounts
}

/**
 * The workspace has no `accounts.rootEmailTemplate`, so the accounts this stack creates have no root
 * email: this variable's validation fails on every plan, with the fix, so terraform never creates an
 * account with a made-up address. The rest of the stack still validates.
 */
function refuseWithoutRootEmails(scope: Construct): TerraformVariable {
  return new TerraformVariable(scope, 'accountRootEmailTemplate', {
    default: '',
    description: 'Root email of the accounts this stack creates, with {client}: accounts.rootEmailTemplate.',
    type: 'string',
    validation: [
      {
        condition: '${var.account_root_email_template != ""}',
        errorMessage:
          "This stack creates AWS accounts, and seiketsu.yaml has no accounts.rootEmailTemplate to give them a platform-owned root email (never a client's own address). Set it, e.g. aws+{client}@ops.example.com, then run seiketsu synth again.",
      },
    ],
  })
}
