import {appendTrail} from '../registry/audit-trail.ts'
import {withLock} from '../registry/lock.ts'
import {actorIdentity} from '../workspace/git.ts'
import {workspacePaths, type Workspace} from '../workspace/workspace.ts'

/** One key or secret change for the audit trail: what changed, never a key or a secret value. */
export interface KeyEvent {
  client: string
  action: string
  change: Record<string, unknown>
}

/**
 * Appends key events to the workspace's hash-chained audit trail, under the registry lock (the
 * chain needs the last record). Call it outside the registry lock: the lock is not re-entrant.
 */
export async function recordKeyEvents(
  workspace: Workspace,
  events: readonly KeyEvent[],
  command: string,
  now = new Date(),
): Promise<void> {
  if (events.length === 0) return
  const paths = workspacePaths(workspace.root)
  const actor = await actorIdentity(workspace.root)
  await withLock(paths.registryLock, () =>
    appendTrail(
      paths.auditTrail,
      events.map((event) => ({...event, actor, at: now.toISOString(), command})),
    ),
  )
}
