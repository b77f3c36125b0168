/**
 * Announcing a change the API made. Use cases announce every status change through the
 * `StatusNotifier` port (ports.ts), after the write that made it; this is the API side's retry and
 * its rule for a lost event. The EventBridge adapter is built in shared/wiring/status-notifier.ts.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import type { Status } from '../domain/status';
import { type StatusEventSource, statusEventOf } from '../domain/status-event';
import type { StatusNotifier } from './ports';

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
