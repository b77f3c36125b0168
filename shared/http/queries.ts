/** Query-string and header schemas shared by the API handlers (and the OpenAPI document). */
import { STATUSES } from '../domain/status';
import * as z from '../domain/zod';

export const pageQuerySchema = z.object({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
});

export const listQuerySchema = z.extend(pageQuerySchema, {
  team: z.optional(
    z.string().check(z.regex(/^[a-z0-9-]{1,32}$/, 'a team name: lowercase letters, digits and hyphens')),
  ),
  status: z.optional(z.enum(STATUSES)),
});

export const createQuerySchema = z.object({
  dryRun: z.optional(z.enum(['true', 'false'])),
});
