/**
 * The status event's schema: the contract consumers validate against (the callback deliverer, the
 * Slack notifier, the tests). Apart from status-event.ts, which builds events, so that publishing one
 * — every write use case and workflow transition does — builds no schema at load.
 */
import { environmentErrorSchema, environmentIdSchema, outputsSchema, statusSchema } from './environment';
import * as z from './zod';

export const statusEventSchema = z.object({
  id: z.string().check(z.regex(/^env-[0-9a-z]{26}:[1-9][0-9]*$/)),
  environmentId: environmentIdSchema,
  team: z.string(),
  name: z.string(),
  status: statusSchema,
  /** null for REQUESTED: a new environment had no status before. */
  previousStatus: z.nullable(statusSchema),
  /** The workflow transition that made the change (absent for changes made by the API). */
  step: z.optional(z.string()),
  ticket: z.optional(z.string()),
  /** Where the callback deliverer POSTs this event (the EventBridge rule matches on it). */
  callbackUrl: z.optional(z.string()),
  outputs: z.optional(outputsSchema),
  error: z.optional(environmentErrorSchema),
  at: z.iso.datetime({ offset: true }),
});

export type StatusEvent = z.output<typeof statusEventSchema>;
