import type { EventBridgeEvent } from 'aws-lambda';
import { type NotifyOutcome, notifySlack } from '../../shared/slack/notifier';
import { defaultNotifierDependencies } from '../../shared/slack/table';

/** EventBridge rule target for `berth.environment` events: progress to the Slack response_url. */
export const handler = async (
  event: EventBridgeEvent<'berth.environment', unknown>,
): Promise<NotifyOutcome> => notifySlack(defaultNotifierDependencies(), event);
