import {clientBackupKeyAlias, clientKeyAlias} from '../naming.ts'
import type {ClientManifest} from '../registry/manifest.ts'
import type {Workspace} from '../workspace/workspace.ts'
import {recordKeyEvents, type KeyEvent} from './audit.ts'
import {awsCall} from '../aws/errors.ts'
import type {AwsSession} from '../aws/session.ts'

/** What rotate-keys found and did for one KMS key. */
export interface KmsKeyReport {
  alias: string
  region: string
  keyId?: string
  rotationEnabled?: boolean
  rotationPeriodInDays?: number
  nextRotationDate?: string
  onDemandRotationStartDate?: string
  /** Completed on-demand rotations, counted when --now asks for one. */
  onDemandRotations?: number
  /** enable-rotation, rotate-on-demand: done, or (dry run) would be done. */
  actions: string[]
  /** Why a key, or its on-demand rotation, was left alone. */
  skipped?: string
}

export interface KmsRotationResult {
  status: 'rotated' | 'unchanged' | 'planned'
  keys: KmsKeyReport[]
}

export interface KmsRotationOptions {
  dryRun?: boolean
  /** --now: rotate the key material on demand, within the per-key limit. */
  onDemand?: boolean
  now?: Date
  command?: string
}

/**
 * The client's KMS keys (the main key in its region, the backup key in its DR region): automatic
 * rotation switched on with the configured period when it is off or different, an on-demand rotation
 * with --now (counting past ones against keys.kmsOnDemandLimit), and the next rotation date.
 * KMS takes key ids, not aliases, for rotation calls: DescribeKey resolves the alias first.
 */
export async function rotateClientKmsKeys(
  workspace: Workspace,
  client: ClientManifest,
  session: AwsSession,
  options: KmsRotationOptions = {},
): Promise<KmsRotationResult> {
  const targets = [
    {alias: clientKeyAlias(workspace.config.platform, client.id), region: client.region},
    {alias: clientBackupKeyAlias(workspace.config.platform, client.id), region: client.drRegion},
  ]
  const keys: KmsKeyReport[] = []
  const events: KeyEvent[] = []
  for (const target of targets) {
    const report = await rotateOneKey(workspace, client, session, target, options)
    keys.push(report)
    if (!options.dryRun && report.actions.length > 0)
      events.push({
        action: 'rotate-kms-key',
        change: {actions: report.actions, alias: report.alias, keyId: report.keyId, region: report.region},
        client: client.id,
      })
  }
  await recordKeyEvents(workspace, events, options.command ?? 'seiketsu rotate-keys', options.now)
  const acted = keys.some((key) => key.actions.length > 0)
  return {keys, status: !acted ? 'unchanged' : options.dryRun ? 'planned' : 'rotated'}
}

async function rotateOneKey(
  workspace: Workspace,
  client: ClientManifest,
  session: AwsSession,
  target: {alias: string; region: string},
  options: KmsRotationOptions,
): Promise<KmsKeyReport> {
  const sdk = await import('@aws-sdk/client-kms')
  const kms = await session.client('kms', client, target.region)
  const context = (operation: string) => ({client: client.id, operation, region: target.region, service: 'KMS'})
  const report: KmsKeyReport = {actions: [], alias: target.alias, region: target.region}
  const described = await awsCall(context('DescribeKey'), () =>
    kms.send(new sdk.DescribeKeyCommand({KeyId: target.alias})),
  )
  const metadata = described.KeyMetadata
  report.keyId = metadata?.KeyId
  if (!metadata?.KeyId) return {...report, skipped: 'DescribeKey returned no key'}
  if (metadata.KeyState !== 'Enabled') return {...report, skipped: `the key is ${metadata.KeyState ?? 'not enabled'}`}
  if (metadata.KeySpec !== 'SYMMETRIC_DEFAULT' || metadata.Origin !== 'AWS_KMS')
    return {...report, skipped: 'KMS rotates only symmetric keys with key material of its own'}
  const keyId = metadata.KeyId
  const readStatus = async () => {
    const status = await awsCall(context('GetKeyRotationStatus'), () =>
      kms.send(new sdk.GetKeyRotationStatusCommand({KeyId: keyId})),
    )
    report.rotationEnabled = status.KeyRotationEnabled ?? false
    report.rotationPeriodInDays = status.RotationPeriodInDays
    report.nextRotationDate = status.NextRotationDate?.toISOString()
    report.onDemandRotationStartDate = status.OnDemandRotationStartDate?.toISOString()
  }
  await readStatus()
  const period = workspace.config.keys.kmsRotationDays
  if (!report.rotationEnabled || report.rotationPeriodInDays !== period) {
    report.actions.push(`enable-rotation (${period} days)`)
    if (!options.dryRun)
      await awsCall(context('EnableKeyRotation'), () =>
        kms.send(new sdk.EnableKeyRotationCommand({KeyId: keyId, RotationPeriodInDays: period})),
      )
  }
  if (options.onDemand) {
    const limit = workspace.config.keys.kmsOnDemandLimit
    report.onDemandRotations = await countOnDemandRotations(sdk, kms, keyId, context)
    if (report.onDemandRotationStartDate)
      report.skipped = `an on-demand rotation is already running (since ${report.onDemandRotationStartDate})`
    else if (report.onDemandRotations >= limit)
      report.skipped = `on-demand rotation limit reached (${report.onDemandRotations} of ${limit}; keys.kmsOnDemandLimit)`
    else {
      report.actions.push('rotate-on-demand')
      if (!options.dryRun)
        await awsCall(context('RotateKeyOnDemand'), () => kms.send(new sdk.RotateKeyOnDemandCommand({KeyId: keyId})))
    }
  }
  if (!options.dryRun && report.actions.length > 0) await readStatus()
  return report
}

async function countOnDemandRotations(
  sdk: typeof import('@aws-sdk/client-kms'),
  kms: import('@aws-sdk/client-kms').KMSClient,
  keyId: string,
  context: (operation: string) => {client: string; operation: string; region: string; service: string},
): Promise<number> {
  let count = 0
  let marker: string | undefined
  do {
    const page = await awsCall(context('ListKeyRotations'), () =>
      kms.send(new sdk.ListKeyRotationsCommand({KeyId: keyId, Limit: 100, Marker: marker})),
    )
    count += (page.Rotations ?? []).filter((rotation) => rotation.RotationType === 'ON_DEMAND').length
    marker = page.Truncated ? page.NextMarker : undefined
  } while (marker)
  return count
}
