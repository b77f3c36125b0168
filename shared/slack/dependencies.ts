/**
 * What the Slack front door needs: the environment use cases' dependencies, the Slack items of the
 * table, and its settings. Built once per Lambda container; tests pass their own.
 */
import { defaultDependencies } from '../app/dependencies';
import type { Dependencies } from '../app/environments';
import type { SlackUserDependencies } from '../app/slack-users';
import { optionalEnv, requireEnv } from '../config';
import type { SlackRequestConfig } from './request';
import { defaultSlackStore } from './table';

export interface SlackDependencies extends Dependencies, SlackUserDependencies, SlackRequestConfig {
  /** Whom an unmapped user should ask to be mapped, e.g. `#platform-help`. */
  adminContact: string;
}

let slackDependencies: SlackDependencies | undefined;

/** Reads SLACK_SIGNING_SECRET (required) and SLACK_ADMIN_CONTACT. */
export function defaultSlackDependencies(): SlackDependencies {
  slackDependencies ??= {
    ...defaultDependencies(),
    slack: defaultSlackStore(),
    signingSecret: requireEnv('SLACK_SIGNING_SECRET'),
    adminContact: optionalEnv('SLACK_ADMIN_CONTACT', 'a berth admin'),
  };
  return slackDependencies;
}
