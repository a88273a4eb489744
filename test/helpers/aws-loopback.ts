import {createServer, type IncomingHttpHeaders, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * Loopback stand-ins for AWS services that the real AWS SDK clients talk to through an endpoint
 * override. They speak the services' wire protocols: JSON 1.0/1.1 (`X-Amz-Target`, used by KMS,
 * Secrets Manager, Cost Explorer) and query/XML (STS, RDS). Every call is recorded.
 */
export interface AwsCall {
  /** The JSON target prefix (`TrentService`, `secretsmanager`) or `query`; set by startAwsLoopback. */
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

export type JsonHandler = (body: Record<string, unknown>, call: AwsCall) => AwsReply | Promise<AwsReply>
export type QueryHandler = (
  params: URLSearchParams,
  call: AwsCall,
) => {status?: number; xml: string} | Promise<{status?: number; xml: string}>

/** A REST-XML operation (Route 53): its method, a path pattern, and the XML it answers. */
export interface RestHandler {
  operation: string
  method: string
  path: RegExp
  handle(url: URL, call: AwsCall): {status?: number; xml: string} | Promise<{status?: number; xml: string}>
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

/** A query-protocol error document (STS, RDS). */
export function awsQueryError(code: string, message: string, status = 400): {status: number; xml: string} {
  return {
    status,
    xml: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

function readBody(request: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (text += chunk))
    request.on('end', () => resolve(text))
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

/** A JSON 1.0/1.1 service: `POST /` with `X-Amz-Target: <Prefix>.<Operation>`. */
export async function startJsonService(handlers: Record<string, JsonHandler>): Promise<LoopbackService> {
  const calls: AwsCall[] = []
  const server = createServer(async (request, response) => {
    const text = await readBody(request)
    const target = String(request.headers['x-amz-target'] ?? '')
    const operation = target.split('.').pop() ?? ''
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {}
    const call = {body, headers: request.headers, operation}
    calls.push(call)
    const handler = handlers[operation]
    await replyJson(response, handler, call, operation, calls.length)
  })
  const url = await listen(server)
  return {calls, close: () => close(server), url}
}

/** A query-protocol service: form-encoded `Action=…` in, XML out. */
export async function startQueryService(handlers: Record<string, QueryHandler>): Promise<LoopbackService> {
  const calls: AwsCall[] = []
  const server = createServer(async (request, response) => {
    const params = new URLSearchParams(await readBody(request))
    const operation = params.get('Action') ?? ''
    const call = {body: Object.fromEntries(params), headers: request.headers, operation}
    calls.push(call)
    const handler = handlers[operation]
    const reply = handler ? await handler(params, call) : awsQueryError('InvalidAction', `no handler for ${operation}`)
    response.writeHead(reply.status ?? 200, {'content-type': 'text/xml'})
    response.end(reply.xml)
  })
  const url = await listen(server)
  return {calls, close: () => close(server), url}
}

/**
 * Several services behind ONE endpoint, as `--endpoint-url` / AWS_ENDPOINT_URL send them: JSON
 * calls are routed by the prefix of `X-Amz-Target` (`TrentService` = KMS, `secretsmanager`),
 * form-encoded calls (STS, RDS) by `Action`. Every call is recorded with its service.
 */
export async function startAwsLoopback(services: {
  json?: Record<string, Record<string, JsonHandler>>
  query?: Record<string, QueryHandler>
  /** REST services (Route 53): by method and path, tried before the query protocol. */
  rest?: RestHandler[]
}): Promise<LoopbackService> {
  const calls: AwsCall[] = []
  const server = createServer(async (request, response) => {
    const text = await readBody(request)
    const url = new URL(request.url ?? '/', 'http://loopback')
    const rest = services.rest?.find((handler) => handler.method === request.method && handler.path.test(url.pathname))
    if (rest) {
      const call = {body: {}, headers: request.headers, operation: rest.operation, service: 'rest'}
      calls.push(call)
      const reply = await rest.handle(url, call)
      response.writeHead(reply.status ?? 200, {'content-type': 'text/xml'})
      response.end(reply.xml)
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
    const reply = handler ? await handler(params, call) : awsQueryError('InvalidAction', `no handler for ${operation}`)
    response.writeHead(reply.status ?? 200, {'content-type': 'text/xml'})
    response.end(reply.xml)
  })
  const url = await listen(server)
  return {calls, close: () => close(server), url}
}

/** Who signed a call and for which region and service, from its SigV4 Authorization header. */
export function signedBy(call: AwsCall): {accessKeyId: string; region: string; service: string} | undefined {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
    String(call.headers.authorization ?? ''),
  )
  return match ? {accessKeyId: match[1]!, region: match[2]!, service: match[3]!} : undefined
}

/** Credentials the SDK accepts without touching a real account or the instance metadata service. */
export const FAKE_AWS_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
}
