/** Query-string and header schemas shared by the API handlers (and the OpenAPI document). */
import { z } from 'zod';
import { STATUSES } from '../domain/status';

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(4096).optional(),
});

export const listQuerySchema = pageQuerySchema.extend({
  team: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'a team name: lowercase letters, digits and hyphens')
    .optional(),
  status: z.enum(STATUSES).optional(),
});

export const createQuerySchema = z.object({
  dryRun: z.enum(['true', 'false']).optional(),
});
