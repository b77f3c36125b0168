import { listEnvironments } from '../../shared/app/reads';
import { authenticatedHandler, parseInput } from '../../shared/http/handler';
import { listQuerySchema } from '../../shared/http/queries';
import { environmentReader } from '../../shared/wiring/table';

/** GET /environments?team=&status=&limit=&cursor= → the caller's teams' environments, newest first. */
export const handler = authenticatedHandler(async ({ caller, query }) => {
  const { team, status, limit, cursor } = parseInput(listQuerySchema, query, 'query string');
  const page = await listEnvironments({ store: environmentReader() }, caller, {
    limit,
    ...(team ? { team } : {}),
    ...(status ? { status } : {}),
    ...(cursor ? { cursor } : {}),
  });
  return { status: 200, body: page };
});
