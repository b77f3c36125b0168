import { deleteSlackUser } from '../../shared/app/slack-users';
import { authenticatedHandler } from '../../shared/http/handler';
import { defaultSlackUserDependencies } from '../../shared/slack/table';

/** DELETE /slack/users/{slackTeamId}/{slackUserId} (admins) → 204, also when there was no mapping. */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  await deleteSlackUser(
    defaultSlackUserDependencies(),
    caller,
    params.slackTeamId ?? '',
    params.slackUserId ?? '',
  );
  return { status: 204 };
});
