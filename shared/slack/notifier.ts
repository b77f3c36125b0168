/**
 * Posts an environment's status changes to the Slack conversation that asked for them (the
 * response_url recorded by a create command or a delete click). Driven by the `berth.environment`
 * events on the bus; events of environments nobody asked about in Slack are ignored.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { isSettled } from '../domain/status';
import { statusEventSchema } from '../domain/status-event-schema';
import type { SlackStore } from '../store/slack';
import { lastMessageNote, progressMessage } from './messages';
import { postToResponseUrl, RESPONSE_URL_MESSAGES } from './response-url';

const logger = new Logger({ serviceName: 'berth' });

/** The notifier only reads and counts response_url records. */
export interface NotifierDependencies {
  slack: SlackStore;
  now?: () => Date;
}

export type NotifyOutcome = 'posted' | 'not-posted' | 'ignored';

/** Handles one EventBridge event (`{ detail }`). */
export async function notifySlack(deps: NotifierDependencies, event: unknown): Promise<NotifyOutcome> {
  const detail = statusEventSchema.safeParse(
    typeof event === 'object' && event !== null ? (event as { detail?: unknown }).detail : undefined,
  );
  if (!detail.success) {
    // A malformed event would fail every retry the same way: log it and let it go.
    logger.warn('ignored an event that is not a berth.environment status event', {
      issues: detail.error.issues,
    });
    return 'ignored';
  }
  const change = detail.data;
  const now = (deps.now ?? (() => new Date()))();
  // Keyed by status: a redelivered event, or a run starting in the status its request already set
  // (begin-teardown announces DELETING again), has nothing new to say.
  const claim = await deps.slack.claimMessage(
    change.environmentId,
    change.status,
    now,
    RESPONSE_URL_MESSAGES,
  );
  // No conversation, expired, out of messages, or this update was already posted.
  if (!claim) return 'ignored';

  const settled = isSettled(change.status);
  const message = progressMessage(change);
  if (claim.number >= RESPONSE_URL_MESSAGES && !settled) message.text += lastMessageNote(change.name);
  const posted = await postToResponseUrl(claim.responseUrl, message);
  // The workflow has ended: later changes (someone else's update or delete) are not this conversation's.
  if (settled) await deps.slack.forgetResponseUrl(change.environmentId, claim.responseUrl);
  return posted ? 'posted' : 'not-posted';
}
