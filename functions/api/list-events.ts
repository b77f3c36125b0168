import { listEvents } from '../../shared/app/events';
import { authenticatedHandler, parseInput } from '../../shared/http/handler';
import { pageQuerySchema } from '../../shared/http/queries';
import { environmentReader } from '../../shared/wiring/table';

/** GET /environments/{id}/events → the environment's history, oldest first. */
export const handler = authenticatedHandler(async ({ caller, params, query }) => {
  const { limit, cursor } = parseInput(pageQuerySchema, query, 'query string');
  const page = await listEvents({ store: environmentReader() }, caller, params.id ?? '', {
    limit,
    ...(cursor ? { cursor } : {}),
  });
  return { status: 200, body: page };
});
