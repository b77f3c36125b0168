/**
 * The schemas of a Slack user mapping: which berth teams a Slack user acts for. The use cases
 * validate with them (slack-users.ts) and the OpenAPI document describes the admin API with them;
 * the store keeps the same shape as `SlackUserMapping` (shared/store/slack.ts), without zod.
 */
import { TEAM_NAME_PATTERN } from '../domain/caller';
import * as z from '../domain/zod';

/** Slack workspace (`T…`, `E…` for Enterprise Grid) and user (`U…`, `W…`) ids: uppercase letters and digits. */
export const SLACK_ID_PATTERN = /^[A-Z0-9]{2,32}$/;

export const slackIdSchema = z
  .string()
  .check(
    z.regex(SLACK_ID_PATTERN, { error: 'must be a Slack id: uppercase letters and digits, e.g. T1DC2JH3J' }),
  );

export const slackUserRequestSchema = z.meta(
  z.strictObject({
    teams: z.meta(
      z
        .array(
          z
            .string()
            .check(z.regex(TEAM_NAME_PATTERN, { error: 'a team is lowercase letters, digits and hyphens' })),
        )
        .check(z.maxLength(50)),
      { description: 'The berth teams this Slack user acts for.' },
    ),
    admin: z.meta(z._default(z.boolean(), false), {
      description: 'Acts as a berth admin in Slack (every team), as the berth_admin claim does.',
    }),
  }),
  { description: 'The berth teams of a Slack user.' },
);

export const slackUserSchema = z.object({
  slackTeamId: slackIdSchema,
  slackUserId: slackIdSchema,
  teams: z.array(z.string()),
  admin: z.boolean(),
  updatedAt: z.iso.datetime({ offset: true }),
  updatedBy: z.meta(z.string(), { description: 'The subject of the admin who last wrote the mapping.' }),
});

export type SlackUserRequest = z.input<typeof slackUserRequestSchema>;
export type SlackUser = z.output<typeof slackUserSchema>;
