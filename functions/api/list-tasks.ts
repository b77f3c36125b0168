import { listTasks } from '../../shared/app/tasks';
// A deliberate exception to "handlers never touch AWS": reading task status is an operation on what
// the workflow built, not provisioning. The ECS calls themselves stay in shared/aws/jobs.ts.
import { taskRunner } from '../../shared/aws/tasks';
import { authenticatedHandler } from '../../shared/http/handler';
import { environmentReader } from '../../shared/wiring/table';

/** GET /environments/{id}/tasks → the job and one-off tasks, running and recently stopped, with exit codes. */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const tasks = await listTasks({ store: environmentReader(), tasks: taskRunner }, caller, params.id ?? '');
  return { status: 200, body: { tasks } };
});
