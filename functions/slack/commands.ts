import { publicHandler } from '../../shared/http/handler';
import { handleSlashCommand } from '../../shared/slack/commands';
import type { SlackDependencies } from '../../shared/slack/ports';
import { quotaPolicy } from '../../shared/wiring/quota-policy';
import { region } from '../../shared/wiring/region';
import { slackSettings } from '../../shared/wiring/slack-settings';
import { slackStore } from '../../shared/wiring/slack-store';
import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore } from '../../shared/wiring/table';
import { workflowStarter } from '../../shared/wiring/workflow-starter';

/** The handler over the given dependencies (tests pass DynamoDB Local and a recording workflow starter). */
export const createHandler = (dependencies: () => SlackDependencies) =>
  publicHandler((request) => handleSlashCommand(dependencies(), request));

/** POST /slack/commands (no JWT: Slack signs the request) → 200 with an ephemeral message, 401 unsigned. */
export const handler = createHandler(() => ({
  store: environmentStore(),
  workflows: workflowStarter(),
  notifier: statusNotifier(),
  quotas: quotaPolicy(),
  region: region(),
  slack: slackStore(),
  ...slackSettings(),
}));
