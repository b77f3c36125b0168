/**
 * The status-event port. Use cases and workflow transitions announce every status change through a
 * `StatusNotifier`, always after the conditional write that made the change has succeeded, so an
 * event never describes a change that did not happen. Tests swap the notifier; AWS uses EventBridge.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { publishStatusEvent } from '../aws/events';
import type { Status } from '../domain/status';
import { type StatusEvent, type StatusEventSource, statusEventOf } from '../domain/status-event';

export interface StatusNotifier {
  /** Publishes one status event; rejects when it was not published (the caller decides on a retry). */
  publish(event: StatusEvent): Promise<void>;
}

export class EventBridgeNotifier implements StatusNotifier {
  constructor(
    private readonly eventBusName: string,
    private readonly client?: EventBridgeClient,
  ) {}

  publish(event: StatusEvent): Promise<void> {
    return publishStatusEvent(event, {
      eventBusName: this.eventBusName,
      ...(this.client ? { client: this.client } : {}),
    });
  }
}

const logger = new Logger({ serviceName: 'berth' });

/** A few quick tries: API-side announcements happen inside a request with a 10 s budget. */
const API_ATTEMPTS = 3;
const API_RETRY_DELAY_MS = 100;

/**
 * Announces a change the API made, retrying a refused event briefly. Never throws: a change that is
 * recorded must still get its workflow started, so the caller decides what a lost event means; the
 * loss is logged as an error (the operators' alarm). Returns whether the event was published.
 */
export async function announceStatus(
  notifier: StatusNotifier | undefined,
  environment: StatusEventSource,
  previousStatus: Status | null,
): Promise<boolean> {
  if (!notifier) return true;
  const event = statusEventOf(environment, { previousStatus });
  for (let attempt = 1; ; attempt += 1) {
    try {
      await notifier.publish(event);
      return true;
    } catch (error) {
      if (attempt >= API_ATTEMPTS) {
        logger.error('status event not published', {
          eventId: event.id,
          status: event.status,
          attempts: attempt,
          error: error instanceof Error ? { name: error.name, detail: error.message } : String(error),
        });
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, API_RETRY_DELAY_MS * attempt));
    }
  }
}
