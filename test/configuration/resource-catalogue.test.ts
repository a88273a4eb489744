import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {RULES} from '../../src/audit/rules/index.ts'
import {readConfiguration, type TerraformJson} from '../../src/configuration/model.ts'
import {RESOURCE_CATALOGUE, resourceTypeEntry} from '../../src/configuration/resource-catalogue.ts'
import {estimateStack} from '../../src/cost/estimate.ts'
import {loadPriceTable, loadUsage} from '../../src/cost/prices.ts'
import {loadRegistry} from '../../src/registry/registry.ts'
import {synthesizeStacks} from '../../src/stacks/synth.ts'
import {fixturesDir, removeDir} from '../helpers/cli.ts'
import {DEPLOYABLE_SETTINGS, S3_STATE, makeFleetWorkspace} from '../stacks/fleet.ts'

async function stackFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => entry.isFile() && entry.name === 'cdk.tf.json')
    .map((e) => join(e.parentPath, e.name))
}

/** The managed resource types of each stack file, by type: the files that contain it. */
async function typesOf(files: readonly string[]): Promise<Map<string, string[]>> {
  const types = new Map<string, string[]>()
  for (const file of files) {
    const json = JSON.parse(await readFile(file, 'utf8')) as TerraformJson
    for (const resource of readConfiguration({file, json}).resources)
      types.set(resource.type, [...new Set([...(types.get(resource.type) ?? []), file])])
  }
  return types
}

const unclassified = (types: Map<string, string[]>) =>
  [...types].filter(([type]) => !resourceTypeEntry(type)).map(([type, files]) => `${type} (${files[0]})`)

describe('the resource catalogue', () => {
  it('classifies every resource type of the fleet as synthesized for production (S3 state)', async function () {
    this.timeout(120_000)
    const workspace = await makeFleetWorkspace({...DEPLOYABLE_SETTINGS, state: S3_STATE})
    try {
      const stacks = await synthesizeStacks(workspace, (await loadRegistry(workspace)).clients)
      expect([...new Set(stacks.map((stack) => stack.kind))].sort()).to.deep.equal(['bootstrap', 'client', 'platform'])
      const types = await typesOf(stacks.map((stack) => stack.file))
      expect(types.size).to.be.greaterThan(50)
      expect(unclassified(types)).to.deep.equal([])
    } finally {
      await removeDir(workspace.root)
    }
  })

  it('classifies every resource type of the golden example fleet', async () => {
    const files = await stackFiles(join(fixturesDir, 'golden'))
    expect(files).to.have.length.greaterThan(3)
    expect(unclassified(await typesOf(files))).to.deep.equal([])
  })

  it('names audit domains the rule catalogue has', () => {
    const domains = new Set(RULES.map((rule) => rule.domain))
    const unknown = Object.entries(RESOURCE_CATALOGUE).filter(([, entry]) => !domains.has(entry.audit))
    expect(unknown.map(([type, entry]) => `${type}: ${entry.audit}`)).to.deep.equal([])
  })

  it('matches the estimate: a line for each priced type, none for any other', async () => {
    // One resource of every catalogued type; priced ones carry the literals their pricing reads.
    const priced: Record<string, Record<string, unknown>> = {
      aws_db_instance: {allocated_storage: 20, engine: 'postgres', instance_class: 'db.t4g.small', storage_type: 'gp3'},
      aws_ecs_service: {launch_type: 'FARGATE', task_definition: '${aws_ecs_task_definition.it.arn}'},
      aws_ecs_task_definition: {cpu: '512', memory: '1024'},
      aws_elasticache_cluster: {engine: 'redis', node_type: 'cache.t4g.small'},
      aws_elasticache_replication_group: {engine: 'redis', node_type: 'cache.t4g.small', num_cache_clusters: 2},
      aws_lb: {load_balancer_type: 'application'},
    }
    const json: TerraformJson = {
      provider: {aws: [{region: 'us-east-1'}]},
      resource: Object.fromEntries(Object.keys(RESOURCE_CATALOGUE).map((type) => [type, {it: priced[type] ?? {}}])),
    }
    const estimate = estimateStack(json, {
      prices: {'us-east-1': await loadPriceTable(undefined, 'us-east-1')},
      usage: (await loadUsage(undefined)).forTier('silver'),
    })
    const pricedTypes = Object.entries(RESOURCE_CATALOGUE)
      .filter(([, entry]) => entry.cost === 'priced')
      .map(([type]) => type)
    expect([...new Set(estimate.components.map((line) => line.resource))].sort()).to.deep.equal(pricedTypes.sort())
  })
})
