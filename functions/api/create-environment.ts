import { createEnvironment } from '../../shared/app/create';
import { authenticatedHandler, parseInput } from '../../shared/http/handler';
import { createQuerySchema } from '../../shared/http/queries';
import { pathTo } from '../../shared/http/routes';
import { quotaPolicy } from '../../shared/wiring/quota-policy';
import { region } from '../../shared/wiring/region';
import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore } from '../../shared/wiring/table';
import { workflowStarter } from '../../shared/wiring/workflow-starter';

/** POST /environments → 202 and the provisioning workflow started (200 for `?dryRun=true`). */
export const handler = authenticatedHandler(
  async ({ caller, body, query, headers }) => {
    const { dryRun } = parseInput(createQuerySchema, query, 'query string');
    const idempotencyKey = headers['idempotency-key'];
    const outcome = await createEnvironment(
      {
        store: environmentStore(),
        workflows: workflowStarter(),
        notifier: statusNotifier(),
        quotas: quotaPolicy(),
        region: region(),
      },
      caller,
      body,
      {
        dryRun: dryRun === 'true',
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      },
    );
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
