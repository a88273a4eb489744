import {createHash, randomUUID} from 'node:crypto'
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'

import {closeServer, listen, readBody} from './protocol.ts'

/**
 * A loopback S3 that speaks S3's REST protocol (path-style addressing) well enough for the real
 * terraform's S3 backend and the AWS SDK: buckets (CreateBucket, HeadBucket, GetBucketLocation,
 * Get/PutBucketVersioning), objects (PutObject with `If-None-Match: *` and `If-Match`, GetObject
 * with `Range` and `versionId`, HeadObject, DeleteObject, ListObjectsV2 with prefix, delimiter and
 * pagination, ListObjectVersions), versioning (every write of a versioned bucket keeps the earlier
 * version; a delete leaves a delete marker), aws-chunked request bodies (the SDK's streaming
 * checksums), Content-MD5 checks, and S3's XML error documents (NoSuchBucket, NoSuchKey,
 * PreconditionFailed, BadDigest). Requests are not authenticated, only recorded with their signer.
 */

export interface S3Call {
  method: string
  bucket?: string
  key?: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  status: number
}

export interface S3ObjectVersion {
  versionId: string
  body: Buffer
  etag: string
  lastModified: Date
  contentType: string
  deleteMarker: boolean
}

interface Bucket {
  versioning: 'Enabled' | 'Suspended' | undefined
  objects: Map<string, S3ObjectVersion[]>
}

export interface S3Loopback {
  /** The endpoint (AWS_ENDPOINT_URL_S3 / endpoints.s3), e.g. http://127.0.0.1:41234 */
  url: string
  calls: S3Call[]
  createBucket(name: string, options?: {versioning?: boolean}): void
  hasBucket(name: string): boolean
  /** The current bytes of an object (undefined when absent or deleted). */
  object(bucket: string, key: string): Buffer | undefined
  /** Every version of an object, oldest first (delete markers included). */
  versions(bucket: string, key: string): S3ObjectVersion[]
  /** The keys of the current (not deleted) objects, sorted. */
  keys(bucket: string): string[]
  putObject(bucket: string, key: string, body: string | Buffer): void
  /** How long to hold a request before answering it (default none): slow state writes, for interrupts. */
  delay: (request: {method: string; bucket?: string; key?: string}) => number
  /** An error to answer a request with instead (default none), e.g. {status: 403, code: 'AccessDenied'}. */
  fault: (request: {method: string; bucket?: string; key?: string}) => {status: number; code: string} | undefined
  close(): Promise<void>
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/'

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

/**
 * The payload of an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` repeated,
 * then a zero-size chunk and optional trailers (`x-amz-checksum-crc32:…`).
 */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset)
    if (lineEnd === -1) throw new Error('malformed aws-chunked body: no chunk header')
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0]!, 16)
    if (!Number.isFinite(size)) throw new Error('malformed aws-chunked body: bad chunk size')
    offset = lineEnd + 2
    if (size === 0) return Buffer.concat(parts)
    parts.push(body.subarray(offset, offset + size))
    offset += size + 2
  }
}

function isChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '')
  const sha = String(headers['x-amz-content-sha256'] ?? '')
  return encoding.split(',').some((part) => part.trim() === 'aws-chunked') || sha.startsWith('STREAMING-')
}

export async function startS3Loopback(): Promise<S3Loopback> {
  const buckets = new Map<string, Bucket>()
  const calls: S3Call[] = []

  const current = (bucket: Bucket, key: string): S3ObjectVersion | undefined => {
    const latest = bucket.objects.get(key)?.at(-1)
    return latest && !latest.deleteMarker ? latest : undefined
  }
  const store = (bucket: Bucket, key: string, body: Buffer, contentType: string): S3ObjectVersion => {
    const version: S3ObjectVersion = {
      body,
      contentType,
      deleteMarker: false,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: new Date(),
      versionId: bucket.versioning === 'Enabled' ? randomUUID().replaceAll('-', '') : 'null',
    }
    const history = bucket.versioning === 'Enabled' ? (bucket.objects.get(key) ?? []) : []
    bucket.objects.set(key, [...history, version])
    return version
  }

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://loopback')
    const [, bucketName = '', ...keyParts] = url.pathname.split('/')
    const key = keyParts.length > 0 ? decodeURIComponent(keyParts.join('/')) : undefined
    const query = Object.fromEntries(url.searchParams)
    const call: S3Call = {
      bucket: bucketName || undefined,
      headers: request.headers,
      key: key || undefined,
      method: request.method ?? 'GET',
      query,
      status: 200,
    }
    calls.push(call)
    const body = await readBody(request)
    const wait = loopback.delay({bucket: call.bucket, key: call.key, method: call.method})
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const reply = (status: number, xml?: string, headers: Record<string, string> = {}) => {
      call.status = status
      const withBody = xml !== undefined && request.method !== 'HEAD'
      response.writeHead(status, {
        'x-amz-request-id': `req-${calls.length}`,
        ...(withBody ? {'content-type': 'application/xml'} : {}),
        ...headers,
      })
      response.end(withBody ? `<?xml version="1.0" encoding="UTF-8"?>\n${xml}` : undefined)
    }
    const error = (status: number, code: string, message: string, resource = url.pathname) =>
      reply(
        status,
        `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><Resource>${escapeXml(resource)}</Resource><RequestId>req-${calls.length}</RequestId></Error>`,
        // HEAD answers carry no body: the SDK reads the code from this header's absence and the status.
        request.method === 'HEAD' ? {'x-amz-error-code': code} : {},
      )
    const injected = loopback.fault({bucket: call.bucket, key: call.key, method: call.method})
    if (injected) return error(injected.status, injected.code, `injected by the test: ${injected.code}`)
    try {
      if (!bucketName) return error(400, 'InvalidRequest', 'ListBuckets is not supported by this loopback')
      const bucket = buckets.get(bucketName)
      if (!key) return handleBucket(request.method ?? 'GET', bucketName, bucket)
      if (!bucket) return error(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucketName}`)
      return handleObject(request.method ?? 'GET', bucket, key)
    } catch (caught) {
      return error(500, 'InternalError', (caught as Error).message)
    }

    function handleBucket(method: string, name: string, bucket: Bucket | undefined) {
      if (method === 'PUT' && 'versioning' in query) {
        if (!bucket) return error(404, 'NoSuchBucket', 'The specified bucket does not exist')
        const status = /<Status>(\w+)<\/Status>/.exec(body.toString('utf8'))?.[1]
        bucket.versioning = status === 'Enabled' ? 'Enabled' : 'Suspended'
        return reply(200)
      }
      if (method === 'PUT') {
        if (bucket)
          return error(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded')
        buckets.set(name, {objects: new Map(), versioning: undefined})
        return reply(200, undefined, {location: `/${name}`})
      }
      if (!bucket) return error(404, 'NoSuchBucket', 'The specified bucket does not exist')
      if (method === 'HEAD') return reply(200, undefined, {'x-amz-bucket-region': 'us-east-1'})
      if (method === 'GET' && 'location' in query)
        return reply(200, `<LocationConstraint xmlns="${XMLNS}"></LocationConstraint>`)
      if (method === 'GET' && 'versioning' in query)
        return reply(
          200,
          `<VersioningConfiguration xmlns="${XMLNS}">${bucket.versioning ? `<Status>${bucket.versioning}</Status>` : ''}</VersioningConfiguration>`,
        )
      if (method === 'GET' && 'versions' in query) return listVersions(name, bucket)
      if (method === 'GET') return listObjects(name, bucket)
      return error(405, 'MethodNotAllowed', `${method} on a bucket is not supported by this loopback`)
    }

    function listObjects(name: string, bucket: Bucket) {
      const prefix = query.prefix ?? ''
      const delimiter = query.delimiter ?? ''
      const maxKeys = Math.min(Number(query['max-keys'] ?? 1000), 1000)
      const after = query['continuation-token']
        ? Buffer.from(query['continuation-token'], 'base64').toString('utf8')
        : (query['start-after'] ?? '')
      const contents: S3ObjectVersion[] = []
      const contentKeys: string[] = []
      const prefixes = new Set<string>()
      let truncated = false
      let last = ''
      for (const objectKey of [...bucket.objects.keys()].sort()) {
        const object = current(bucket, objectKey)
        if (!object || !objectKey.startsWith(prefix) || objectKey <= after) continue
        const rest = objectKey.slice(prefix.length)
        const cut = delimiter ? rest.indexOf(delimiter) : -1
        const entry = cut === -1 ? objectKey : prefix + rest.slice(0, cut + delimiter.length)
        if (cut !== -1 && prefixes.has(entry)) continue
        if (contents.length + prefixes.size >= maxKeys) {
          truncated = true
          break
        }
        if (cut === -1) {
          contents.push(object)
          contentKeys.push(objectKey)
        } else prefixes.add(entry)
        last = objectKey
      }
      const items = contents
        .map(
          (object, index) =>
            `<Contents><Key>${escapeXml(contentKeys[index]!)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        )
        .join('')
      const common = [...prefixes].map(
        (entry) => `<CommonPrefixes><Prefix>${escapeXml(entry)}</Prefix></CommonPrefixes>`,
      )
      return reply(
        200,
        `<ListBucketResult xmlns="${XMLNS}"><Name>${escapeXml(name)}</Name><Prefix>${escapeXml(prefix)}</Prefix>${delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : ''}<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${contents.length + prefixes.size}</KeyCount><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64')}</NextContinuationToken>` : ''}${items}${common.join('')}</ListBucketResult>`,
      )
    }

    function listVersions(name: string, bucket: Bucket) {
      const prefix = query.prefix ?? ''
      const entries = [...bucket.objects.entries()]
        .filter(([objectKey]) => objectKey.startsWith(prefix))
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([objectKey, history]) =>
          history
            .map((version, index) => ({index, objectKey, version}))
            .reverse()
            .map(({index, objectKey: entryKey, version}) => {
              const latest = index === history.length - 1
              const common = `<Key>${escapeXml(entryKey)}</Key><VersionId>${version.versionId}</VersionId><IsLatest>${latest}</IsLatest><LastModified>${version.lastModified.toISOString()}</LastModified>`
              return version.deleteMarker
                ? `<DeleteMarker>${common}</DeleteMarker>`
                : `<Version>${common}<ETag>${escapeXml(version.etag)}</ETag><Size>${version.body.length}</Size><StorageClass>STANDARD</StorageClass></Version>`
            }),
        )
      return reply(
        200,
        `<ListVersionsResult xmlns="${XMLNS}"><Name>${escapeXml(name)}</Name><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${entries.join('')}</ListVersionsResult>`,
      )
    }

    function handleObject(method: string, bucket: Bucket, objectKey: string) {
      const wanted = query.versionId
        ? bucket.objects.get(objectKey)?.find((version) => version.versionId === query.versionId)
        : current(bucket, objectKey)
      if (method === 'PUT') {
        if (query.partNumber || query.uploadId)
          return error(501, 'NotImplemented', 'multipart uploads are not supported')
        const existing = current(bucket, objectKey)
        const ifNoneMatch = request.headers['if-none-match']
        if (ifNoneMatch === '*' && existing)
          return error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')
        const ifMatch = request.headers['if-match']
        if (ifMatch && ifMatch !== existing?.etag)
          return error(existing ? 412 : 404, existing ? 'PreconditionFailed' : 'NoSuchKey', 'If-Match did not hold')
        const payload = isChunked(request.headers) ? decodeAwsChunked(body) : body
        const md5 = request.headers['content-md5']
        if (typeof md5 === 'string' && md5 !== createHash('md5').update(payload).digest('base64'))
          return error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received')
        const version = store(
          bucket,
          objectKey,
          payload,
          String(request.headers['content-type'] ?? 'binary/octet-stream'),
        )
        return reply(200, undefined, {
          etag: version.etag,
          ...(bucket.versioning === 'Enabled' ? {'x-amz-version-id': version.versionId} : {}),
        })
      }
      if (method === 'DELETE') {
        if (query.versionId) {
          const history = bucket.objects.get(objectKey) ?? []
          bucket.objects.set(
            objectKey,
            history.filter((version) => version.versionId !== query.versionId),
          )
          return reply(204, undefined, {'x-amz-version-id': query.versionId})
        }
        if (bucket.versioning === 'Enabled') {
          if (current(bucket, objectKey)) {
            const marker = {...store(bucket, objectKey, Buffer.alloc(0), ''), deleteMarker: true}
            bucket.objects.get(objectKey)!.splice(-1, 1, marker)
            return reply(204, undefined, {'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId})
          }
        } else bucket.objects.delete(objectKey)
        return reply(204)
      }
      if (method !== 'GET' && method !== 'HEAD')
        return error(405, 'MethodNotAllowed', `${method} on an object is not supported by this loopback`)
      if (!wanted) return error(404, 'NoSuchKey', 'The specified key does not exist.', `/${objectKey}`)
      const headers: Record<string, string> = {
        'accept-ranges': 'bytes',
        'content-type': wanted.contentType,
        etag: wanted.etag,
        'last-modified': wanted.lastModified.toUTCString(),
        ...(bucket.versioning ? {'x-amz-version-id': wanted.versionId} : {}),
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(request.headers.range ?? ''))
      let bytes = wanted.body
      let status = 200
      if (range) {
        const start = Number(range[1])
        const end = Math.min(range[2] ? Number(range[2]) : bytes.length - 1, bytes.length - 1)
        if (start >= bytes.length && bytes.length > 0)
          return error(416, 'InvalidRange', 'The requested range is not satisfiable')
        headers['content-range'] = `bytes ${start}-${Math.max(end, start)}/${bytes.length}`
        bytes = bytes.subarray(start, end + 1)
        status = 206
      }
      headers['content-length'] = String(bytes.length)
      call.status = status
      response.writeHead(status, headers)
      response.end(method === 'HEAD' ? undefined : bytes)
      return undefined
    }
  })
  const bucketOrThrow = (name: string) => {
    const bucket = buckets.get(name)
    if (!bucket) throw new Error(`no bucket ${name} in the S3 loopback`)
    return bucket
  }
  const loopback: S3Loopback = {
    calls,
    close: () => closeServer(server),
    createBucket(name, options = {}) {
      buckets.set(name, {objects: new Map(), versioning: options.versioning ? 'Enabled' : undefined})
    },
    hasBucket: (name) => buckets.has(name),
    keys: (name) =>
      [...bucketOrThrow(name).objects.keys()].filter((objectKey) => current(bucketOrThrow(name), objectKey)).sort(),
    object: (name, objectKey) => (buckets.has(name) ? current(bucketOrThrow(name), objectKey)?.body : undefined),
    putObject(name, objectKey, body) {
      store(bucketOrThrow(name), objectKey, Buffer.from(body), 'application/json')
    },
    delay: () => 0,
    fault: () => undefined,
    url: '',
    versions: (name, objectKey) => [...(bucketOrThrow(name).objects.get(objectKey) ?? [])],
  }
  loopback.url = await listen(server)
  return loopback
}
