/**
 * Who is calling, as the authorizer established it, and what that caller may see.
 *
 * The authorizer (functions/authorizer.ts) verifies the token and hands the handler a context map.
 * API Gateway only carries string, number and boolean values there (a nested value fails the call
 * with 500 AuthorizerConfigurationException), and it turns every value into a string on the way
 * to the handler (serverless-offline does the same). So the context travels as:
 *
 *   subject: the token's `sub`
 *   teams:   team names joined by commas, e.g. "payments,search"; "" for none. Team names match
 *            TEAM_NAME_PATTERN, which has no comma, so the join cannot be ambiguous.
 *   admin:   boolean; it reaches the handler as "true" / "false" in AWS, as a boolean in unit tests.
 *
 * `toAuthorizerContext` writes that format and `callerFromEvent` reads it: the format lives here only.
 */
import { type Caller, canAccessTeam, TEAM_NAME_PATTERN } from '../domain/caller';

export { type Caller, canAccessTeam, TEAM_NAME_PATTERN };

/** The authorizer context map handed to API Gateway (values limited to string/number/boolean). */
export interface AuthorizerContext {
  [key: string]: string | boolean;
  subject: string;
  teams: string;
  admin: boolean;
}

/**
 * The request carries no caller. Behind the authorizer this means a route was declared without it,
 * so the HTTP layer answers 401 rather than guessing an identity.
 */
export class UnauthenticatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

/** The part of an API Gateway proxy event this module reads; `APIGatewayProxyEvent` satisfies it. */
export interface EventWithAuthorizer {
  requestContext?: { authorizer?: unknown } | null;
}

export function toAuthorizerContext(caller: Caller): AuthorizerContext {
  return { subject: caller.subject, teams: caller.teams.join(','), admin: caller.admin };
}

/** The caller the authorizer put on the event; throws `UnauthenticatedError` when there is none. */
export function callerFromEvent(event: EventWithAuthorizer): Caller {
  const authorizer = event.requestContext?.authorizer;
  if (typeof authorizer !== 'object' || authorizer === null) {
    throw new UnauthenticatedError('The request has no authorizer context');
  }
  const { subject, teams, admin } = authorizer as Record<string, unknown>;
  if (typeof subject !== 'string' || subject === '') {
    throw new UnauthenticatedError('The authorizer context has no subject');
  }
  if (typeof teams !== 'string') {
    throw new UnauthenticatedError('The authorizer context has no teams');
  }
  return {
    subject,
    // Re-checked here as well: the context is only as trustworthy as the route's configuration.
    teams: teams.split(',').filter((team) => TEAM_NAME_PATTERN.test(team)),
    admin: admin === true || admin === 'true',
  };
}
