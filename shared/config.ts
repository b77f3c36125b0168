/**
 * Settings from the environment. Every module reads its variables through these two helpers, so a
 * missing setting fails at once with its name instead of surfacing later as `undefined`.
 *
 * An empty (or blank) value counts as unset: serverless.yml's `${env:X, ''}` and shell exports
 * like `X=` produce empty strings, and an empty issuer or table name is never meant.
 */

/** A required environment variable is missing. Our fault, not the caller's: it maps to a 5xx. */
export class MissingConfigError extends Error {
  constructor(readonly variable: string) {
    super(`Missing required environment variable ${variable}`);
    this.name = 'MissingConfigError';
  }
}

/** The value of `name`; throws `MissingConfigError` naming the variable when it is unset or blank. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new MissingConfigError(name);
  return value;
}

/** The value of `name`, or `fallback` when it is unset or blank. */
export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value;
}
