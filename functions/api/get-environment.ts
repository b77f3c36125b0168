import { getEnvironment } from '../../shared/app/reads';
import { authenticatedHandler } from '../../shared/http/handler';
import { environmentReader } from '../../shared/wiring/table';

/** GET /environments/{id} → status, progress and outputs; the ETag is the version. */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const environment = await getEnvironment({ store: environmentReader() }, caller, params.id ?? '');
  return { status: 200, body: environment, headers: { ETag: `"${environment.version}"` } };
});
