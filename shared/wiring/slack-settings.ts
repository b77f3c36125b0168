/**
 * The Slack front door's settings: the signing secret its requests are checked with
 * (SLACK_SIGNING_SECRET, required), whom an unmapped user should ask (SLACK_ADMIN_CONTACT) and
 * where response_urls may point (SLACK_RESPONSE_URL_ORIGINS, comma-separated; Slack's host by default).
 */
import { optionalEnv, requireEnv } from '../config';
import type { SlackSettings } from '../slack/ports';
import { SLACK_RESPONSE_URL_ORIGIN } from '../slack/response-url';

let settings: SlackSettings | undefined;

export function slackSettings(): SlackSettings {
  settings ??= {
    signingSecret: requireEnv('SLACK_SIGNING_SECRET'),
    adminContact: optionalEnv('SLACK_ADMIN_CONTACT', 'a berth admin'),
    responseUrlOrigins: optionalEnv('SLACK_RESPONSE_URL_ORIGINS', SLACK_RESPONSE_URL_ORIGIN)
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  };
  return settings;
}
