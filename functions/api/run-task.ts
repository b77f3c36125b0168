import { runTasks } from '../../shared/app/tasks';
// A deliberate exception to "handlers never touch AWS": running a one-off task is an operation on
// what the workflow built, not provisioning. The ECS calls themselves stay in shared/aws/jobs.ts.
import { taskRunner } from '../../shared/aws/tasks';
import { authenticatedHandler } from '../../shared/http/handler';
import { environmentReader } from '../../shared/wiring/table';

/** POST /environments/{id}/tasks `{service | job, command?, count?}` → 202 and the started tasks. */
export const handler = authenticatedHandler(
  async ({ caller, params, body, headers }) => {
    const idempotencyKey = headers['idempotency-key'];
    const tasks = await runTasks(
      { store: environmentReader(), tasks: taskRunner },
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
