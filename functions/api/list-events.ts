import { listEvents } from '../../shared/app/reads';
import { defaultReader } from '../../shared/app/table';
import { authenticatedHandler, parseInput } from '../../shared/http/handler';
import { pageQuerySchema } from '../../shared/http/queries';

/** GET /environments/{id}/events → the environment's history, oldest first. */
export const handler = authenticatedHandler(async ({ caller, params, query }) => {
  const { limit, cursor } = parseInput(pageQuerySchema, query, 'query string');
  const page = await listEvents({ store: defaultReader() }, caller, params.id ?? '', {
    limit,
    ...(cursor ? { cursor } : {}),
  });
  return { status: 200, body: page };
});
