/**
 * Which berth teams a Slack user acts for. Slack requests carry no token, only a signed workspace and
 * user id, so an admin maps each user to teams through the API; the Slack front door then acts as a
 * `Caller` with exactly those teams, and every environment rule applies to it unchanged.
 */

import { type Caller, TEAM_NAME_PATTERN } from '../domain/caller';
import { formatIssues } from '../domain/issues';
import type { SlackStore } from '../store/slack';
import { UseCaseError } from './errors';
import { type SlackUser, slackIdSchema, slackUserRequestSchema } from './slack-user-schema';

export interface SlackUserDependencies {
  slack: SlackStore;
  now?: () => Date;
}

function requireAdmin(caller: Caller): void {
  if (!caller.admin) {
    throw new UseCaseError('forbidden', 'Forbidden', 'only berth admins may map Slack users to teams');
  }
}

function checkIds(slackTeamId: string, slackUserId: string): void {
  const errors = [
    { path: 'slackTeamId', valid: slackIdSchema.safeParse(slackTeamId).success },
    { path: 'slackUserId', valid: slackIdSchema.safeParse(slackUserId).success },
  ]
    .filter(({ valid }) => !valid)
    .map(({ path }) => ({ path, message: 'must be a Slack id: uppercase letters and digits' }));
  if (errors.length > 0) {
    throw new UseCaseError('bad-request', 'Invalid Slack id', 'the path does not name a Slack user', errors);
  }
}

/** Creates or replaces the mapping of a Slack user (admins only). */
export async function putSlackUser(
  deps: SlackUserDependencies,
  caller: Caller,
  slackTeamId: string,
  slackUserId: string,
  body: unknown,
): Promise<SlackUser> {
  requireAdmin(caller);
  checkIds(slackTeamId, slackUserId);
  const parsed = slackUserRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid Slack user mapping',
      'the body must list the teams of the Slack user; see errors',
      formatIssues(parsed.error),
    );
  }
  const user: SlackUser = {
    slackTeamId,
    slackUserId,
    teams: [...new Set(parsed.data.teams)].sort(),
    admin: parsed.data.admin,
    updatedAt: (deps.now ?? (() => new Date()))().toISOString(),
    updatedBy: caller.subject,
  };
  await deps.slack.putUser(user);
  return user;
}

/** Removes the mapping of a Slack user (admins only); idempotent. */
export async function deleteSlackUser(
  deps: SlackUserDependencies,
  caller: Caller,
  slackTeamId: string,
  slackUserId: string,
): Promise<void> {
  requireAdmin(caller);
  checkIds(slackTeamId, slackUserId);
  await deps.slack.deleteUser(slackTeamId, slackUserId);
}

/** The caller a Slack user acts as, or undefined when no admin has mapped them yet. */
export async function callerForSlackUser(
  deps: SlackUserDependencies,
  slackTeamId: string,
  slackUserId: string,
): Promise<Caller | undefined> {
  if (!slackIdSchema.safeParse(slackTeamId).success || !slackIdSchema.safeParse(slackUserId).success) {
    return undefined;
  }
  const user = await deps.slack.getUser(slackTeamId, slackUserId);
  if (!user) return undefined;
  return {
    subject: `slack:${slackTeamId}:${slackUserId}`,
    teams: user.teams.filter((team) => TEAM_NAME_PATTERN.test(team)),
    admin: user.admin,
  };
}
