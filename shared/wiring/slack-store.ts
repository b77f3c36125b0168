/**
 * Slack's items in the table (user mappings, response_url records), built once per Lambda
 * container on the shared table client: the Slack front door, the mapping endpoints and the notifier.
 */
import { requireEnv } from '../config';
import { SlackStore } from '../store/slack';
import { documentClient } from './table';

let store: SlackStore | undefined;

export function slackStore(): SlackStore {
  store ??= new SlackStore(documentClient(), requireEnv('TABLE_NAME'));
  return store;
}
