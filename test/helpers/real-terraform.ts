import {execFile} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import {delimiter, join} from 'node:path'

import {awsQueryError, signedBy, startAwsLoopback, type AwsCall, type LoopbackService} from './aws-loopback.ts'

/**
 * The real terraform and the real hashicorp/aws provider, as these machines have them: terraform on
 * the PATH, the provider in a filesystem mirror. Tests that need them fail (never skip) when they
 * are missing, naming what is missing and how to point the tests at it.
 */

export const MANAGEMENT_ACCOUNT = '111111111111'
export const ORGANIZATION_ID = 'o-seiketsu01'

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

/** The access key a loopback AssumeRole hands out for a role in `accountId`. */
export function assumedKeyFor(accountId: string): string {
  return `ASIA${accountId}STUB`
}

export interface AwsStub extends LoopbackService {
  /** AssumeRole calls, in order: the role ARN and the key that signed the call. */
  assumed: {roleArn: string; signer?: string}[]
  /** Service principals with trusted access in the organization (ListAWSServiceAccessForOrganization). */
  trustedServices: string[]
}

/**
 * A loopback STS and Organizations for the real provider: AssumeRole hands out a key that names the
 * role's account, GetCallerIdentity answers with the account of the key that signed the call (the
 * management account for the base credentials), and Organizations describes one organization. With
 * that, the provider configures itself (assume_role, allowed_account_ids) and plans offline.
 */
export async function startAwsStub(options: {trustedServices?: string[]} = {}): Promise<AwsStub> {
  const assumed: AwsStub['assumed'] = []
  const trustedServices = [...(options.trustedServices ?? ['cloudtrail.amazonaws.com'])]
  const accountOf = (call: AwsCall) =>
    /^ASIA(\d{12})STUB$/.exec(signedBy(call)?.accessKeyId ?? '')?.[1] ?? MANAGEMENT_ACCOUNT
  const organization = {
    Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:organization/${ORGANIZATION_ID}`,
    AvailablePolicyTypes: [],
    FeatureSet: 'ALL',
    Id: ORGANIZATION_ID,
    MasterAccountArn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:account/${ORGANIZATION_ID}/${MANAGEMENT_ACCOUNT}`,
    MasterAccountEmail: 'aws-root@seiketsu.example',
    MasterAccountId: MANAGEMENT_ACCOUNT,
  }
  const stsXml = (operation: string, result: string) =>
    `<${operation}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></${operation}Response>`
  const service = await startAwsLoopback({
    json: {
      AWSOrganizationsV20161128: {
        DescribeOrganization: () => ({body: {Organization: organization}}),
        ListAWSServiceAccessForOrganization: () => ({
          body: {
            EnabledServicePrincipals: trustedServices.map((ServicePrincipal) => ({
              DateEnabled: 1_700_000_000,
              ServicePrincipal,
            })),
          },
        }),
        ListAccounts: () => ({
          body: {
            Accounts: [
              {
                Arn: organization.MasterAccountArn,
                Email: organization.MasterAccountEmail,
                Id: MANAGEMENT_ACCOUNT,
                JoinedMethod: 'INVITED',
                JoinedTimestamp: 1_700_000_000,
                Name: 'management',
                Status: 'ACTIVE',
              },
            ],
          },
        }),
        ListRoots: () => ({
          body: {
            Roots: [
              {
                Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:root/${ORGANIZATION_ID}/r-seik`,
                Id: 'r-seik',
                Name: 'Root',
                PolicyTypes: [],
              },
            ],
          },
        }),
      },
    },
    query: {
      AssumeRole: (params, call) => {
        const roleArn = params.get('RoleArn') ?? ''
        const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn)
        if (!match) return awsQueryError('ValidationError', `invalid RoleArn ${roleArn}`)
        assumed.push({roleArn, signer: signedBy(call)?.accessKeyId})
        const session = params.get('RoleSessionName') ?? 'session'
        return {
          xml: stsXml(
            'AssumeRole',
            `<Credentials><AccessKeyId>${assumedKeyFor(match[1]!)}</AccessKeyId><SecretAccessKey>stub-secret</SecretAccessKey><SessionToken>stub-session</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROASTUB:${session}</AssumedRoleId><Arn>arn:aws:sts::${match[1]}:assumed-role/${match[2]}/${session}</Arn></AssumedRoleUser>`,
          ),
        }
      },
      GetCallerIdentity: (_params, call) => {
        const account = accountOf(call)
        return {
          xml: stsXml(
            'GetCallerIdentity',
            `<Arn>arn:aws:sts::${account}:assumed-role/stub/stub</Arn><UserId>AROASTUB:stub</UserId><Account>${account}</Account>`,
          ),
        }
      },
    },
  })
  return {...service, assumed, trustedServices}
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
