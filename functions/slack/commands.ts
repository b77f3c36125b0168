import { publicHandler } from '../../shared/http/handler';
import { handleSlashCommand } from '../../shared/slack/commands';
import type { SlackDependencies } from '../../shared/slack/ports';
import { slackSettings } from '../../shared/wiring/slack-settings';
import { slackStore } from '../../shared/wiring/slack-store';
import { specWriteDependencies } from '../../shared/wiring/spec-writes';

/** The handler over the given dependencies (tests pass DynamoDB Local and a recording workflow starter). */
export const createHandler = (dependencies: () => SlackDependencies | Promise<SlackDependencies>) =>
  publicHandler(async (request) => handleSlashCommand(await dependencies(), request));

/** POST /slack/commands (no JWT: Slack signs the request) → 200 with an ephemeral message, 401 unsigned. */
export const handler = createHandler(async () => ({
  ...specWriteDependencies(),
  slack: slackStore(),
  ...(await slackSettings()),
}));
