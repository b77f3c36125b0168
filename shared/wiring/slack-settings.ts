/**
 * The Slack front door's settings: the signing secret its requests are checked with (read from the
 * SSM parameter SLACK_SIGNING_SECRET_PARAMETER names, required), whom an unmapped user should ask (SLACK_ADMIN_CONTACT) and
 * where response_urls may point (SLACK_RESPONSE_URL_ORIGINS, comma-separated; Slack's host by default).
 */
import { optionalEnv } from '../config';
import type { SlackSettings } from '../slack/ports';
import { SLACK_RESPONSE_URL_ORIGIN } from '../slack/response-url';
import { signingSecret } from './signing-secrets';

export async function slackSettings(): Promise<SlackSettings> {
  return {
    signingSecret: await signingSecret('SLACK_SIGNING_SECRET_PARAMETER'),
    adminContact: optionalEnv('SLACK_ADMIN_CONTACT', 'a berth admin'),
    responseUrlOrigins: optionalEnv('SLACK_RESPONSE_URL_ORIGINS', SLACK_RESPONSE_URL_ORIGIN)
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  };
}
