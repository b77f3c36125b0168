/**
 * The callers and teams tests act as, built in one place: what a caller carries is decided by
 * shared/domain/caller.ts, and a test that needs a member, a stranger or an admin says so by name.
 */
import type { Caller } from '../../shared/domain/caller';

let counter = 0;

/** A team no other test or earlier run on the same table uses: `<prefix><pid>-<time>-<n>`. */
export function uniqueTeam(prefix = 't'): string {
  counter += 1;
  return `${prefix}${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A member (not an admin) of the given teams; `alice` unless the test names someone else. */
export function memberOf(teams: string | readonly string[], subject = 'alice'): Caller {
  return { subject, teams: typeof teams === 'string' ? [teams] : [...teams], admin: false };
}

/** An administrator: in no team, allowed every team's environments. */
export const ADMIN: Caller = { subject: 'root', teams: [], admin: true };
