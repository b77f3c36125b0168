/**
 * Delivers one status event to the callbackUrl of its environment's request. Invoked
 * asynchronously by the EventBridge rule on berth's bus (serverless.yml, CallbackRule) for events
 * that carry a callbackUrl; a team's endpoint being down therefore never touches a workflow.
 *
 * Bounded on purpose: it retries with backoff inside one invocation, then logs that it gave up and
 * ends successfully, so Lambda's own async retries (maximumRetryAttempts) only cover crashes and
 * timeouts of this function, not the team's endpoint.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  type DeliveryOptions,
  type DeliveryResult,
  deliverCallback,
  teamCallbackSecret,
} from '../shared/app/callbacks';
import { optionalEnv } from '../shared/config';
import { STATUS_EVENT_DETAIL_TYPE, STATUS_EVENT_SOURCE } from '../shared/domain/status-event';
import { statusEventSchema } from '../shared/domain/status-event-schema';
import * as z from '../shared/domain/zod';
import { signingSecret } from '../shared/wiring/signing-secrets';

const logger = new Logger({ serviceName: 'berth' });

/** The EventBridge envelope around berth's status event (only what is read of it). */
const envelopeSchema = z.object({
  source: z.literal(STATUS_EVENT_SOURCE),
  'detail-type': z.literal(STATUS_EVENT_DETAIL_TYPE),
  detail: statusEventSchema,
});

/** Delivery settings other than the secret and loopback switch, which come from the environment. */
export type DelivererTuning = Omit<DeliveryOptions, 'secret' | 'allowLoopback'>;

/**
 * `masterSecret`: the stage's master secret, by default read once per container from the SSM
 * parameter CALLBACK_SIGNING_SECRET_PARAMETER names.
 */
export function createHandler(
  tuning: DelivererTuning = {},
  masterSecret: () => Promise<string> = () => signingSecret('CALLBACK_SIGNING_SECRET_PARAMETER'),
) {
  return async (event: unknown): Promise<DeliveryResult> => {
    const parsed = envelopeSchema.safeParse(event);
    if (!parsed.success) {
      // The rule's pattern should make this impossible; retrying would not change the input.
      logger.error('not a berth status event; dropped', { issues: parsed.error.issues.slice(0, 5) });
      return { delivered: false, attempts: 0, reason: 'not a berth status event' };
    }
    const statusEvent = parsed.data.detail;
    const result = await deliverCallback(statusEvent, {
      ...tuning,
      // Each team's receivers verify with their own secret, derived from the stage's master.
      secret: teamCallbackSecret(await masterSecret(), statusEvent.team),
      allowLoopback: optionalEnv('BERTH_ALLOW_LOOPBACK_CALLBACKS', 'false') === 'true',
    });
    const context = {
      eventId: statusEvent.id,
      environmentId: statusEvent.environmentId,
      team: statusEvent.team,
      status: statusEvent.status,
      attempts: result.attempts,
    };
    if (result.delivered) logger.info('callback delivered', context);
    else logger.error('callback delivery gave up', { ...context, reason: result.reason });
    return result;
  };
}

export const handler = createHandler();
