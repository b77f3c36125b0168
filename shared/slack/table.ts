/**
 * The Slack table records alone, built once per Lambda container: what the admin mapping endpoints
 * and the notifier need. Apart from dependencies.ts so that they bundle no workflow starter,
 * notifier or environment schema.
 */
import type { SlackUserDependencies } from '../app/slack-users';
import { documentClient } from '../app/table';
import { requireEnv } from '../config';
import { SlackStore } from '../store/slack';

/** The notifier only reads and counts response_url records. */
export interface NotifierDependencies {
  slack: SlackStore;
  now?: () => Date;
}

let slackStore: SlackStore | undefined;

export function defaultSlackStore(): SlackStore {
  slackStore ??= new SlackStore(documentClient(), requireEnv('TABLE_NAME'));
  return slackStore;
}

/** The admin API's mapping endpoints need the table only. */
export function defaultSlackUserDependencies(): SlackUserDependencies {
  return { slack: defaultSlackStore() };
}

export function defaultNotifierDependencies(): NotifierDependencies {
  return { slack: defaultSlackStore() };
}
