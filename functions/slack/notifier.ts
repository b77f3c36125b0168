import type { EventBridgeEvent } from 'aws-lambda';
import { type NotifyOutcome, notifySlack } from '../../shared/slack/notifier';
import { slackStore } from '../../shared/wiring/slack-store';

/** EventBridge rule target for `berth.environment` events: progress to the Slack response_url. */
export const handler = async (
  event: EventBridgeEvent<'berth.environment', unknown>,
): Promise<NotifyOutcome> => notifySlack({ slack: slackStore() }, event);
