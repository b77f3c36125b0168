/** The optimistic-concurrency rules PATCH and DELETE share: If-Match carries the version read. */
import { UseCaseError } from './errors';

/** `"3"`, `W/"3"` or `3` → 3. */
export function parseIfMatch(ifMatch: string | undefined): number {
  if (ifMatch === undefined) {
    throw new UseCaseError(
      'precondition-required',
      'Precondition Required',
      'send If-Match with the ETag of the environment you read, so a concurrent change is not lost',
    );
  }
  const match = /^\s*(?:W\/)?"?([1-9][0-9]{0,15})"?\s*$/.exec(ifMatch);
  if (!match?.[1]) {
    throw new UseCaseError('bad-request', 'Invalid If-Match', 'If-Match must be an ETag this API returned', [
      { path: 'If-Match', message: 'expected an ETag such as "3"' },
    ]);
  }
  return Number(match[1]);
}

export function staleVersion(id: string): UseCaseError {
  return new UseCaseError(
    'precondition-failed',
    'Precondition Failed',
    `environment ${id} changed since you read it; GET it again and retry with the new ETag`,
  );
}
