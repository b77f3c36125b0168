/**
 * A request body checked against the spec schema, for the use cases that take a spec (create,
 * update). Apart from them so each stays one use case; importing it bundles the spec schema, which
 * only those two need.
 */
import { type EnvironmentSpec, environmentRequestSchema, formatIssues } from '../domain/spec';
import { UseCaseError } from './errors';

/** Validates a request body against the spec schema; defaults applied. */
export function validateSpec(body: unknown): EnvironmentSpec {
  const parsed = environmentRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid environment request',
      'the request body does not describe a valid environment; see errors',
      formatIssues(parsed.error),
    );
  }
  return parsed.data;
}
