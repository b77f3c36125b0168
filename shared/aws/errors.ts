/**
 * How berth reads AWS SDK v3 errors, for every AWS module and the workflow steps: the error code,
 * whether a later attempt can succeed, and the codes that mean "already gone".
 */

/** The AWS error code of an SDK error (EC2 puts it in `name`, e.g. `InvalidPermission.Duplicate`). */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return 'Code' in error && typeof error.Code === 'string' ? error.Code : error.name;
}

export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** Throttling, 5xx and network codes of every service berth calls (docs/aws-facts.md#api-throttling). */
const TRANSIENT_CODES = new Set([
  // EC2 answers RequestLimitExceeded with HTTP 503; the others are other services' spellings.
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'PriorRequestNotComplete',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * EC2 still answers NotFound for an id berth has just created, after a few retries
 * (`readAfterCreate` in read-after-create.ts): a later attempt will see it. Keeps AWS's code.
 */
export class ReadAfterCreateLag extends Error {
  readonly Code: string;

  constructor(
    readonly resourceId: string,
    cause: unknown,
  ) {
    const code = errorCode(cause) ?? 'NotFound';
    super(
      `${resourceId} is not visible yet after its creation (${code}: ${cause instanceof Error ? cause.message : String(cause)})`,
    );
    this.name = 'ReadAfterCreateLag';
    this.Code = code;
  }
}

/** True for throttling, 5xx and connection errors: retry the step later; anything else is a real failure. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ReadAfterCreateLag) return true;
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const status = httpStatus(error);
  return status !== undefined && (status >= 500 || status === 429);
}

export function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = errorCode(error);
  return code !== undefined && codes.includes(code);
}

/** Every `*.NotFound` (InvalidVpcID.NotFound, InvalidRoute.NotFound…): for a delete, the work is done. */
export function isNotFound(error: unknown): boolean {
  return errorCode(error)?.endsWith('.NotFound') ?? false;
}
