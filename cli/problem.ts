/**
 * Turns an error reply into lines for a person. berth answers RFC 9457 problem+json; API Gateway's
 * authorizer and serverless-offline answer `{"message": …}` instead, so both shapes are read.
 */

interface FieldError {
  path: string;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldErrorsOf(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) =>
    isRecord(entry) && typeof entry.message === 'string'
      ? [{ path: typeof entry.path === 'string' ? entry.path : '', message: entry.message }]
      : [],
  );
}

/** `title: detail`, then one indented `path: message` line per field error. */
export function formatProblem(status: number, body: unknown): string[] {
  if (isRecord(body) && typeof body.title === 'string') {
    const detail = typeof body.detail === 'string' && body.detail !== '' ? `: ${body.detail}` : '';
    const fields = fieldErrorsOf(body.errors).map(
      // An empty path is the whole body (RFC 6901's root pointer).
      (error) => `  ${error.path === '' ? '(body)' : error.path}: ${error.message}`,
    );
    return [`${body.title}${detail}`, ...fields];
  }
  if (isRecord(body) && typeof body.message === 'string') return [`HTTP ${status}: ${body.message}`];
  if (typeof body === 'string' && body.trim() !== '') return [`HTTP ${status}: ${body.trim().slice(0, 500)}`];
  return [`HTTP ${status}`];
}
