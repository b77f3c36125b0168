/**
 * What can go wrong in a use case, in words every front door can map: the HTTP API to a status and
 * problem+json, Slack to a message. Anything else thrown is our own fault.
 */
export type FailureKind =
  | 'bad-request'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'precondition-failed'
  | 'precondition-required'
  | 'unprocessable'
  | 'quota-exceeded'
  | 'rate-limited'
  | 'unavailable';

export interface FieldError {
  /** JSON Pointer into the request (`/services/0/image`), or the header or parameter name. */
  path: string;
  message: string;
  /** The team policy rule that refused the field (`imagePrefixes`, `ec2.keyPairs`), when one did. */
  rule?: string;
}

export class UseCaseError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** For `rate-limited`: when asking again can succeed (HTTP's Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'UseCaseError';
  }
}

export const notFound = (what = 'environment') =>
  new UseCaseError('not-found', 'Not Found', `no ${what} with that id exists or it belongs to another team`);

/** A dependency (AWS, the table) failed: 503, and the client may retry. */
export function unavailable(detail: string, cause: unknown): UseCaseError {
  const error = new UseCaseError('unavailable', 'Service Unavailable', `${detail}; please retry`);
  error.cause = cause;
  return error;
}
