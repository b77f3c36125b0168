/**
 * Who is calling and what they may see. The HTTP layer builds a Caller from the authorizer's
 * context (shared/http/identity.ts), Slack from its user mapping; the use cases only read it.
 */

/** The authenticated caller. `teams` are the teams it belongs to; `admin` sees every team. */
export interface Caller {
  subject: string;
  teams: string[];
  admin: boolean;
}

/** A team name as berth accepts it from an identity provider: lowercase letters, digits, hyphens. */
export const TEAM_NAME_PATTERN = /^[a-z0-9-]{1,32}$/;

/** Whether the caller may read and change the team's environments. Admins may access every team. */
export function canAccessTeam(caller: Caller, team: string): boolean {
  return caller.admin || caller.teams.includes(team);
}
