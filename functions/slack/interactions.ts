import { publicHandler } from '../../shared/http/handler';
import { defaultSlackDependencies, type SlackDependencies } from '../../shared/slack/dependencies';
import { handleInteraction } from '../../shared/slack/interactions';

/** The handler over the given dependencies (tests pass DynamoDB Local and a recording workflow starter). */
export const createHandler = (dependencies: () => SlackDependencies) =>
  publicHandler((request) => handleInteraction(dependencies(), request));

/** POST /slack/interactions (no JWT: Slack signs the request) → 200; the outcome goes to the response_url. */
export const handler = createHandler(defaultSlackDependencies);
