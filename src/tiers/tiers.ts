import {z} from 'zod'

import {templatePath} from '../paths.ts'
import {problemsError, zodProblems, type Problem} from '../input/problems.ts'
import {readYamlFile} from '../input/yaml-file.ts'

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const

/** Fargate's valid CPU units. */
const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384] as const

const TierSchema = z
  .strictObject({
    displayName: z.string().min(1),
    description: z.string().min(1),
    azCount: z.int().min(2).max(3),
    natGateways: z.int().min(1).max(3),
    database: z.strictObject({
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {error: 'must be an RDS instance class such as db.t4g.small'}),
      allocatedStorageGb: z.int().min(20).max(65536),
      maxAllocatedStorageGb: z.int().min(20).max(65536),
      multiAz: z.boolean(),
      readReplicas: z.int().min(0).max(5),
      backupRetentionDays: z.int().min(30, {error: 'the seed keeps daily backups 30 days: at least 30'}).max(35),
    }),
    cache: z.strictObject({
      nodeType: z
        .string()
        .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, {error: 'must be a cache node type such as cache.t4g.micro'}),
      nodes: z.int().min(1).max(6),
    }),
    task: z.strictObject({
      cpu: z.union(
        FARGATE_CPU.map((cpu) => z.literal(cpu)),
        {error: `must be one of ${FARGATE_CPU.join(', ')}`},
      ),
      memoryMib: z.int().min(512).max(122880),
      minTasks: z.int().min(1, {error: 'the seed scales between 1 and 10 tasks'}).max(10),
      maxTasks: z.int().min(1).max(10, {error: 'the seed scales between 1 and 10 tasks'}),
    }),
    logRetentionDays: z.union(
      LOG_RETENTION_DAYS.map((days) => z.literal(days)),
      {
        error: `must be a CloudWatch retention period: ${LOG_RETENTION_DAYS.join(', ')}`,
      },
    ),
    monthlyBudgetUsd: z.number().positive(),
    monthlyPriceUsd: z.number().positive(),
  })
  .superRefine((tier, ctx) => {
    if (tier.natGateways > tier.azCount)
      ctx.addIssue({code: 'custom', path: ['natGateways'], message: `at most one per AZ (azCount is ${tier.azCount})`})
    if (tier.task.minTasks > tier.task.maxTasks)
      ctx.addIssue({
        code: 'custom',
        path: ['task', 'minTasks'],
        message: `must not exceed maxTasks (${tier.task.maxTasks})`,
      })
    if (tier.database.maxAllocatedStorageGb < tier.database.allocatedStorageGb)
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxAllocatedStorageGb'],
        message: `must be at least allocatedStorageGb (${tier.database.allocatedStorageGb})`,
      })
  })

export type Tier = z.infer<typeof TierSchema> & {name: string}
export type TierCatalog = Record<string, Tier>

const TierNameSchema = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, {error: 'tier names are lower-case slugs'})

export const TIERS_TEMPLATE = templatePath('tiers.yaml')

/**
 * The shipped tiers merged with the workspace's overrides. An override may change any field of a
 * shipped tier, or define a whole new tier. Every problem is reported at once (exit 2).
 */
export async function loadTiers(
  overrides: Record<string, unknown> = {},
  overridesFile = 'seiketsu.yaml',
  overridesLineOf?: (path: readonly PropertyKey[]) => number | undefined,
): Promise<TierCatalog> {
  const shipped = await readYamlFile(TIERS_TEMPLATE, 'templates/tiers.yaml')
  const base = (shipped.data ?? {}) as Record<string, unknown>
  const problems: Problem[] = []
  const catalog: TierCatalog = {}
  for (const name of new Set([...Object.keys(base), ...Object.keys(overrides)])) {
    const fromOverride = name in overrides
    const file = fromOverride ? overridesFile : 'templates/tiers.yaml'
    const prefix = fromOverride ? ['tiers', name] : [name]
    const nameCheck = TierNameSchema.safeParse(name)
    if (!nameCheck.success) {
      problems.push({file, field: prefix.join('.'), message: `'${name}': tier names are lower-case slugs`})
      continue
    }
    const merged = deepMerge(base[name], overrides[name])
    const parsed = TierSchema.safeParse(merged)
    if (parsed.success) catalog[name] = {...parsed.data, name}
    else
      problems.push(...zodProblems(parsed.error, file, merged, fromOverride ? overridesLineOf : shipped.lineOf, prefix))
  }
  if (problems.length > 0) throw problemsError('The tier catalogue is invalid:', problems)
  return catalog
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base
  if (isPlainObject(base) && isPlainObject(override)) {
    const result: Record<string, unknown> = {...base}
    for (const [key, value] of Object.entries(override)) result[key] = deepMerge(base[key], value)
    return result
  }
  return override
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** One-line summary shown in lists and prompts: what the tier buys and what it may cost. */
export function describeTier(tier: Tier): string {
  return `${tier.displayName}: ${tier.azCount} AZs, ${tier.task.minTasks}-${tier.task.maxTasks} tasks of ${tier.task.cpu / 1024} vCPU, ${tier.database.instanceClass}${tier.database.multiAz ? ' Multi-AZ' : ''}, budget $${tier.monthlyBudgetUsd}/month`
}
