import {z} from 'zod'

import {templatePath} from '../paths.ts'
import {problemsError, zodProblems, type Problem} from '../input/problems.ts'
import {readYamlFile} from '../input/yaml-file.ts'
import {parseDuration} from './duration.ts'

/**
 * The seed's role-based access control as data (`templates/rbac.yaml`): which permissions each
 * role grants, whether a ClientToken may carry it, and the longest lifetime of its tokens.
 */
export interface Role {
  name: string
  displayName: string
  description: string
  scope: 'platform' | 'client'
  permissions: string[]
  maxTtlSeconds: number
}

export interface Rbac {
  permissions: Record<string, string>
  roles: Record<string, Role>
}

const durationText = z.string().refine((text) => parseDuration(text) !== undefined, {
  error: 'a duration such as 30s, 15m or 1h',
})

const RbacSchema = z.strictObject({
  permissions: z.record(
    z.string().regex(/^[a-z]+(:[a-z-]+)+$/, {error: 'permission names look like area:thing:verb'}),
    z.string().min(1),
  ),
  roles: z.record(
    z.string().regex(/^[a-z][a-z-]{1,30}$/, {error: 'role names are lower-case slugs'}),
    z.strictObject({
      displayName: z.string().min(1),
      description: z.string().min(1),
      scope: z.enum(['platform', 'client']),
      maxTtl: durationText,
      permissions: z.array(z.string()).min(1),
    }),
  ),
})

export const RBAC_TEMPLATE = templatePath('rbac.yaml')

/** Platform permissions never belong in a client's token. */
function isPlatformPermission(permission: string): boolean {
  return permission.startsWith('platform:')
}

/** Validates a parsed RBAC document: every role names known permissions, client roles hold no platform permission. */
export function parseRbac(
  data: unknown,
  file: string,
  lineOf?: (path: readonly PropertyKey[]) => number | undefined,
): Rbac {
  const parsed = RbacSchema.safeParse(data)
  if (!parsed.success) throw problemsError(`${file} is invalid:`, zodProblems(parsed.error, file, data, lineOf))
  const problems: Problem[] = []
  const roles: Record<string, Role> = {}
  for (const [name, role] of Object.entries(parsed.data.roles)) {
    role.permissions.forEach((permission, index) => {
      const field = `roles.${name}.permissions[${index}]`
      const line = lineOf?.(['roles', name, 'permissions', index])
      if (!(permission in parsed.data.permissions))
        problems.push({
          field,
          file,
          line,
          message: `unknown permission '${permission}' (declare it under permissions:)`,
        })
      else if (role.scope === 'client' && isPlatformPermission(permission))
        problems.push({
          field,
          file,
          line,
          message: `'${permission}' is a platform permission; a client role cannot grant it`,
        })
    })
    roles[name] = {
      description: role.description,
      displayName: role.displayName,
      maxTtlSeconds: parseDuration(role.maxTtl)!,
      name,
      permissions: [...new Set(role.permissions)],
      scope: role.scope,
    }
  }
  if (!Object.values(roles).some((role) => role.scope === 'client'))
    problems.push({field: 'roles', file, message: 'define at least one client-scope role'})
  if (problems.length > 0) throw problemsError(`${file} is invalid:`, problems)
  return {permissions: parsed.data.permissions, roles}
}

/** The shipped RBAC catalogue. */
export async function loadRbac(file = RBAC_TEMPLATE): Promise<Rbac> {
  const parsed = await readYamlFile(file, 'templates/rbac.yaml')
  return parseRbac(parsed.data, parsed.file, parsed.lineOf)
}

/** The roles a ClientToken may carry, in file order. */
export function clientRoles(rbac: Rbac): Role[] {
  return Object.values(rbac.roles).filter((role) => role.scope === 'client')
}

/** The longest lifetime any ClientToken can have: how long a retired signing key must stay published. */
export function maxClientTokenLifetime(rbac: Rbac): number {
  return Math.max(...clientRoles(rbac).map((role) => role.maxTtlSeconds))
}

/**
 * Why a role and permission list do not belong together in a ClientToken, or undefined when they
 * do: the role must be a client-scope role and every permission one it grants.
 */
export function rbacViolation(rbac: Rbac, role: unknown, permissions: unknown): string | undefined {
  if (typeof role !== 'string' || !(role in rbac.roles)) return `unknown role ${JSON.stringify(role)}`
  const definition = rbac.roles[role]!
  if (definition.scope !== 'client') return `role '${role}' (${definition.displayName}) is not a client role`
  if (!Array.isArray(permissions) || permissions.some((permission) => typeof permission !== 'string'))
    return 'permissions must be a list of strings'
  const escalated = (permissions as string[]).filter((permission) => !definition.permissions.includes(permission))
  if (escalated.length > 0)
    return `role '${role}' does not grant ${escalated.map((permission) => `'${permission}'`).join(', ')}`
  return undefined
}
