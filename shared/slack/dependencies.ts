/**
 * What the Slack front door needs: the environment use cases' dependencies, the Slack items of the
 * table, and its settings. Built once per Lambda container; tests pass their own.
 */
import { defaultDependencies } from '../app/dependencies';
import type { Dependencies } from '../app/environments';
import type { SlackUserDependencies } from '../app/slack-users';
import { documentClient } from '../app/table';
import { optionalEnv, requireEnv } from '../config';
import { SlackStore } from '../store/slack';
import type { SlackRequestConfig } from './request';

export interface SlackDependencies extends Dependencies, SlackUserDependencies, SlackRequestConfig {
  /** Whom an unmapped user should ask to be mapped, e.g. `#platform-help`. */
  adminContact: string;
}

/** The notifier only reads and counts response_url records. */
export interface NotifierDependencies {
  slack: SlackStore;
  now?: () => Date;
}

let slackStore: SlackStore | undefined;
let slackDependencies: SlackDependencies | undefined;

function defaultSlackStore(): SlackStore {
  slackStore ??= new SlackStore(documentClient(), requireEnv('TABLE_NAME'));
  return slackStore;
}

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

/** The admin API's mapping endpoints need the table only. */
export function defaultSlackUserDependencies(): SlackUserDependencies {
  return { slack: defaultSlackStore() };
}

export function defaultNotifierDependencies(): NotifierDependencies {
  return { slack: defaultSlackStore() };
}
