import {expect} from 'chai'

import {isSeiketsuError} from '../../src/errors.ts'
import {clientRoles, loadRbac, maxClientTokenLifetime, parseRbac, rbacViolation} from '../../src/keys/rbac.ts'

describe('RBAC data', () => {
  it("ships the seed's four roles; ClientTokens carry the three client roles", async () => {
    const rbac = await loadRbac()
    expect(Object.values(rbac.roles).map((role) => role.displayName)).to.deep.equal([
      'Platform Admin',
      'Client Admin',
      'Real Estate Agent',
      'Viewer',
    ])
    expect(clientRoles(rbac).map((role) => role.name)).to.deep.equal(['admin', 'agent', 'viewer'])
    expect(rbac.roles.viewer!.permissions).to.deep.equal(['reports:read'])
    // Client Admin holds every client permission; no client role holds a platform one.
    const clientPermissions = Object.keys(rbac.permissions).filter((name) => !name.startsWith('platform:'))
    expect(rbac.roles.admin!.permissions).to.have.members(clientPermissions)
    expect(maxClientTokenLifetime(rbac)).to.equal(8 * 3600)
  })

  it('says why a role and permissions do not belong together', async () => {
    const rbac = await loadRbac()
    expect(rbacViolation(rbac, 'agent', ['leads:read'])).to.equal(undefined)
    expect(rbacViolation(rbac, 'viewer', ['reports:read', 'leads:write'])).to.contain("does not grant 'leads:write'")
    expect(rbacViolation(rbac, 'platform-admin', [])).to.contain('not a client role')
    expect(rbacViolation(rbac, 'root', [])).to.contain('unknown role')
    expect(rbacViolation(rbac, 'viewer', 'reports:read')).to.contain('list of strings')
  })

  it('rejects a catalogue with unknown permissions or platform permissions in client roles (exit 2)', () => {
    const role = (permissions: string[], scope = 'client') => ({
      description: 'd',
      displayName: 'D',
      maxTtl: '1h',
      permissions,
      scope,
    })
    const attempt = () =>
      parseRbac(
        {
          permissions: {'platform:x:y': 'p', 'reports:read': 'r'},
          roles: {
            alpha: role(['reports:typo']),
            beta: role(['platform:x:y']),
            gamma: role(['reports:read'], 'platform'),
          },
        },
        'rbac.yaml',
      )
    try {
      attempt()
      expect.fail('expected problems')
    } catch (error) {
      expect(isSeiketsuError(error) && error.exitCode).to.equal(2)
      expect((error as Error).message)
        .to.contain("roles.alpha.permissions[0]: unknown permission 'reports:typo'")
        .and.contain("roles.beta.permissions[0]: 'platform:x:y' is a platform permission")
    }
  })
})
