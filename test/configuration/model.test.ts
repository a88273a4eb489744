import {expect} from 'chai'

import {readConfiguration} from '../../src/configuration/model.ts'
import {defaultProvider, providerOf} from '../../src/configuration/providers.ts'
import {indexResources, resolve} from '../../src/configuration/references.ts'

/** The same configuration in cdktf's JSON shape and in the list shape of HCL converted to JSON. */
const cdktfShape = {
  data: {aws_route53_zone: {parent: {name: 'clients.example'}}},
  output: {zone: {value: '${aws_route53_zone.zone.zone_id}'}},
  provider: {aws: [{region: 'us-east-1'}, {alias: 'dr', region: '${var.dr_region}'}]},
  resource: {
    aws_route53_record: {ns: {provider: 'aws.dr', zone_id: '${data.aws_route53_zone.parent.zone_id}'}},
    aws_route53_zone: {zone: {name: 'acme.clients.example'}},
  },
  variable: {dr_region: {default: 'us-west-2', type: 'string'}},
}

const hclShape = {
  data: {aws_route53_zone: {parent: [{name: 'clients.example'}]}},
  output: {zone: [{value: '${aws_route53_zone.zone.zone_id}'}]},
  provider: {aws: [{region: 'us-east-1'}, {alias: 'dr', region: '${var.dr_region}'}]},
  resource: [
    {aws_route53_record: [{ns: [{provider: 'aws.dr', zone_id: '${data.aws_route53_zone.parent.zone_id}'}]}]},
    {aws_route53_zone: [{zone: [{name: 'acme.clients.example'}]}]},
  ],
  variable: {dr_region: [{default: 'us-west-2', type: 'string'}]},
}

for (const [shape, json] of [
  ['cdktf JSON', cdktfShape],
  ['HCL converted to JSON', hclShape],
] as const)
  describe(`reading a configuration (${shape})`, () => {
    const configuration = readConfiguration({file: 'main.tf', json})

    it('keeps data sources apart from the managed resources', () => {
      expect(configuration.resources.map((resource) => [resource.address, resource.mode])).to.deep.equal([
        ['aws_route53_record.ns', 'managed'],
        ['aws_route53_zone.zone', 'managed'],
      ])
      expect(configuration.dataSources.map((source) => [source.address, source.mode])).to.deep.equal([
        ['data.aws_route53_zone.parent', 'data'],
      ])
    })

    it('lists providers with their alias and literal region, and which one a resource uses', () => {
      expect(configuration.providers.map(({alias, key, region}) => ({alias, key, region}))).to.deep.equal([
        {alias: undefined, key: 'aws', region: 'us-east-1'},
        {alias: 'dr', key: 'aws.dr', region: undefined},
      ])
      const [record, zone] = configuration.resources
      expect(providerOf(configuration, record!)?.key).to.equal('aws.dr')
      expect(providerOf(configuration, zone!)).to.equal(defaultProvider(configuration))
    })

    it('lists variables, and keeps the other blocks as written', () => {
      expect(configuration.variables.map(({name, values}) => [name, values.default])).to.deep.equal([
        ['dr_region', 'us-west-2'],
      ])
      expect(Object.keys(configuration.blocks)).to.have.members(['output', 'variable'])
    })

    it('resolves references to resources and data sources', () => {
      const index = indexResources([...configuration.resources, ...configuration.dataSources])
      const [record] = configuration.resources
      expect(resolve(index, record!.values.zone_id)?.address).to.equal('data.aws_route53_zone.parent')
      expect(resolve(index, json.output.zone, ['aws_route53_zone'])?.address).to.equal('aws_route53_zone.zone')
    })
  })
