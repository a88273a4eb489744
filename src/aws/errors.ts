import {ExitCode, SeiketsuError, usageError} from '../errors.ts'
import {PROVISIONER_ROLE} from '../naming.ts'

/**
 * Every AWS failure leaves seiketsu as exit 4 (code AWS_ERROR) through here: the SDK's error read
 * once (awsErrorFacts), a message naming the service, the operation and where it went, and what
 * to check.
 */

/** A client without an AWS account has nothing on AWS yet: exit 2, saying what that rules out and how to record the account. */
export function noAccountError(clientId: string, consequence: string): SeiketsuError {
  return usageError(`Client ${clientId} has no AWS account yet (accountId is null): ${consequence}`, {
    code: 'NO_ACCOUNT',
    suggestions: [
      `Once the platform stack has created it: seiketsu clients update ${clientId} --account-id ACCOUNT_ID`,
    ],
  })
}

/** Where a call went, for error messages. */
export interface AwsCallContext {
  service: string
  operation: string
  client?: string
  region?: string
}

/** The SDK's error shape, as much of it as the messages need. */
interface SdkError extends Error {
  $metadata?: {httpStatusCode?: number; requestId?: string; attempts?: number}
  Code?: string
  /** Node's code of a connection that failed (ECONNREFUSED…). */
  code?: string
}

/** What the SDK said about a failure. */
export interface AwsErrorFacts {
  /** The service's error name (ThrottlingException), or the SDK's own (CredentialsProviderError). */
  name: string
  message: string
  /** The HTTP status of the service's answer: absent when no answer came (network, credentials). */
  status?: number
  requestId?: string
  attempts?: number
  /** The connection itself failed: refused, unresolved, reset or timed out. */
  unreachable: boolean
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN'])

export function awsErrorFacts(error: unknown): AwsErrorFacts {
  const sdk = error as SdkError
  return {
    attempts: sdk.$metadata?.attempts,
    message: sdk.message,
    name: sdk.name && sdk.name !== 'Error' ? sdk.name : (sdk.Code ?? 'Error'),
    requestId: sdk.$metadata?.requestId,
    status: sdk.$metadata?.httpStatusCode,
    unreachable: UNREACHABLE_CODES.has(sdk.code ?? ''),
  }
}

/** An AWS failure as exit 4, with the SDK's error as its cause. */
export function awsError(
  message: string,
  cause: unknown,
  more: {details: Record<string, unknown>; suggestions: string[]},
): SeiketsuError {
  return new SeiketsuError(message, ExitCode.External, {cause, code: 'AWS_ERROR', ...more})
}

/** Any AWS failure as exit 4, with the service's own error name and message and what to check. */
export function awsFailure(error: unknown, context: AwsCallContext): SeiketsuError {
  if (error instanceof SeiketsuError) return error
  const facts = awsErrorFacts(error)
  const where = [context.client ? `client ${context.client}` : undefined, context.region].filter(Boolean).join(', ')
  const reached = facts.status !== undefined
  const message = reached
    ? `${context.service} ${context.operation} failed${where ? ` (${where})` : ''}: ${facts.name}: ${facts.message}`
    : `${context.service} ${context.operation} could not reach AWS${where ? ` (${where})` : ''}: ${facts.message}`
  const suggestions: string[] = []
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(facts.name))
    suggestions.push(
      context.service === 'STS'
        ? `Check that the ${PROVISIONER_ROLE} role exists in the client account and trusts the caller (seiketsu provision creates it).`
        : `Check that the ${PROVISIONER_ROLE} role may call ${context.operation}.`,
    )
  if (
    /ExpiredToken|InvalidClientTokenId|UnrecognizedClient|CredentialsProviderError/i.test(
      `${facts.name} ${facts.message}`,
    )
  )
    suggestions.push('Refresh your AWS credentials (aws sso login, or --profile NAME).')
  if (!reached) suggestions.push('Check the network, --region and --endpoint-url / AWS_ENDPOINT_URL.')
  return awsError(message, error, {
    details: {
      attempts: facts.attempts,
      awsError: facts.name,
      client: context.client,
      operation: context.operation,
      region: context.region,
      requestId: facts.requestId,
      service: context.service,
      status: facts.status,
    },
    suggestions,
  })
}

/** Runs one AWS call, turning any failure into exit 4 with the service's message. */
export async function awsCall<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw awsFailure(error, context)
  }
}

/** The SDK error name of a failure awsCall wrapped (e.g. ResourceNotFoundException). */
export function awsErrorName(error: unknown): string | undefined {
  if (error instanceof SeiketsuError) return (error.details as {awsError?: string} | undefined)?.awsError
  return (error as SdkError | undefined)?.name
}
