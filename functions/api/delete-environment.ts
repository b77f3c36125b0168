import { deleteEnvironment } from '../../shared/app/delete';
import { defaultWriteDependencies } from '../../shared/app/workflow-dependencies';
import { authenticatedHandler } from '../../shared/http/handler';

/** DELETE /environments/{id} → 202 and the teardown started (again 202, and no second run, when repeated). */
export const handler = authenticatedHandler(async ({ caller, params, headers }) => {
  const environment = await deleteEnvironment(
    defaultWriteDependencies(),
    caller,
    params.id ?? '',
    headers['if-match'],
  );
  return {
    status: 202,
    body: environment,
    headers: { Location: `/environments/${environment.id}`, ETag: `"${environment.version}"` },
  };
});
