/**
 * Where the OpenAPI document (openapi.ts) still finds the Slack user schemas. They moved to the
 * app layer (shared/app/slack-user-schema.ts), which validates with them; this file goes once
 * openapi.ts imports them from there. Nothing else may import it.
 */
export { SLACK_ID_PATTERN, slackUserRequestSchema, slackUserSchema } from '../app/slack-user-schema';
