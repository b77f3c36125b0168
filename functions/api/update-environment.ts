import { defaultDependencies } from '../../shared/app/dependencies';
import { updateEnvironment } from '../../shared/app/environments';
import { authenticatedHandler } from '../../shared/http/handler';

/** PATCH /environments/{id} (JSON merge patch, If-Match required) → 202 and the update recorded. */
export const handler = authenticatedHandler(
  async ({ caller, params, body, headers }) => {
    const environment = await updateEnvironment(
      defaultDependencies(),
      caller,
      params.id ?? '',
      body,
      headers['if-match'],
    );
    return {
      status: 202,
      body: environment,
      headers: { Location: `/environments/${environment.id}`, ETag: `"${environment.version}"` },
    };
  },
  { body: true },
);
