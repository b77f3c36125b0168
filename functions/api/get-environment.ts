import { getEnvironment } from '../../shared/app/reads';
import { defaultReader } from '../../shared/app/table';
import { authenticatedHandler } from '../../shared/http/handler';

/** GET /environments/{id} → status, progress and outputs; the ETag is the version. */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const environment = await getEnvironment({ store: defaultReader() }, caller, params.id ?? '');
  return { status: 200, body: environment, headers: { ETag: `"${environment.version}"` } };
});
