/**
 * One-off tasks: run a service's or a job's task by hand, and list an environment's recent job and
 * one-off tasks. The rules live here (who may, in which statuses, what a request means); the ECS
 * calls come in through `TaskRunner`, so front doors pass shared/aws/jobs.ts and tests a fake.
 *
 * One-off tasks count against the team's `oneOffTasks` and `oneOffVcpus` limits, with the job tasks
 * Scheduler and pipes start (berth cannot refuse those, but they take the same room). What runs is
 * asked of ECS at each request (ListTasks DESIRED RUNNING in each of the team's clusters, then
 * DescribeTasks for the groups and sizes; a service's tasks do not count), not kept in a counter: one-off tasks end on their own
 * (exit, crash, Spot reclaim, teardown), and nothing would take a counter down when they do without
 * another event pipeline that can itself lag or drop. The cost is a window: two requests at the same
 * instant both see the room and both start, so the limit can be passed by at most the tasks of the
 * requests in flight together (API throttling on this route bounds that); a task that has just
 * stopped stops counting at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RunTaskRequest } from '../aws/tasks';
import type { Caller } from '../domain/caller';
import { formatIssues } from '../domain/issues';
import { environmentTags, names } from '../domain/naming';
import { canRunTasks } from '../domain/status';
import { type OneOffAmounts, oneOffExcesses } from '../domain/usage';
import * as z from '../domain/zod';
import type { EnvironmentReader, StoredEnvironment } from '../store/environment-reader';
import { UseCaseError } from './errors';
import { assertIdempotencyKey } from './idempotency';
import type { QuotaPolicy } from './ports';
import { oneOffLimitsFor, quotaExceededError } from './quotas';
import { loadVisible } from './reads';

/** What a task looks like to callers (shared/aws/jobs.ts `TaskSummary` has this shape). */
export const taskSummarySchema = z.object({
  taskArn: z.string(),
  taskDefinitionArn: z.optional(z.string()),
  group: z.meta(z.optional(z.string()), { description: '`job:<name>` or `run:<service>`.' }),
  lastStatus: z.optional(z.string()),
  desiredStatus: z.optional(z.string()),
  exitCode: z.meta(z.optional(z.int()), {
    description: "The essential container's exit code, once stopped.",
  }),
  createdAt: z.optional(z.string()),
  startedAt: z.optional(z.string()),
  stoppedAt: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
});
export type TaskSummaryView = z.output<typeof taskSummarySchema>;
export const taskListSchema = z.object({ tasks: z.array(taskSummarySchema) });

/** The body of `POST /environments/{id}/tasks`. */
export const runTaskRequestSchema = z
  .strictObject({
    service: z.meta(z.optional(z.string().check(z.minLength(1))), {
      description: "Run a copy of this service's task.",
    }),
    job: z.meta(z.optional(z.string().check(z.minLength(1))), { description: "Run this job's task now." }),
    command: z.meta(
      z.optional(z.array(z.string().check(z.maxLength(4096))).check(z.minLength(1), z.maxLength(100))),
      { description: "Overrides the container's command (a job's own command by default)." },
    ),
    // RunTask starts at most 10 tasks per call.
    count: z._default(z.int().check(z.minimum(1), z.maximum(10)), 1),
  })
  .check(
    z.superRefine((body, ctx) => {
      if ((body.service === undefined) === (body.job === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['service'], message: 'give exactly one of service and job' });
      }
    }),
  );
export type RunTaskRequestBody = z.input<typeof runTaskRequestSchema>;

/** What the use case asks the task runner to start: shared/aws/tasks.ts's request, as it is. */
export type RunTaskCall = RunTaskRequest;

/** The AWS boundary: shared/aws/tasks.ts `runTask`, `listRecentTasks` and `countRunningOneOffTasks` fit it. */
export interface TaskRunner {
  run(call: RunTaskCall): Promise<TaskSummaryView[]>;
  listRecent(clusterName: string, familyPrefix: string): Promise<TaskSummaryView[]>;
  /** The one-off tasks of the cluster not yet stopped, and their vCPUs. */
  countRunning(clusterName: string): Promise<OneOffAmounts>;
}

export interface TaskDependencies {
  store: EnvironmentReader;
  tasks: TaskRunner;
  /** Team quotas; without them no run is refused for the team's one-off limits. */
  quotas?: QuotaPolicy;
}

/** The ids a task needs, from what provisioning recorded (never shown to callers). */
const runtimeSchema = z.object({
  network: z.object({
    subnets: z.object({ app: z.array(z.string()).check(z.minLength(1)) }),
    securityGroups: z.object({ service: z.string() }),
  }),
  cluster: z.object({ clusterName: z.string(), capacityProviderName: z.optional(z.string()) }),
});
type Runtime = z.output<typeof runtimeSchema>;

async function loadRunnable(
  deps: TaskDependencies,
  caller: Caller,
  id: string,
): Promise<{ environment: StoredEnvironment; runtime: Runtime }> {
  const environment = await loadVisible(deps, caller, id);
  const runtime = runtimeSchema.safeParse(environment.runtime);
  if (!canRunTasks(environment.status) || !runtime.success) {
    throw new UseCaseError(
      'conflict',
      'Conflict',
      `an environment in status ${environment.status} cannot run tasks; wait until it is READY`,
    );
  }
  return { environment, runtime: runtime.data };
}

function clientTokenOf(environmentId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  // RunTask's clientToken is at most 64 characters; a hash keeps keys of any length and scopes them.
  return createHash('sha256').update(`${environmentId}\n${idempotencyKey}`).digest('hex').slice(0, 64);
}

/** Starts 1–10 tasks of a service or job in the environment's app subnets; answers them. */
export async function runTasks(
  deps: TaskDependencies,
  caller: Caller,
  id: string,
  body: unknown,
  options: { idempotencyKey?: string } = {},
): Promise<TaskSummaryView[]> {
  const { idempotencyKey } = options;
  assertIdempotencyKey(idempotencyKey);
  const { environment, runtime } = await loadRunnable(deps, caller, id);
  const parsed = runTaskRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid task request',
      'the request body does not describe a task to run; see errors',
      formatIssues(parsed.error),
    );
  }
  const request = parsed.data;
  const ref = { id: environment.id, name: environment.name, team: environment.team };
  const { spec } = environment;
  let what: {
    family: string;
    containerName: string;
    group: string;
    command?: string[];
    cpu?: string;
    memory?: string;
  };
  if (request.job !== undefined) {
    const job = spec.jobs.find((candidate) => candidate.name === request.job);
    if (!job) throw unknownName('job', request.job);
    const command = request.command ?? job.command;
    const base = job.service ?? job.name;
    what = {
      // A job with `service` runs that service's family (its latest ACTIVE revision) with the job's sizes.
      family: names.taskFamily(ref, base),
      containerName: base,
      group: `job:${job.name}`,
      ...(command !== undefined ? { command } : {}),
      ...(job.service !== undefined && job.cpu !== undefined ? { cpu: String(job.cpu) } : {}),
      ...(job.service !== undefined && job.memory !== undefined ? { memory: String(job.memory) } : {}),
    };
  } else {
    const name = request.service ?? '';
    if (!spec.services.some((service) => service.name === name)) throw unknownName('service', name);
    what = {
      family: names.taskFamily(ref, name),
      containerName: name,
      group: `run:${name}`,
      ...(request.command !== undefined ? { command: request.command } : {}),
    };
  }
  if (deps.quotas) {
    const unitsPerTask = Number(what.cpu ?? cpuOf(spec, request));
    await assertOneOffRoom(deps, deps.quotas, environment.team, {
      oneOffTasks: request.count,
      oneOffVcpus: (request.count * unitsPerTask) / 1024,
    });
  }
  const { family, ...rest } = what;
  return deps.tasks.run({
    ...rest,
    clusterName: runtime.cluster.clusterName,
    taskDefinition: family,
    count: request.count,
    subnetIds: runtime.network.subnets.app,
    securityGroupId: runtime.network.securityGroups.service,
    capacity: spec.cluster.capacity,
    ...(runtime.cluster.capacityProviderName
      ? { capacityProviderName: runtime.cluster.capacityProviderName }
      : {}),
    clientToken: clientTokenOf(environment.id, idempotencyKey),
    tags: environmentTags(ref, spec.tags),
  });
}

/** The task-level CPU units the task will run with (a job's own size, else its service's, else ECS's 256 for an image job). */
function cpuOf(spec: StoredEnvironment['spec'], request: { job?: string; service?: string }): number {
  const job = spec.jobs.find((candidate) => candidate.name === request.job);
  const serviceName = job ? job.service : request.service;
  const service = spec.services.find((candidate) => candidate.name === serviceName);
  return job?.cpu ?? service?.cpu ?? 256;
}

/** What the team's one-off tasks hold now, over the clusters of all its environments. */
async function runningOneOff(deps: TaskDependencies, team: string): Promise<OneOffAmounts> {
  const total = { oneOffTasks: 0, oneOffVcpus: 0 };
  let cursor: string | undefined;
  do {
    const page = await deps.store.list({ teams: [team], limit: 100, ...(cursor ? { cursor } : {}) });
    // The page's clusters at once: this runs before every RunTask.
    const clusters = page.items.flatMap((environment) => {
      const runtime = runtimeSchema.safeParse(environment.runtime);
      return runtime.success ? [runtime.data.cluster.clusterName] : [];
    });
    for (const running of await Promise.all(clusters.map((cluster) => deps.tasks.countRunning(cluster)))) {
      total.oneOffTasks += running.oneOffTasks;
      total.oneOffVcpus += running.oneOffVcpus;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return total;
}

/** 429 naming each one-off limit the request would pass, like the stored quotas' refusals. */
async function assertOneOffRoom(
  deps: TaskDependencies,
  policy: QuotaPolicy,
  team: string,
  requested: OneOffAmounts,
): Promise<void> {
  const [limits, running] = await Promise.all([oneOffLimitsFor(policy, team), runningOneOff(deps, team)]);
  const excesses = oneOffExcesses(running, requested, limits);
  if (excesses.length === 0) return;
  throw quotaExceededError(
    team,
    excesses,
    'wait for running one-off tasks to end or ask an admin to raise the limit',
  );
}

function unknownName(field: 'service' | 'job', name: string): UseCaseError {
  return new UseCaseError(
    'bad-request',
    'Invalid task request',
    `this environment has no ${field} named ${name}`,
    [{ path: `/${field}`, message: `no ${field} named "${name}" in this environment` }],
  );
}

/** The environment's job and one-off tasks, running and recently stopped, newest first. */
export async function listTasks(
  deps: TaskDependencies,
  caller: Caller,
  id: string,
): Promise<TaskSummaryView[]> {
  const { environment, runtime } = await loadRunnable(deps, caller, id);
  const ref = { id: environment.id, name: environment.name, team: environment.team };
  return deps.tasks.listRecent(runtime.cluster.clusterName, names.taskFamily(ref, ''));
}
