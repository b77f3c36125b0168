import { putSlackUser } from '../../shared/app/slack-users';
import { authenticatedHandler } from '../../shared/http/handler';
import { slackStore } from '../../shared/wiring/slack-store';

/** PUT /slack/users/{slackTeamId}/{slackUserId} (admins) → 200 and the Slack user's berth teams. */
export const handler = authenticatedHandler(
  async ({ caller, params, body }) => {
    const user = await putSlackUser(
      { slack: slackStore() },
      caller,
      params.slackTeamId ?? '',
      params.slackUserId ?? '',
      body,
    );
    return { status: 200, body: user };
  },
  { body: true },
);
