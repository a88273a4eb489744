import {createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * The wire protocols the loopback stand-ins of AWS services speak to the real AWS SDK clients and
 * the real terraform provider (through an endpoint override): JSON 1.0/1.1 (`X-Amz-Target`: KMS,
 * Secrets Manager, ECS, Cost Explorer, Organizations), query/XML (STS) and REST-XML (Route 53),
 * their error bodies, and a server on 127.0.0.1 at a free port. Every call is recorded.
 */
export interface AwsCall {
  /** The JSON target prefix (`TrentService`, `secretsmanager`), `query` or `rest`; set by startAwsLoopback. */
  service?: string
  operation: string
  body: Record<string, unknown>
  headers: IncomingHttpHeaders
}

export interface AwsReply {
  status?: number
  body: unknown
  headers?: Record<string, string>
}

export interface XmlReply {
  status?: number
  xml: string
}

export type JsonHandler = (body: Record<string, unknown>, call: AwsCall) => AwsReply | Promise<AwsReply>
export type QueryHandler = (params: URLSearchParams, call: AwsCall) => XmlReply | Promise<XmlReply>

/** A REST-XML operation (Route 53): its method, a path pattern, and the XML it answers. */
export interface RestHandler {
  operation: string
  method: string
  path: RegExp
  handle(url: URL, call: AwsCall): XmlReply | Promise<XmlReply>
}

export interface LoopbackService {
  url: string
  calls: AwsCall[]
  close(): Promise<void>
}

/** A JSON-protocol error as the SDK expects it: HTTP 400 and `__type`. */
export function awsJsonError(type: string, message: string, status = 400): AwsReply {
  return {body: {__type: type, Message: message, message}, status}
}

/** A query or REST-XML error document (STS, Route 53): `<ErrorResponse>`, in the service's namespace if it has one. */
export function awsQueryError(
  code: string,
  message: string,
  status = 400,
  document: {xmlns?: string; requestId?: string} = {},
): XmlReply {
  const open = document.xmlns ? `<ErrorResponse xmlns="${document.xmlns}">` : '<ErrorResponse>'
  return {
    status,
    xml: `${open}<Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${document.requestId ?? '00000000-0000-0000-0000-000000000000'}</RequestId></ErrorResponse>`,
  }
}

/** Who signed a call and for which region and service, from its SigV4 Authorization header. */
export function signedBy(call: AwsCall): {accessKeyId: string; region: string; service: string} | undefined {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
    String(call.headers.authorization ?? ''),
  )
  return match ? {accessKeyId: match[1]!, region: match[2]!, service: match[3]!} : undefined
}

/** Starts `server` on 127.0.0.1 at a free port; resolves with its URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Stops `server`, kept-alive connections included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/** Answers one JSON-protocol call: the handler's reply, or the error the SDK expects when there is none or it throws. */
async function replyJson(
  response: ServerResponse,
  handler: JsonHandler | undefined,
  call: AwsCall,
  name: string,
  requestNumber: number,
): Promise<void> {
  let reply: AwsReply
  try {
    reply = handler
      ? await handler(call.body, call)
      : awsJsonError('UnknownOperationException', `no handler for ${name}`)
  } catch (error) {
    reply = awsJsonError('InternalFailure', (error as Error).message, 500)
  }
  response.writeHead(reply.status ?? 200, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': `req-${requestNumber}`,
    ...reply.headers,
  })
  response.end(JSON.stringify(reply.body))
}

function replyXml(response: ServerResponse, reply: XmlReply): void {
  response.writeHead(reply.status ?? 200, {'content-type': 'text/xml'})
  response.end(reply.xml)
}

/** One JSON 1.0/1.1 service on its own endpoint: `POST /` with `X-Amz-Target: <Prefix>.<Operation>`. */
export async function startJsonService(handlers: Record<string, JsonHandler>): Promise<LoopbackService> {
  const calls: AwsCall[] = []
  const server = createServer(async (request, response) => {
    const text = (await readBody(request)).toString('utf8')
    const target = String(request.headers['x-amz-target'] ?? '')
    const operation = target.split('.').pop() ?? ''
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {}
    const call = {body, headers: request.headers, operation}
    calls.push(call)
    const handler = handlers[operation]
    await replyJson(response, handler, call, operation, calls.length)
  })
  const url = await listen(server)
  return {calls, close: () => closeServer(server), url}
}

/**
 * Several services behind ONE endpoint, as `--endpoint-url` / AWS_ENDPOINT_URL send them: REST
 * calls by method and path, JSON calls by the prefix of `X-Amz-Target` (`TrentService` = KMS,
 * `secretsmanager`), form-encoded calls (STS) by `Action`. Every call is recorded with its service.
 */
export async function startAwsLoopback(services: {
  json?: Record<string, Record<string, JsonHandler>>
  query?: Record<string, QueryHandler>
  /** REST services (Route 53): by method and path, tried before the query protocol. */
  rest?: RestHandler[]
}): Promise<LoopbackService> {
  const calls: AwsCall[] = []
  const server = createServer(async (request, response) => {
    const text = (await readBody(request)).toString('utf8')
    const url = new URL(request.url ?? '/', 'http://loopback')
    const rest = services.rest?.find((handler) => handler.method === request.method && handler.path.test(url.pathname))
    if (rest) {
      const call = {body: {}, headers: request.headers, operation: rest.operation, service: 'rest'}
      calls.push(call)
      replyXml(response, await rest.handle(url, call))
      return
    }
    const target = request.headers['x-amz-target']
    if (typeof target === 'string') {
      const [prefix = '', operation = ''] = target.split('.')
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {}
      const call = {body, headers: request.headers, operation, service: prefix}
      calls.push(call)
      const handler = services.json?.[prefix]?.[operation]
      await replyJson(response, handler, call, target, calls.length)
      return
    }
    const params = new URLSearchParams(text)
    const operation = params.get('Action') ?? ''
    const call = {body: Object.fromEntries(params), headers: request.headers, operation, service: 'query'}
    calls.push(call)
    const handler = services.query?.[operation]
    replyXml(
      response,
      handler ? await handler(params, call) : awsQueryError('InvalidAction', `no handler for ${operation}`),
    )
  })
  const url = await listen(server)
  return {calls, close: () => closeServer(server), url}
}

/** A handler's early answer (an error reply) rather than what it looked up. */
export function isAwsReply(value: unknown): value is AwsReply {
  return typeof value === 'object' && value !== null && 'body' in value
}

/** A JSON-protocol timestamp: seconds since the epoch. */
export function epochSeconds(date: Date | undefined): number | undefined {
  return date ? date.getTime() / 1000 : undefined
}
