import {join, relative, sep} from 'node:path'

import type {WorkspaceConfig} from '../workspace/config.ts'

/**
 * The oldest terraform the stacks declare (required_version) and the driver accepts: `use_lockfile`
 * on the S3 backend (one lock object per state, no DynamoDB) arrived in 1.10.
 */
export const MINIMUM_TERRAFORM_VERSION = '1.10.0'

/** Where a stack keeps its terraform state. Pure data; the stack turns it into a backend block. */
export type StackBackend = {kind: 'local'; path: string} | {kind: 's3'; bucket: string; key: string; region: string}

/**
 * The backend of stack `id`. Local state lives under the workspace (`.seiketsu/state/<id>/`),
 * written relative to the stack's folder so that the synthesized file holds no absolute path and
 * is the same on every machine. S3 state gets one key per stack under the configured prefix.
 */
export function stackBackend(
  config: Pick<WorkspaceConfig, 'state'>,
  id: string,
  dirs: {stackDir: string; stateDir: string},
): StackBackend {
  const {state} = config
  if (state.backend === 's3')
    return {bucket: state.bucket, key: `${state.keyPrefix}${id}/terraform.tfstate`, kind: 's3', region: state.region}
  const path = relative(dirs.stackDir, join(dirs.stateDir, id, 'terraform.tfstate'))
  return {kind: 'local', path: path.split(sep).join('/')}
}
