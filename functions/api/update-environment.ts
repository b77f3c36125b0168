import { updateEnvironment } from '../../shared/app/update';
import { authenticatedHandler } from '../../shared/http/handler';
import { pathTo } from '../../shared/http/routes';
import { quotaPolicy } from '../../shared/wiring/quota-policy';
import { region } from '../../shared/wiring/region';
import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore } from '../../shared/wiring/table';
import { workflowStarter } from '../../shared/wiring/workflow-starter';

/** PATCH /environments/{id} (JSON merge patch, If-Match required) → 202 and the update recorded. */
export const handler = authenticatedHandler(
  async ({ caller, params, body, headers }) => {
    const environment = await updateEnvironment(
      {
        store: environmentStore(),
        workflows: workflowStarter(),
        notifier: statusNotifier(),
        quotas: quotaPolicy(),
        region: region(),
      },
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
