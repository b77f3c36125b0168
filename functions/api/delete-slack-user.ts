import { deleteSlackUser } from '../../shared/app/slack-users';
import { authenticatedHandler } from '../../shared/http/handler';
import { slackStore } from '../../shared/wiring/slack-store';

/** DELETE /slack/users/{slackTeamId}/{slackUserId} (admins) → 204, also when there was no mapping. */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  await deleteSlackUser({ slack: slackStore() }, caller, params.slackTeamId ?? '', params.slackUserId ?? '');
  return { status: 204 };
});
