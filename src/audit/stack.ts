import {readConfiguration, type ProviderConfig, type Resource, type TerraformDocument} from '../configuration/model.ts'
import {indexResources} from '../configuration/references.ts'
import type {PlannedDocument} from './plan.ts'
import type {ClientContext, Stack, StackKind} from './types.ts'

/**
 * Builds the Stack of one configuration (one or several files of a folder, or one converted plan):
 * Terraform of any shape, and the planned values of `terraform show -json`, become one model rules read.
 * Data sources sit among the resources (after each file's managed ones), where resource rules see them too.
 */
export function buildStack(
  documents: readonly (TerraformDocument | PlannedDocument)[],
  meta: {id: string; kind?: StackKind; file?: string; platform?: string; client?: ClientContext},
): Stack {
  const resources: Resource[] = []
  const providers: ProviderConfig[] = []
  const other: Record<string, unknown> = {}
  for (const document of documents) {
    if ('planned' in document) {
      resources.push(...document.planned.resources)
      providers.push(...document.planned.providers)
      continue
    }
    const configuration = readConfiguration(document)
    resources.push(...configuration.resources, ...configuration.dataSources)
    providers.push(...configuration.providers)
    Object.assign(other, configuration.blocks)
  }
  return {
    blocks: other,
    ...indexResources(resources),
    client: meta.client,
    file: meta.file ?? documents[0]?.file ?? meta.id,
    fromPlan: documents.some((document) => 'planned' in document),
    id: meta.id,
    kind: meta.kind ?? 'other',
    platform: meta.platform,
    providers,
    resources,
  }
}
