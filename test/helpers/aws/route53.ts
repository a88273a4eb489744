import {awsQueryError, type RestHandler} from './protocol.ts'

/**
 * Route 53's hosted-zone reads (REST-XML under /2013-04-01/): ListHostedZones, GetHostedZone with
 * its delegation set (NoSuchHostedZone, 404, for another id) and ListTagsForResource (no tags).
 */

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/'

export interface FakeHostedZone {
  id: string
  /** With or without the trailing dot; Route 53 answers with it. */
  name: string
}

export function route53Handlers(hostedZones: readonly FakeHostedZone[]): RestHandler[] {
  const zones = hostedZones.map((zone) => ({...zone, name: zone.name.replace(/\.?$/, '.')}))
  const response = (operation: string, body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><${operation}Response xmlns="${XMLNS}">${body}</${operation}Response>`
  const zoneXml = (zone: FakeHostedZone) =>
    `<HostedZone><Id>/hostedzone/${zone.id}</Id><Name>${zone.name}</Name><CallerReference>stub</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>`
  return [
    {
      handle: () => ({
        xml: response(
          'ListHostedZones',
          `<HostedZones>${zones.map(zoneXml).join('')}</HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems><Marker></Marker>`,
        ),
      }),
      method: 'GET',
      operation: 'ListHostedZones',
      path: /^\/2013-04-01\/hostedzone$/,
    },
    {
      handle: (url) => {
        const zone = zones.find((candidate) => url.pathname.endsWith(`/${candidate.id}`))
        if (!zone)
          return awsQueryError('NoSuchHostedZone', 'No hosted zone found', 404, {requestId: 'stub', xmlns: XMLNS})
        return {
          xml: response(
            'GetHostedZone',
            `${zoneXml(zone)}<DelegationSet><NameServers><NameServer>ns-1.awsdns-01.org</NameServer><NameServer>ns-2.awsdns-02.net</NameServer></NameServers></DelegationSet>`,
          ),
        }
      },
      method: 'GET',
      operation: 'GetHostedZone',
      path: /^\/2013-04-01\/hostedzone\/[^/]+$/,
    },
    {
      handle: (url) => {
        const id = url.pathname.split('/').pop()
        return {
          xml: response(
            'ListTagsForResource',
            `<ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>${id}</ResourceId><Tags></Tags></ResourceTagSet>`,
          ),
        }
      },
      method: 'GET',
      operation: 'ListTagsForResource',
      path: /^\/2013-04-01\/tags\/hostedzone\/[^/]+$/,
    },
  ]
}
