import type {WorkspaceConfig} from '../workspace/config.ts'

/**
 * What a workspace still lacks before its clients serve, as warnings an operator can act on: each
 * names the setting and what happens without it. The stacks stay valid without these (they plan and
 * apply), but a client would not answer or would alert no one.
 */
export function workspaceReadiness(config: Pick<WorkspaceConfig, 'alerts' | 'domain' | 'image'>): string[] {
  const warnings: string[] = []
  if (!config.image.digest)
    warnings.push(
      'No image.digest in seiketsu.yaml: every client service runs 0 tasks. Push the voice-agent image to the repository the platform stack creates, then set image.digest.',
    )
  if (!config.alerts.email && !config.alerts.https)
    warnings.push(
      'No alerts.email or alerts.https in seiketsu.yaml: client alarms and budget alerts go to topics nobody is subscribed to.',
    )
  if (!config.domain)
    warnings.push(
      'No domain in seiketsu.yaml: client certificates name <client>.<platform>.invalid, which can never be validated, so provision refuses client stacks.',
    )
  return warnings
}
