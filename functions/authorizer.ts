/**
 * API Gateway REQUEST authorizer: turns `Authorization: Bearer <jwt>` into a caller.
 *
 * Answers: an Allow policy with the caller as context (see shared/http/identity.ts for its format),
 * or `throw new Error('Unauthorized')`, the one message API Gateway (and serverless-offline) turns
 * into 401. A Deny policy would give 403, which tells a client "you are known but not allowed";
 * per-team permission is decided later by the handlers. Any other error (missing configuration,
 * key set unreachable) gives 500 in API Gateway: an outage must not look like a bad token.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayAuthorizerWithContextResult,
  APIGatewayRequestAuthorizerEvent,
  PolicyDocument,
} from 'aws-lambda';
import { authConfigFromEnv, TokenRejectedError, verifyToken } from '../shared/http/auth';
import { type AuthorizerContext, type Caller, toAuthorizerContext } from '../shared/http/identity';

const logger = new Logger({ serviceName: 'berth' });

const BEARER = /^bearer\s+(\S+)\s*$/i;

export async function handler(
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerWithContextResult<AuthorizerContext>> {
  const config = authConfigFromEnv();
  const token = bearerToken(event.headers);
  if (token === undefined) return deny('MISSING_BEARER_TOKEN');
  let caller: Caller;
  try {
    caller = await verifyToken(token, config);
  } catch (error) {
    if (error instanceof TokenRejectedError) return deny(error.reason, error.claim);
    // The message never holds the token: jose and fetch errors describe the key set request only.
    logger.error('token verification failed', errorSummary(error));
    throw error;
  }
  return {
    principalId: caller.subject,
    policyDocument: allowWholeApi(event.methodArn),
    context: toAuthorizerContext(caller),
  };
}

/** Logs the reason (never the token) and throws the 401 signal. */
function deny(reason: string, claim?: string): never {
  logger.warn('authorization denied', { reason, ...(claim === undefined ? {} : { claim }) });
  throw new Error('Unauthorized');
}

/** HTTP header names are case-insensitive (RFC 9110 §5.1), and so is the auth scheme (§11.1). */
function bearerToken(headers: APIGatewayRequestAuthorizerEvent['headers']): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization');
  const value = entry?.[1];
  return value === undefined ? undefined : BEARER.exec(value)?.[1];
}

/**
 * Allows every method and path of this API and stage, not just `methodArn`. API Gateway caches the
 * policy per token (the identity source) for the authorizer's TTL and applies the cached policy to
 * whatever route the same token calls next, so a policy naming one route would answer 403 on all
 * others until the cache expired. Which team's data the caller may touch is checked by handlers.
 * The cache also outlives the token's `exp` by up to the TTL, so keep `resultTtlInSeconds` short.
 */
function allowWholeApi(methodArn: string): PolicyDocument {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{resource path}
  const [api, stage] = methodArn.split('/');
  if (api === undefined || !api.startsWith('arn:') || stage === undefined || stage === '') {
    throw new Error(`Unexpected methodArn ${methodArn}`);
  }
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${api}/${stage}/*/*` }],
  };
}

/**
 * Name, code and message only: a jose claim error would also carry the payload in `cause`. Keys
 * avoid `message`, which Powertools Logger reserves (and drops) for the log line's own message.
 */
function errorSummary(error: unknown): Record<string, string> {
  if (typeof error !== 'object' || error === null) return { errorName: String(error) };
  const fields = { errorName: 'name', errorCode: 'code', errorMessage: 'message' };
  const summary: Record<string, string> = {};
  for (const [key, field] of Object.entries(fields)) {
    const value: unknown = Reflect.get(error, field);
    if (typeof value === 'string') summary[key] = value;
  }
  return summary;
}
