/**
 * The Slack front door's settings: the signing secret its requests are checked with
 * (SLACK_SIGNING_SECRET, required) and whom an unmapped user should ask (SLACK_ADMIN_CONTACT).
 */
import { optionalEnv, requireEnv } from '../config';
import type { SlackSettings } from '../slack/ports';

let settings: SlackSettings | undefined;

export function slackSettings(): SlackSettings {
  settings ??= {
    signingSecret: requireEnv('SLACK_SIGNING_SECRET'),
    adminContact: optionalEnv('SLACK_ADMIN_CONTACT', 'a berth admin'),
  };
  return settings;
}
