/**
 * The status event: what berth publishes on its EventBridge bus (source `berth`, detail-type
 * `berth.environment`) and POSTs to a request's `callbackUrl` on every status change.
 *
 * Delivery is at least once: a workflow step retried after its transition was recorded publishes
 * the event again. `id` is `<environmentId>:<version>`, the record's version right after the
 * change, so every copy of one transition carries the same id: consumers dedupe by `id`, and may
 * order one environment's events by the version it ends with (EventBridge does not keep order).
 */
import type { Environment } from './environment';
import { isFailed, type Status } from './status';
import type { StatusEvent } from './status-event-schema';

export type { StatusEvent } from './status-event-schema';

export const STATUS_EVENT_SOURCE = 'berth';
export const STATUS_EVENT_DETAIL_TYPE = 'berth.environment';

/**
 * AWS error messages are short, but nothing bounds them; a status event must stay far below
 * EventBridge's 256 KB entry limit whatever an AWS API answered.
 */
const ERROR_MESSAGE_MAX = 2048;

/** What the event is made of: the environment as the change left it. */
export type StatusEventSource = Pick<
  Environment,
  'id' | 'team' | 'name' | 'status' | 'version' | 'updatedAt' | 'ticket' | 'outputs' | 'error'
> & { spec: { callbackUrl?: string | undefined } };

/** The deterministic id shared by every copy of one transition's event. */
export function statusEventId(environmentId: string, version: number): string {
  return `${environmentId}:${version}`;
}

/**
 * The event for the change that left `environment` as it is. Built only from the stored record, so
 * a retry that publishes again builds the very same event (same id, same `at`).
 */
export function statusEventOf(
  environment: StatusEventSource,
  change: { previousStatus: Status | null; step?: string },
): StatusEvent {
  const { error } = environment;
  return {
    id: statusEventId(environment.id, environment.version),
    environmentId: environment.id,
    team: environment.team,
    name: environment.name,
    status: environment.status,
    previousStatus: change.previousStatus,
    ...(change.step ? { step: change.step } : {}),
    ...(environment.ticket ? { ticket: environment.ticket } : {}),
    ...(environment.spec.callbackUrl ? { callbackUrl: environment.spec.callbackUrl } : {}),
    ...(environment.status === 'READY' ? { outputs: environment.outputs } : {}),
    ...(error && isFailed(environment.status)
      ? {
          error: {
            ...error,
            message:
              error.message.length > ERROR_MESSAGE_MAX
                ? `${error.message.slice(0, ERROR_MESSAGE_MAX - 1)}…`
                : error.message,
          },
        }
      : {}),
    at: environment.updatedAt,
  };
}
