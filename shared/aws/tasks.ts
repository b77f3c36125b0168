/**
 * The ECS task calls of one-off and job tasks: RunTask through the API, the recent-task listing and
 * stopping job tasks at teardown. Only the ECS client lives here, so the API functions that run or
 * list tasks bundle nothing of the EC2, ELB, Scheduler, SQS or Pipes clients of shared/aws/jobs.ts.
 */
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type ListTasksCommandInput,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { required } from '../domain/required';
import { type Capacity, capacityProviderStrategy, ecsTags, taskOverrides } from './ecs-shapes';
import { hasCode } from './errors';
import { requestCalls } from './retry-budget';

/** Region, credentials and endpoint come from the environment (`AWS_ENDPOINT_URL_ECS`…). */
const defaultEcs = /* @__PURE__ */ new ECSClient(requestCalls);

/** The SDK client this module calls; tests pass their own. */
export interface TaskClients {
  ecs: ECSClient;
}

const defaultClients: TaskClients = { ecs: defaultEcs };

export interface TaskSummary {
  taskArn: string;
  taskDefinitionArn?: string;
  group?: string;
  lastStatus?: string;
  desiredStatus?: string;
  /** The essential container's exit code, once it has stopped. */
  exitCode?: number;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
}

/** RunTask starts at most 10 tasks per call. */
export const RUN_TASK_MAX = 10;
/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_TASKS_MAX = 100;
/** Service tasks are `service:<name>`; job and one-off tasks are anything else. */
const SERVICE_GROUP_PREFIX = 'service:';
/** What RunTask through the API marks its tasks with (`startedBy`), so they can be counted apart. */
export const ONE_OFF_STARTED_BY = 'berth';

export interface RunTaskRequest {
  clusterName: string;
  /** An ARN, or a family (its latest ACTIVE revision). */
  taskDefinition: string;
  containerName: string;
  command?: string[];
  /** Task-level size overrides (a job that reuses a service's task definition with its own size). */
  cpu?: string;
  memory?: string;
  count: number;
  subnetIds: readonly string[];
  securityGroupId: string;
  capacity: Capacity;
  capacityProviderName?: string;
  /** ≤ 64 characters; the same token within hours answers the same tasks instead of new ones. */
  clientToken: string;
  /** `job:<name>` or `run:<service>`: how the task shows in listings. */
  group: string;
  tags: Record<string, string>;
}

function isoOf(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function summaryOf(task: Task): TaskSummary {
  const exitCode = task.containers?.find((container) => container.exitCode !== undefined)?.exitCode;
  const fields = {
    taskDefinitionArn: task.taskDefinitionArn,
    group: task.group,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    exitCode,
    createdAt: isoOf(task.createdAt),
    startedAt: isoOf(task.startedAt),
    stoppedAt: isoOf(task.stoppedAt),
    stoppedReason: task.stoppedReason,
  };
  return {
    taskArn: required(task.taskArn, 'taskArn'),
    ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
  };
}

/** Starts `count` (1–10, as RunTask allows) tasks in the app subnets without public IPs; idempotent by `clientToken`. */
export async function runTask(
  request: RunTaskRequest,
  clients: TaskClients = defaultClients,
): Promise<TaskSummary[]> {
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > RUN_TASK_MAX) {
    throw new Error(`count must be 1 to ${RUN_TASK_MAX}`);
  }
  const { tasks = [], failures = [] } = await clients.ecs.send(
    new RunTaskCommand({
      cluster: request.clusterName,
      taskDefinition: request.taskDefinition,
      count: request.count,
      capacityProviderStrategy: capacityProviderStrategy(
        request.capacity,
        request.clusterName,
        request.capacityProviderName,
      ),
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...request.subnetIds],
          securityGroups: [request.securityGroupId],
          assignPublicIp: 'DISABLED',
        },
      },
      overrides: taskOverrides(request),
      group: request.group,
      startedBy: ONE_OFF_STARTED_BY,
      tags: ecsTags(request.tags),
      clientToken: request.clientToken,
    }),
  );
  if (tasks.length === 0) {
    const failure = failures[0];
    const error = new Error(
      `no task started: ${failure?.reason ?? 'unknown'} ${failure?.detail ?? ''}`.trim(),
    );
    error.name = 'TaskNotStarted';
    throw error;
  }
  return tasks.map(summaryOf);
}

async function listTaskArns(
  clusterName: string,
  desiredStatus: 'RUNNING' | 'STOPPED',
  max: number,
  ecs: ECSClient,
) {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const input: ListTasksCommandInput = { cluster: clusterName, desiredStatus, maxResults: 100, nextToken };
    const page = await ecs.send(new ListTasksCommand(input));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken && arns.length < max);
  return arns.slice(0, max);
}

async function describeTasks(clusterName: string, arns: readonly string[], ecs: ECSClient): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let start = 0; start < arns.length; start += DESCRIBE_TASKS_MAX) {
    const { tasks: page = [] } = await ecs.send(
      new DescribeTasksCommand({
        cluster: clusterName,
        tasks: arns.slice(start, start + DESCRIBE_TASKS_MAX),
      }),
    );
    tasks.push(...page);
  }
  return tasks;
}

function familyOf(taskDefinitionArn: string | undefined): string {
  return /:task-definition\/([^:]+):/.exec(taskDefinitionArn ?? '')?.[1] ?? '';
}

/**
 * The cluster's job and one-off tasks whose family starts with `familyPrefix`, running and
 * recently stopped (ECS keeps stopped tasks about an hour), newest first; service tasks are left out.
 */
export async function listRecentTasks(
  clusterName: string,
  familyPrefix: string,
  clients: TaskClients = defaultClients,
  limit = 100,
): Promise<TaskSummary[]> {
  let arns: string[];
  try {
    // A task that stops between the two lists is in both: once is enough.
    arns = [
      ...new Set([
        ...(await listTaskArns(clusterName, 'RUNNING', 500, clients.ecs)),
        ...(await listTaskArns(clusterName, 'STOPPED', 500, clients.ecs)),
      ]),
    ];
  } catch (error) {
    if (hasCode(error, 'ClusterNotFoundException')) return [];
    throw error;
  }
  const tasks = (await describeTasks(clusterName, arns, clients.ecs)).filter(
    (task) =>
      !(task.group ?? '').startsWith(SERVICE_GROUP_PREFIX) &&
      familyOf(task.taskDefinitionArn).startsWith(familyPrefix),
  );
  tasks.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  return tasks.slice(0, limit).map(summaryOf);
}

/**
 * The tasks of the cluster that ECS has not stopped yet and that no service keeps running, and their
 * vCPUs (task-level `cpu` / 1024): one-off tasks the API started (`startedBy` berth) and job tasks,
 * whether EventBridge Scheduler or a pipe started them (group `job:<name>`) — all of them run once and
 * end, and all take the team's room. A cluster that is gone runs nothing.
 */
export async function countRunningOneOffTasks(
  clusterName: string,
  clients: TaskClients = defaultClients,
): Promise<{ oneOffTasks: number; oneOffVcpus: number }> {
  const arns: string[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await clients.ecs.send(
        new ListTasksCommand({ cluster: clusterName, desiredStatus: 'RUNNING', maxResults: 100, nextToken }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (hasCode(error, 'ClusterNotFoundException')) return { oneOffTasks: 0, oneOffVcpus: 0 };
    throw error;
  }
  const tasks = await describeTasks(clusterName, arns, clients.ecs);
  // A task that stopped between the two calls no longer counts; a service's tasks are not one-off.
  const running = tasks.filter(
    (task) =>
      !(task.group ?? '').startsWith(SERVICE_GROUP_PREFIX) &&
      task.desiredStatus !== 'STOPPED' &&
      task.lastStatus !== 'STOPPED',
  );
  const units = running.reduce((sum, task) => sum + Number(task.cpu ?? 0), 0);
  return { oneOffTasks: running.length, oneOffVcpus: units / 1024 };
}

/** Stops the running job and one-off tasks of the cluster (they would keep DeleteCluster waiting). */
export async function stopJobTasks(clusterName: string, familyPrefix: string, ecs: ECSClient): Promise<void> {
  const running = (await listRecentTasks(clusterName, familyPrefix, { ecs }, 500)).filter(
    (task) => task.desiredStatus === 'RUNNING',
  );
  for (const task of running) {
    try {
      await ecs.send(
        new StopTaskCommand({ cluster: clusterName, task: task.taskArn, reason: 'environment deleted' }),
      );
    } catch (error) {
      if (!hasCode(error, 'InvalidParameterException', 'ClusterNotFoundException')) throw error;
    }
  }
}

/** The one-off task verbs as the use cases in shared/app/tasks.ts take them (their `TaskRunner`). */
export const taskRunner = {
  run: (request: RunTaskRequest) => runTask(request),
  listRecent: (clusterName: string, familyPrefix: string) => listRecentTasks(clusterName, familyPrefix),
  countRunning: (clusterName: string) => countRunningOneOffTasks(clusterName),
};
