import { deleteEnvironment } from '../../shared/app/delete';
import { authenticatedHandler } from '../../shared/http/handler';
import { pathTo } from '../../shared/http/routes';
import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore } from '../../shared/wiring/table';
import { workflowStarter } from '../../shared/wiring/workflow-starter';

/** DELETE /environments/{id} → 202 and the teardown started (again 202, and no second run, when repeated). */
export const handler = authenticatedHandler(async ({ caller, params, headers }) => {
  const environment = await deleteEnvironment(
    { store: environmentStore(), workflows: workflowStarter(), notifier: statusNotifier() },
    caller,
    params.id ?? '',
    headers['if-match'],
  );
  return {
    status: 202,
    body: environment,
    headers: { Location: pathTo('getEnvironment', { id: environment.id }), ETag: `"${environment.version}"` },
  };
});
