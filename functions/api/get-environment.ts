import { defaultStore } from '../../shared/app/dependencies';
import { getEnvironment } from '../../shared/app/environments';
import { authenticatedHandler } from '../../shared/http/handler';

/** GET /environments/{id} → status, progress and outputs; the ETag is the version. */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const environment = await getEnvironment({ store: defaultStore() }, caller, params.id ?? '');
  return { status: 200, body: environment, headers: { ETag: `"${environment.version}"` } };
});
