import {execFile} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import {delimiter, join} from 'node:path'

/**
 * The real terraform and the real hashicorp/aws provider, as these machines have them: terraform on
 * the PATH, the provider in a filesystem mirror. Tests that need them fail (never skip) when they
 * are missing, naming what is missing and how to point the tests at it.
 */

/** The terraform binary on the PATH; throws (the test fails) when there is none. */
export function realTerraformPath(env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'terraform')
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not in this folder
    }
  }
  throw new Error(
    'These tests need the real terraform (≥ 1.10) on the PATH, and none was found. Install terraform, or put it on the PATH.',
  )
}

/** Folders where provider mirrors are kept on these machines (searched a few levels deep). */
const MIRROR_SEARCH_ROOTS = ['/opt', '/usr/local/share', '/usr/share', '/var/lib', '/root']

/**
 * The root of a terraform filesystem mirror holding hashicorp/aws (the folder above
 * registry.terraform.io): SEIKETSU_TEST_PROVIDER_MIRROR, else the first one found under the usual
 * roots. Throws when there is none.
 */
export function providerMirror(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.SEIKETSU_TEST_PROVIDER_MIRROR
  if (given) {
    if (!existsSync(join(given, 'registry.terraform.io', 'hashicorp', 'aws')))
      throw new Error(`SEIKETSU_TEST_PROVIDER_MIRROR=${given} holds no registry.terraform.io/hashicorp/aws`)
    return given
  }
  for (const root of MIRROR_SEARCH_ROOTS) {
    const found = findMirror(root, 3)
    if (found) return found
  }
  throw new Error(
    `These tests need the real hashicorp/aws provider in a terraform filesystem mirror, and none was found under ${MIRROR_SEARCH_ROOTS.join(', ')}. Set SEIKETSU_TEST_PROVIDER_MIRROR to the folder above registry.terraform.io.`,
  )
}

function findMirror(dir: string, depth: number): string | undefined {
  if (existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws'))) return dir
  if (depth === 0) return undefined
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return undefined
  }
  for (const entry of entries) {
    if (entry.startsWith('.') || entry === 'node_modules' || entry === 'proc') continue
    const path = join(dir, entry)
    try {
      if (!statSync(path).isDirectory()) continue
    } catch {
      continue
    }
    const found = findMirror(path, depth - 1)
    if (found) return found
  }
  return undefined
}

/** The provider versions the mirror holds (e.g. ['5.100.0']). */
export function mirroredAwsVersions(mirror: string): string[] {
  return readdirSync(join(mirror, 'registry.terraform.io', 'hashicorp', 'aws')).sort()
}

/**
 * A terraform CLI configuration that installs providers from the mirror only (never the network),
 * written into `dir`; returns its path (for TF_CLI_CONFIG_FILE).
 */
export async function writeMirrorCliConfig(dir: string, mirror = providerMirror()): Promise<string> {
  await mkdir(dir, {recursive: true})
  const file = join(dir, 'terraformrc')
  await writeFile(
    file,
    `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
  )
  return file
}

/**
 * The environment the real terraform runs with in tests: the mirror's CLI configuration, a plugin
 * cache (terraform links the mirror's provider from it instead of copying 700 MB per stack), dummy
 * base credentials, and every AWS call sent to the loopback stub.
 */
export function realTerraformEnv(options: {
  cliConfig: string
  pluginCache: string
  stub: {url: string}
}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'AKIASTUBBASEKEY00000',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_ORGANIZATIONS: options.stub.url,
    AWS_ENDPOINT_URL_ROUTE_53: options.stub.url,
    AWS_ENDPOINT_URL_STS: options.stub.url,
    AWS_REGION: 'us-east-1',
    AWS_SECRET_ACCESS_KEY: 'stub-base-secret',
    CHECKPOINT_DISABLE: '1',
    TF_CLI_CONFIG_FILE: options.cliConfig,
    TF_IN_AUTOMATION: '1',
    TF_PLUGIN_CACHE_DIR: options.pluginCache,
  }
}

export interface TerraformRun {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the real terraform in `cwd`; resolves with its exit code and output, never throws for a non-zero exit. */
export function runTerraform(
  args: string[],
  options: {cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number},
): Promise<TerraformRun> {
  return new Promise((resolve, reject) => {
    execFile(
      realTerraformPath(),
      args,
      {
        cwd: options.cwd,
        env: {PATH: process.env.PATH, HOME: process.env.HOME, ...options.env},
        maxBuffer: 512 * 1024 * 1024,
        timeout: options.timeoutMs ?? 120_000,
      },
      (error, stdout, stderr) => {
        const code = (error as (Error & {code?: unknown}) | null)?.code
        if (error && typeof code !== 'number')
          reject(new Error(`terraform ${args.join(' ')}: ${error.message}\n${stderr}`))
        else resolve({exitCode: typeof code === 'number' ? code : 0, stderr, stdout})
      },
    )
  })
}

export interface ValidateResult {
  valid: boolean
  errorCount: number
  warningCount: number
  diagnostics: {severity: string; summary: string; detail?: string; address?: string}[]
}

/** `init -backend=false` then `validate -json` in a stack folder. */
export async function validateStack(dir: string, env: NodeJS.ProcessEnv): Promise<ValidateResult> {
  const init = await runTerraform(['init', '-backend=false', '-input=false', '-no-color'], {cwd: dir, env})
  if (init.exitCode !== 0) throw new Error(`terraform init in ${dir} failed:\n${init.stderr}${init.stdout}`)
  const run = await runTerraform(['validate', '-json', '-no-color'], {cwd: dir, env})
  const parsed = JSON.parse(run.stdout) as {
    valid: boolean
    error_count: number
    warning_count: number
    diagnostics: ValidateResult['diagnostics']
  }
  return {
    diagnostics: parsed.diagnostics,
    errorCount: parsed.error_count,
    valid: parsed.valid,
    warningCount: parsed.warning_count,
  }
}

/** Diagnostics as lines a failed assertion can show. */
export function describeDiagnostics(result: ValidateResult): string {
  return result.diagnostics
    .map(
      (diagnostic) =>
        `${diagnostic.severity}: ${diagnostic.summary} ${diagnostic.address ?? ''} ${diagnostic.detail ?? ''}`,
    )
    .join('\n')
}

type Json = Record<string, unknown>

/** What AWS reports for a few computed attributes, so that references to them resolve as after an apply. */
function reportedValue(resource: {type: string; name: string; values: Json}, attribute: string): unknown {
  const {name, type, values} = resource
  const table: Record<string, unknown> = {
    address: `${name}.stub.rds.amazonaws.com`,
    arn: `arn:aws:stub:us-east-1:000000000000:${type}/${name}`,
    domain_validation_options: [
      {
        domain_name: values.domain_name,
        resource_record_name: `_stub.${String(values.domain_name)}.`,
        resource_record_type: 'CNAME',
        resource_record_value: '_stub.acm-validations.aws.',
      },
    ],
    id: `stub-${name}`,
    key_id: `stub-key-${name}`,
    master_user_secret: [
      {
        kms_key_id: 'arn:aws:kms:us-east-1:000000000000:key/stub',
        secret_arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-stub',
        secret_status: 'active',
      },
    ],
    resource_id: `db-STUB${name.toUpperCase()}`,
  }
  return table[attribute]
}

interface PlanDocument {
  planned_values: {
    root_module: {resources: (Json & {address: string; mode: string; type: string; name: string; values: Json})[]}
  }
  resource_changes: {address: string; change: {actions: string[]; after?: Json; after_unknown?: Json}}[]
  configuration: {root_module: {resources: {address: string; provider_config_key: string}[]}}
}

/**
 * A terraform state (format v4) holding the resources of a plan as if it had been applied: their
 * planned values, the ids and ARNs AWS would have reported, and every other computed attribute
 * terraform would have read back. It is made by replanning with -refresh=false until terraform plans
 * nothing for them (at most a few rounds), so the real provider, not a copy of its rules, decides
 * what a later change to the configuration does to them.
 */
export async function appliedStateOf(
  stack: {dir: string; statePath: string},
  env: NodeJS.ProcessEnv,
  options: {plan: PlanDocument; keep: (address: string) => boolean},
): Promise<void> {
  const {plan} = options
  const schemas = (
    JSON.parse((await runTerraform(['providers', 'schema', '-json'], {cwd: stack.dir, env})).stdout) as {
      provider_schemas: Record<
        string,
        {
          resource_schemas: Record<
            string,
            {block: {attributes: Record<string, {type: unknown}>; block_types?: Record<string, unknown>}}
          >
        }
      >
    }
  ).provider_schemas['registry.terraform.io/hashicorp/aws']!.resource_schemas
  const unknownOf = new Map(plan.resource_changes.map((change) => [change.address, change.change.after_unknown ?? {}]))
  const providerOf = new Map(
    plan.configuration.root_module.resources.map((resource) => [resource.address, resource.provider_config_key]),
  )
  const fillComputed = (type: string, name: string, attributes: Json, unknown: Json, values: Json) => {
    const schema = schemas[type]!.block
    for (const [attribute, isUnknown] of Object.entries(unknown)) {
      if (isUnknown !== true || (attributes[attribute] !== undefined && attributes[attribute] !== null)) continue
      const reported = reportedValue({name, type, values}, attribute)
      if (reported !== undefined) attributes[attribute] = reported
      else if (schema.block_types?.[attribute]) attributes[attribute] = []
      else if (schema.attributes[attribute]) {
        const kind = schema.attributes[attribute]!.type
        attributes[attribute] = Array.isArray(kind)
          ? kind[0] === 'map'
            ? {}
            : kind[0] === 'object'
              ? null
              : []
          : kind === 'string'
            ? `stub-${name}-${attribute}`
            : kind === 'number'
              ? 0
              : false
      }
    }
  }
  let resources = plan.planned_values.root_module.resources
    .filter((resource) => resource.mode === 'managed' && options.keep(resource.address))
    .map((resource) => {
      const attributes = {...resource.values}
      fillComputed(resource.type, resource.name, attributes, unknownOf.get(resource.address) ?? {}, resource.values)
      const key = providerOf.get(resource.address) ?? 'aws'
      const sensitive = Object.entries((resource.sensitive_values as Json | undefined) ?? {})
        .filter(([, marked]) => marked === true)
        .map(([attribute]) => [{type: 'get_attr', value: attribute}])
      return {
        instances: [{attributes, schema_version: resource.schema_version, sensitive_attributes: sensitive}],
        mode: 'managed',
        name: resource.name,
        provider: `provider["registry.terraform.io/hashicorp/aws"]${key.includes('.') ? `.${key.split('.')[1]}` : ''}`,
        type: resource.type,
      }
    })
  const write = () =>
    writeFile(
      stack.statePath,
      JSON.stringify({
        lineage: '5e1f0a3c-7a47-4b1e-9a55-3c2a1f0c0001',
        outputs: {},
        resources,
        serial: 1,
        terraform_version: '1.11.4',
        version: 4,
      }),
    )
  for (let round = 0; round < 6; round++) {
    await write()
    const replan = await runTerraform(
      ['plan', '-input=false', '-no-color', '-refresh=false', '-lock=false', '-out=converge.tfplan'],
      {cwd: stack.dir, env},
    )
    if (replan.exitCode !== 0) throw new Error(`replan from the made-up state failed:\n${replan.stderr}`)
    const shown = JSON.parse(
      (await runTerraform(['show', '-json', 'converge.tfplan'], {cwd: stack.dir, env})).stdout,
    ) as PlanDocument
    const changed = shown.resource_changes.filter(
      (change) =>
        resources.some((resource) => `${resource.type}.${resource.name}` === change.address) &&
        !change.change.actions.includes('no-op'),
    )
    if (changed.length === 0) return
    resources = resources.map((resource) => {
      const change = changed.find((candidate) => candidate.address === `${resource.type}.${resource.name}`)
      if (!change) return resource
      const [instance] = resource.instances
      const attributes = {...instance!.attributes}
      const unknown = change.change.after_unknown ?? {}
      // What the configuration now says (references resolved against the state), then what AWS reports.
      for (const [attribute, value] of Object.entries(change.change.after ?? {}))
        if (value !== null && unknown[attribute] !== true) attributes[attribute] = value
      fillComputed(resource.type, resource.name, attributes, unknown, attributes)
      return {...resource, instances: [{...instance!, attributes}]}
    })
  }
  throw new Error('the made-up state did not converge: terraform keeps planning changes to it')
}

/**
 * A filesystem mirror holding the real hashicorp/aws binary under each of `versions` (symbolic
 * links to the one binary, so nothing is copied): what a mirror looks like after a provider
 * upgrade. terraform hashes each version's folder, so each version has its own checksum.
 */
export async function writeVersionedMirror(
  dir: string,
  versions: readonly string[],
  mirror = providerMirror(),
): Promise<string> {
  const {symlink} = await import('node:fs/promises')
  const real = mirroredAwsVersions(mirror)[0]!
  const platformDir = join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', real)
  const platform = readdirSync(platformDir).find((name) => /^[a-z0-9]+_[a-z0-9]+$/.test(name))!
  const binary = readdirSync(join(platformDir, platform)).find((name) => name.startsWith('terraform-provider-aws'))!
  for (const version of versions) {
    const target = join(dir, 'registry.terraform.io', 'hashicorp', 'aws', version, platform)
    await mkdir(target, {recursive: true})
    await symlink(join(platformDir, platform, binary), join(target, binary.replace(real, version)))
  }
  return dir
}
