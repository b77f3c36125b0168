/**
 * zod issues in the shape problem+json reports them. Its own module so that code reporting errors
 * (the HTTP layer every function loads) does not pull the environment schema into its bundle.
 */
import type * as z from './zod';

/** An RFC 6901 JSON Pointer to `path` (`/services/0/healthCheck/path`; "" is the whole body). */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * The issues of a failed parse as `{ path, message }` for problem+json `errors`. Paths are JSON
 * Pointers (RFC 6901), as RFC 9457 examples use, so `services[0].healthCheck.path` is written
 * `/services/0/healthCheck/path`. An unknown field is reported at its own path, one entry per field.
 */
export function formatIssues(error: z.core.$ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: toJsonPointer([...issue.path, key]),
        message: 'is not a known field',
      }));
    }
    if (issue.code === 'invalid_key') {
      const reason = issue.issues[0]?.message ?? issue.message;
      return [{ path: toJsonPointer(issue.path), message: `invalid key: ${reason}` }];
    }
    return [{ path: toJsonPointer(issue.path), message: issue.message }];
  });
}
