/**
 * Status events on berth's bus (EVENT_BUS_NAME), built once per Lambda container: the API's changes
 * and the workflow steps' transitions both announce through it. The adapter of the `StatusNotifier`
 * port (shared/app/ports.ts) over shared/aws/events.ts; tests build it with their own client.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { StatusNotifier } from '../app/ports';
import { publishStatusEvent } from '../aws/events';
import { requireEnv } from '../config';
import type { StatusEvent } from '../domain/status-event';

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

let notifier: StatusNotifier | undefined;

export function statusNotifier(): StatusNotifier {
  notifier ??= new EventBridgeNotifier(requireEnv('EVENT_BUS_NAME'));
  return notifier;
}
