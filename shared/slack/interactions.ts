/**
 * `POST /slack/interactions`: clicks on the buttons berth sends (today: the delete confirmation).
 * Slack sends the click as a form field `payload=<json>` and ignores the HTTP answer's body for
 * Block Kit actions, so the outcome replaces the confirmation through the click's response_url.
 * The clicker is authorised again: a button carries an id, not a permission.
 */
import { deleteEnvironment } from '../app/delete';
import { UseCaseError } from '../app/errors';
import { callerForSlackUser } from '../app/slack-users';
import * as z from '../domain/zod';
import { type HttpRequest, type HttpResponse, logger } from '../http/handler';
import { HttpProblem } from '../http/problem';
import {
  CANCEL_ACTION,
  cancelledMessage,
  DELETE_ACTION,
  deletingMessage,
  failureMessage,
  internalErrorMessage,
  replacing,
  type SlackMessage,
  unmappedMessage,
} from './messages';
import type { SlackInteractionDependencies } from './ports';
import { readSignedForm } from './request';
import { postToResponseUrl, RESPONSE_URL_LIFETIME_MS, responseUrlAllowed } from './response-url';

/** The parts of a `block_actions` payload berth reads. */
const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().check(z.minLength(1)), team_id: z.optional(z.string()) }),
  // Null for org-wide apps on Enterprise Grid; the user's team_id says the same.
  team: z.nullish(z.object({ id: z.string().check(z.minLength(1)) })),
  actions: z.array(z.object({ action_id: z.string(), value: z.optional(z.string()) })).check(z.minLength(1)),
  response_url: z.url({ protocol: /^https?$/ }),
});
type BlockActions = z.output<typeof blockActionsSchema>;

export async function handleInteraction(
  deps: SlackInteractionDependencies,
  request: HttpRequest,
): Promise<HttpResponse> {
  const form = readSignedForm(deps, request);
  let json: unknown;
  try {
    json = JSON.parse(form.get('payload') ?? '');
  } catch {
    throw new HttpProblem('bad-request', 'Bad Request', 'the body has no JSON payload field');
  }
  const parsed = blockActionsSchema.safeParse(json);
  // Other interaction types (shortcuts, views) are not berth's: acknowledge and do nothing.
  if (!parsed.success) return { status: 200 };
  if (!responseUrlAllowed(parsed.data.response_url, deps.responseUrlOrigins)) {
    throw new HttpProblem('bad-request', 'Bad Request', "the response_url is not on Slack's host");
  }
  const message = await answer(deps, parsed.data);
  await postToResponseUrl(parsed.data.response_url, message);
  return { status: 200 };
}

async function answer(deps: SlackInteractionDependencies, payload: BlockActions): Promise<SlackMessage> {
  const [action] = payload.actions;
  if (action?.action_id === CANCEL_ACTION) return cancelledMessage();
  if (action?.action_id !== DELETE_ACTION) return replacing(internalErrorMessage());

  const slackTeamId = payload.team?.id ?? payload.user.team_id ?? '';
  try {
    const caller = await callerForSlackUser(deps, slackTeamId, payload.user.id);
    if (!caller) return replacing(unmappedMessage(slackTeamId, payload.user.id, deps.adminContact));
    const environment = await deleteEnvironment(deps, caller, action.value ?? '');
    const now = (deps.now ?? (() => new Date()))();
    await deps.slack.saveResponseUrl({
      environmentId: environment.id,
      responseUrl: payload.response_url,
      expiresAt: new Date(now.getTime() + RESPONSE_URL_LIFETIME_MS),
      // The message below is the first on this URL, and it already says the teardown started.
      sent: 1,
      lastStatus: 'DELETING',
    });
    return deletingMessage(environment);
  } catch (error) {
    if (error instanceof UseCaseError) return replacing(failureMessage(error));
    logger.error('Slack delete failed', { error });
    return replacing(internalErrorMessage());
  }
}
