/**
 * RFC 9457 problem details. Every error the API returns is one of these, with
 * `Content-Type: application/problem+json`; validation problems list each field in `errors`.
 */
import type { FailureKind, FieldError } from '../app/errors';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

/** Failures that only exist on the wire (the use cases never see a content type). */
export type TransportFailure =
  | 'unauthorized'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'internal';

export const STATUS_OF: Record<FailureKind | TransportFailure, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'precondition-failed': 412,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'precondition-required': 428,
  // Not 403: the caller may do this, only not now; no Retry-After, as quotas do not clear with time.
  'quota-exceeded': 429,
  // Too soon after the same request (a drift check within its window): Retry-After says when.
  'rate-limited': 429,
  internal: 500,
  unavailable: 503,
};

/** Problem types are stable URNs (`urn:berth:problem:<kind>`): clients branch on them, so a kind is never renamed. */
export const problemType = (kind: FailureKind | TransportFailure) => `urn:berth:problem:${kind}`;

/** An error the HTTP layer itself raises before a use case runs. */
export class HttpProblem extends Error {
  constructor(
    readonly kind: TransportFailure | FailureKind,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function problem(
  kind: FailureKind | TransportFailure,
  title: string,
  detail: string,
  errors?: FieldError[],
): Problem {
  return {
    type: problemType(kind),
    title,
    status: STATUS_OF[kind],
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
