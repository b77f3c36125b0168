/**
 * What the CLI reads from API replies, checked with zod so the rest of the CLI works on typed data.
 * Deliberately looser than the server's schema: an unknown status or an extra field from a newer
 * API must not break an older CLI, so statuses are plain strings and objects keep unknown keys.
 */
import { z } from 'zod';
import { environmentErrorSchema, outputsSchema, progressSchema } from '../shared/domain/environment';
import { ENVIRONMENT_ID_PATTERN } from '../shared/domain/naming';
import { isFailed, isSettled as isSettledStatus, isStatus } from '../shared/domain/status';
import { pathTo } from '../shared/http/routes';
import type { ApiClient } from './client';
import { CliError, EXIT, usageError } from './exit-codes';

export const environmentViewSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  team: z.string(),
  status: z.string(),
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: progressSchema,
  outputs: outputsSchema,
  error: z.optional(environmentErrorSchema),
});

export const eventViewSchema = z.looseObject({
  at: z.string(),
  type: z.string(),
  status: z.string().optional(),
  step: z.string().optional(),
  message: z.string().optional(),
});

export type EnvironmentView = z.output<typeof environmentViewSchema>;
export type EventView = z.output<typeof eventViewSchema>;

// Statuses arrive as plain strings (see above): one this CLI does not know is neither settled nor
// failed, so an older CLI keeps waiting rather than guessing.

export function isSettled(status: string): boolean {
  return isStatus(status) && isSettledStatus(status);
}

/** A workflow ended with an error; waiting for any such status exits 3. */
export function isFailure(status: string): boolean {
  return isStatus(status) && isFailed(status);
}

/** Parses a reply body, or explains that the API said something this CLI cannot read. */
export function parseReply<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : '';
  throw new CliError(EXIT.unavailable, [`The API answered ${what} in an unexpected shape${where}`]);
}

export async function getEnvironment(
  client: ApiClient,
  id: string,
  signal?: AbortSignal,
): Promise<{ environment: EnvironmentView; etag: string | null; body: unknown }> {
  const reply = await client.request('GET', pathTo('getEnvironment', { id }), {
    ...(signal ? { signal } : {}),
  });
  return {
    environment: parseReply(environmentViewSchema, reply.body, 'an environment'),
    etag: reply.headers.get('etag'),
    body: reply.body,
  };
}

const environmentPageSchema = z.object({
  items: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

/** Every page of GET /environments with these filters; the raw items (for --json) and their views. */
export async function listAllEnvironments(
  client: ApiClient,
  filters: { team?: string | undefined; status?: string | undefined },
): Promise<{ raw: unknown[]; environments: EnvironmentView[] }> {
  const raw: unknown[] = [];
  let cursor: string | undefined;
  do {
    const reply = await client.request('GET', pathTo('listEnvironments', {}), {
      query: { team: filters.team, status: filters.status, limit: '100', cursor },
    });
    const page = parseReply(environmentPageSchema, reply.body, 'the list of environments');
    raw.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { raw, environments: raw.map((item) => parseReply(environmentViewSchema, item, 'an environment')) };
}

export function looksLikeEnvironmentId(reference: string): boolean {
  return ENVIRONMENT_ID_PATTERN.test(reference.toLowerCase());
}

/**
 * An id is used as given; a name is looked up among the caller's environments (within `team` when
 * given). A DELETED environment keeps its name in the list, so a live one of the same name wins.
 */
export async function resolveEnvironmentId(
  client: ApiClient,
  reference: string,
  team: string | undefined,
): Promise<string> {
  if (looksLikeEnvironmentId(reference)) return reference.toLowerCase();
  const { environments } = await listAllEnvironments(client, { team });
  const named = environments.filter((environment) => environment.name === reference);
  const live = named.filter((environment) => environment.status !== 'DELETED');
  const candidates = live.length > 0 ? live : named.slice(0, 1);
  const [only, ...others] = candidates;
  const scope = team ? `team ${team}` : 'your teams';
  if (only === undefined) {
    throw new CliError(EXIT.rejected, [`No environment named "${reference}" in ${scope}`]);
  }
  if (others.length > 0) {
    throw usageError(
      `"${reference}" names ${candidates.length} environments in ${scope}; pass --team or an id:`,
      ...candidates.map(
        (environment) => `  ${environment.id}  team ${environment.team}  ${environment.status}`,
      ),
    );
  }
  return only.id;
}
