import {
  DefaultTokenResolver,
  LocalBackend,
  S3Backend,
  StringConcat,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  Tokenization,
} from 'cdktf'
import type {Construct, IConstruct, Node} from 'constructs'

import type {StackBackend} from '../backend.ts'
import type {StackTerraformSettings} from '../model.ts'

const RESOLVER = new DefaultTokenResolver(new StringConcat())

type Json = Record<string, unknown>

/**
 * A stack whose resource addresses read like the construct tree: `aws_kms_key.keys_key`,
 * `aws_db_instance.database_instance`. cdktf's default adds a hash to every nested id; these
 * addresses are what audit suppressions and plan summaries show, so they stay readable and stable.
 */
export class SeiketsuStack extends TerraformStack {
  private readonly stackOverrides: Json = {}

  constructor(scope: Construct, id: string, backend: StackBackend, terraform: StackTerraformSettings) {
    super(scope, id)
    this.addOverride('terraform.required_version', terraform.requiredVersion)
    // The binding's own pin is the version it was generated from; the workspace decides the constraint.
    this.addOverride('terraform.required_providers.aws.version', terraform.awsProviderVersion)
    if (backend.kind === 'local') new LocalBackend(this, {path: backend.path})
    else {
      new S3Backend(this, {bucket: backend.bucket, encrypt: true, key: backend.key, region: backend.region})
      // cdktf 0.21's S3Backend has no useLockfile; terraform >= 1.10 locks with a .tflock object.
      this.addOverride('terraform.backend.s3.use_lockfile', true)
    }
  }

  /**
   * Resources this stack no longer declares and terraform must forget rather than destroy (`removed`
   * blocks with destroy = false): a no-op for an address the state never held.
   */
  forget(addresses: readonly string[]): void {
    if (addresses.length > 0)
      this.addOverride(
        'removed',
        addresses.map((from) => ({from, lifecycle: {destroy: false}})),
      )
  }

  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element
    const path = node.scopes.slice(node.scopes.indexOf(this) + 1)
    return path.map((scope) => snakeCase(scope.node.id)).join('_')
  }

  override addOverride(path: string, value: unknown): void {
    super.addOverride(path, value)
    deepMerge(
      this.stackOverrides,
      path.split('.').reduceRight<unknown>((inner, key) => ({[key]: inner}), value) as Json,
    )
  }

  /**
   * cdktf's TerraformStack.toTerraform, without its last step: resolving the whole document again
   * after every element was resolved on its own. That second pass changes nothing here (the
   * overrides hold no tokens) and costs a third of a synth; a test checks the output is identical.
   */
  override toTerraform(): Json {
    const elements = terraformElements(this)
    const resolve = (value: unknown) => Tokenization.resolve(value, {resolver: RESOLVER, scope: this}) as Json
    const metadata: Json = {
      backend: 'local',
      stackName: this.node.id,
      version: this.node.tryGetContext('cdktfVersion'),
      ...(Object.keys(this.stackOverrides).length > 0 ? {overrides: {stack: Object.keys(this.stackOverrides)}} : {}),
    }
    for (const element of elements) deepMerge(metadata, resolve(element.toMetadata()))
    const outputs: Json = {}
    for (const element of elements)
      if (TerraformOutput.isTerraformOutput(element))
        deepMerge(
          outputs,
          element.node.path
            .split('/')
            .reduceRight<unknown>((inner, part) => ({[part]: inner}), element.friendlyUniqueId) as Json,
        )
    const document: Json = {'//': {metadata, outputs}}
    for (const element of elements) deepMerge(document, resolve(element.toTerraform()))
    return deepMerge(document, structuredClone(this.stackOverrides))
  }
}

/** Every element of the stack in construct order (what cdktf's own toTerraform walks). */
function terraformElements(scope: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(scope)) into.push(scope)
  for (const child of scope.node.children) if (!TerraformStack.isStack(child)) terraformElements(child, into)
  return into
}

/** cdktf's merge of resolved fragments: objects merge, arrays concatenate, undefined deletes. */
function deepMerge(target: Json, source: Json): Json {
  for (const [key, value] of Object.entries(source)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {}
      deepMerge(target[key] as Json, value as Json)
    } else if (Array.isArray(value))
      target[key] = Array.isArray(target[key]) ? [...(target[key] as unknown[]), ...value] : value
    else if (value === undefined) delete target[key]
    else target[key] = value
  }
  return target
}

function snakeCase(id: string): string {
  return id.replaceAll(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}
