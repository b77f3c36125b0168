/**
 * Every EventBridge call of berth: publishing an environment's status event on berth's bus.
 *
 * PutEvents answers HTTP 200 even when entries were refused: each refused entry carries an
 * ErrorCode (InternalFailure, ThrottlingException…) and FailedEntryCount counts them (PutEvents API
 * reference). The SDK does not retry those, so a refused entry is thrown here for the caller's retry.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { STATUS_EVENT_DETAIL_TYPE, STATUS_EVENT_SOURCE, type StatusEvent } from '../domain/status-event';
import { requestCalls } from './retry-budget';

/** Region, credentials and endpoint come from the environment (`AWS_ENDPOINT_URL_EVENTBRIDGE`). */
// Not traced: every API write publishes here (see shared/aws/tracing.ts).
const defaultClient = /* @__PURE__ */ new EventBridgeClient(requestCalls);

/** EventBridge's PutEvents entry limit (docs/aws-facts.md#eventbridge-entry-size). */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** EventBridge refused the entry; a later attempt can succeed (the SDK retried only the request). */
export class StatusEventNotPublished extends Error {
  constructor(
    /** The entry's ErrorCode, e.g. InternalFailure; read by `errorCode()` as other AWS errors are. */
    readonly Code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StatusEventNotPublished';
  }
}

/** The event is over EventBridge's entry limit: no retry can send it. */
export class StatusEventTooLarge extends Error {
  constructor(
    readonly eventId: string,
    readonly bytes: number,
  ) {
    super(
      `status event ${eventId} is ${bytes} bytes, over EventBridge's ${MAX_ENTRY_BYTES}-byte entry limit`,
    );
    this.name = 'StatusEventTooLarge';
  }
}

/** The entry size as EventBridge counts it: Time is 14 bytes, the strings their UTF-8 bytes. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((total, resource) => total + bytes(resource), 0)
  );
}

/** Publishes one status event on `eventBusName`; throws `StatusEventNotPublished` if refused. */
export async function publishStatusEvent(
  event: StatusEvent,
  target: { eventBusName: string; client?: EventBridgeClient },
): Promise<void> {
  const entry: PutEventsRequestEntry = {
    EventBusName: target.eventBusName,
    Source: STATUS_EVENT_SOURCE,
    DetailType: STATUS_EVENT_DETAIL_TYPE,
    Detail: JSON.stringify(event),
    // The time of the change, not of this attempt: a republished copy is the same event.
    Time: new Date(event.at),
  };
  const size = entrySize(entry);
  if (size > MAX_ENTRY_BYTES) throw new StatusEventTooLarge(event.id, size);
  const result = await (target.client ?? defaultClient).send(new PutEventsCommand({ Entries: [entry] }));
  const refused = result.Entries?.[0];
  if ((result.FailedEntryCount ?? 0) > 0 || refused?.ErrorCode) {
    throw new StatusEventNotPublished(
      refused?.ErrorCode ?? 'InternalFailure',
      `EventBridge refused status event ${event.id}: ${refused?.ErrorMessage ?? 'no reason given'}`,
    );
  }
}
