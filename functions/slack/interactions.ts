import { publicHandler } from '../../shared/http/handler';
import { handleInteraction } from '../../shared/slack/interactions';
import type { SlackInteractionDependencies } from '../../shared/slack/ports';
import { slackSettings } from '../../shared/wiring/slack-settings';
import { slackStore } from '../../shared/wiring/slack-store';
import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore } from '../../shared/wiring/table';
import { workflowStarter } from '../../shared/wiring/workflow-starter';

/** The handler over the given dependencies (tests pass DynamoDB Local and a recording workflow starter). */
export const createHandler = (
  dependencies: () => SlackInteractionDependencies | Promise<SlackInteractionDependencies>,
) => publicHandler(async (request) => handleInteraction(await dependencies(), request));

/** POST /slack/interactions (no JWT: Slack signs the request) → 200; the outcome goes to the response_url. */
export const handler = createHandler(async () => ({
  store: environmentStore(),
  workflows: workflowStarter(),
  notifier: statusNotifier(),
  slack: slackStore(),
  ...(await slackSettings()),
}));
