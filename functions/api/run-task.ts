import { runTasks } from '../../shared/app/tasks';
// A deliberate exception to "handlers never touch AWS": running a one-off task is an operation on
// what the workflow built, not provisioning. The ECS calls themselves stay in shared/aws/jobs.ts.
import { taskRunner } from '../../shared/aws/tasks';
import { authenticatedHandler } from '../../shared/http/handler';
import { quotaPolicy } from '../../shared/wiring/quota-policy';
import { environmentReader } from '../../shared/wiring/table';

/**
 * POST /environments/{id}/tasks `{service | job, command?, count?}` → 202 and the started tasks, or
 * 429 when the team's one-off tasks or vCPUs would pass its quota.
 */
export const handler = authenticatedHandler(
  async ({ caller, params, body, headers }) => {
    const idempotencyKey = headers['idempotency-key'];
    const tasks = await runTasks(
      { store: environmentReader(), tasks: taskRunner, quotas: quotaPolicy() },
      caller,
      params.id ?? '',
      body,
      {
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      },
    );
    return { status: 202, body: { tasks } };
  },
  { body: true },
);
