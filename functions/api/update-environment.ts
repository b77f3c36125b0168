import { updateEnvironment } from '../../shared/app/update';
import { authenticatedHandler } from '../../shared/http/handler';
import { pathTo } from '../../shared/http/routes';
import { specWriteDependencies } from '../../shared/wiring/spec-writes';

/** PATCH /environments/{id} (JSON merge patch, If-Match required) → 202 and the update recorded. */
export const handler = authenticatedHandler(
  async ({ caller, params, body, headers }) => {
    const environment = await updateEnvironment(
      specWriteDependencies(),
      caller,
      params.id ?? '',
      body,
      headers['if-match'],
    );
    return {
      status: 202,
      body: environment,
      headers: {
        Location: pathTo('getEnvironment', { id: environment.id }),
        ETag: `"${environment.version}"`,
      },
    };
  },
  { body: true },
);
