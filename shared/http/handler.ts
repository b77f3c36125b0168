/**
 * The middy stack every API handler shares: structured logging, lowercase headers, the body rules
 * (JSON only, 64 KB at most), the caller from the authorizer, and one mapping from failures to
 * problem+json. A handler only parses its input and calls a use case.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { UseCaseError } from '../app/errors';
import { formatIssues } from '../domain/issues';
import type * as z from '../domain/zod';
import { type Caller, callerFromEvent } from './identity';
import { HttpProblem, type Problem, problem } from './problem';

export const logger = new Logger({ serviceName: 'berth' });

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_TYPES = ['application/json', 'application/merge-patch+json'];

export interface HttpRequest {
  event: APIGatewayProxyEvent;
  /** Lowercase header names. */
  headers: Record<string, string | undefined>;
  /** Path parameters. */
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** The parsed JSON body (undefined when there is none). */
  body: unknown;
}

export interface AuthenticatedRequest extends HttpRequest {
  caller: Caller;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const BASE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function respond(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  type = 'application/json',
) {
  return {
    statusCode: status,
    headers: { ...BASE_HEADERS, 'Content-Type': `${type}; charset=utf-8`, ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  } satisfies APIGatewayProxyResult;
}

export function problemResponse(value: Problem, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return respond(value.status, value, headers, 'application/problem+json');
}

/**
 * The body's bytes. API Gateway hands over a string (or null), but serverless-offline hands over the
 * JSON it already parsed when that is a falsy scalar (`false`, `0`), so anything else is re-serialised.
 */
export function bodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  const body: unknown = event.body;
  const raw =
    typeof body === 'string' ? body : body === null || body === undefined ? '' : JSON.stringify(body);
  return event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

function readBody(event: APIGatewayProxyEvent, headers: Record<string, string | undefined>): unknown {
  const bytes = bodyBytes(event);
  if (bytes.length > MAX_BODY_BYTES) {
    throw new HttpProblem(
      'payload-too-large',
      'Payload Too Large',
      `the body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`,
    );
  }
  if (bytes.length === 0) return undefined;
  const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_TYPES.includes(mediaType)) {
    throw new HttpProblem(
      'unsupported-media-type',
      'Unsupported Media Type',
      `send the body as ${JSON_TYPES.join(' or ')}${mediaType ? `, not ${mediaType}` : ''}`,
    );
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new HttpProblem('bad-request', 'Malformed JSON', 'the body is not valid JSON', [
      { path: '', message: error instanceof Error ? error.message : 'invalid JSON' },
    ]);
  }
}

/** Parses query parameters or other non-body input with a zod schema; failures are 400 naming the field. */
export function parseInput<T extends z.ZodMiniType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new HttpProblem(
    'bad-request',
    `Invalid ${where}`,
    `the ${where} is not valid; see errors`,
    formatIssues(parsed.error).map((issue) => ({ ...issue, path: issue.path.replace(/^\//, '') })),
  );
}

/** Maps anything thrown to problem+json; only our own faults become 5xx, and they never leak details. */
function toProblemResponse(error: unknown, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  if (error instanceof HttpProblem) {
    return problemResponse(
      { ...problem(error.kind, error.title, error.detail, error.errors), instance: event.path },
      error.headers,
    );
  }
  if (error instanceof UseCaseError) {
    if (error.kind === 'unavailable') logger.error('dependency unavailable', { error: error.cause ?? error });
    return problemResponse(
      { ...problem(error.kind, error.title, error.detail, error.errors), instance: event.path },
      error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  logger.error('unhandled error', { error });
  return problemResponse({
    ...problem('internal', 'Internal Server Error', 'something went wrong on our side; it has been logged'),
    instance: event.path,
  });
}

type Handler = middy.MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;

function stack(run: (event: APIGatewayProxyEvent) => Promise<HttpResponse>): Handler {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .use(httpHeaderNormalizer())
    .handler(async (event) => {
      try {
        const result = await run(event);
        return respond(result.status, result.body, result.headers);
      } catch (error) {
        return toProblemResponse(error, event);
      }
    });
}

export interface HandlerOptions {
  /** Read a JSON body (POST, PATCH); other methods ignore whatever body is sent. */
  body?: boolean;
}

function toRequest(event: APIGatewayProxyEvent, options: HandlerOptions): HttpRequest {
  const headers = (event.headers ?? {}) as Record<string, string | undefined>;
  return {
    event,
    headers,
    params: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    body: options.body ? readBody(event, headers) : undefined,
  };
}

/** A public endpoint (no authorizer). */
export function publicHandler(
  run: (request: HttpRequest) => Promise<HttpResponse>,
  options: HandlerOptions = {},
): Handler {
  return stack(async (event) => run(toRequest(event, options)));
}

/** An endpoint behind the authorizer: the caller is read before anything else runs. */
export function authenticatedHandler(
  run: (request: AuthenticatedRequest) => Promise<HttpResponse>,
  options: HandlerOptions = {},
): Handler {
  return stack(async (event) => {
    let caller: Caller;
    try {
      caller = callerFromEvent(event);
    } catch {
      throw new HttpProblem('unauthorized', 'Unauthorized', 'a valid bearer token is required', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    return run({ ...toRequest(event, options), caller });
  });
}
