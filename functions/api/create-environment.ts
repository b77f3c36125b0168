import { createEnvironment } from '../../shared/app/create';
import { authenticatedHandler, parseInput } from '../../shared/http/handler';
import { createQuerySchema } from '../../shared/http/queries';
import { pathTo } from '../../shared/http/routes';
import { specWriteDependencies } from '../../shared/wiring/spec-writes';

/** POST /environments → 202 and the provisioning workflow started (200 for `?dryRun=true`). */
export const handler = authenticatedHandler(
  async ({ caller, body, query, headers }) => {
    const { dryRun } = parseInput(createQuerySchema, query, 'query string');
    const idempotencyKey = headers['idempotency-key'];
    const outcome = await createEnvironment(specWriteDependencies(), caller, body, {
      dryRun: dryRun === 'true',
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    });
    if (outcome.kind === 'dry-run') return { status: 200, body: { spec: outcome.spec, cost: outcome.cost } };
    const { environment } = outcome;
    return {
      status: 202,
      body: environment,
      headers: {
        Location: pathTo('getEnvironment', { id: environment.id }),
        ETag: `"${environment.version}"`,
        ...(outcome.kind === 'replayed' ? { 'Idempotent-Replayed': 'true' } : {}),
      },
    };
  },
  { body: true },
);
