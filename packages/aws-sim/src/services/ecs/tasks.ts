/**
 * Standalone tasks and task queries: RunTask, DescribeTasks, ListTasks and StopTask — for service
 * tasks too, which the scheduler launched.
 */
import type { OperationInput, SimContext } from '../../kernel';
import { epochSeconds, paginate } from '../operation-input';
import { fargateTaskOf, fargateVcpuRefusal } from '../quotas';
import { chooseContainerInstance } from './container-instances';
import {
  arnPrefix,
  type ClusterResource,
  containerInstancesOf,
  includes,
  invalidParameter,
  reader,
  readTags,
  seconds,
  serviceNotFound,
  type TaskResource,
  tagsOut,
  tasksOf,
} from './model';
import { requireCluster } from './scheduler';
import { readPlacement, readPlacementRules } from './service-inputs';
import { findService, requireActiveDefinition, serviceArnOf } from './services';
import { desiredStatus, launchTask, stopTask, taskStatus } from './task-lifecycle';

function taskOutput(ctx: SimContext, task: TaskResource, withTags: boolean) {
  const lastStatus = taskStatus(ctx, task);
  const stopped = lastStatus === 'STOPPED';
  const exited = stopped && task.exitAt !== undefined && task.stopCode === 'EssentialContainerExited';
  const attachmentStatus = stopped ? 'DELETED' : lastStatus === 'RUNNING' ? 'ATTACHED' : 'PRECREATED';
  return {
    taskArn: task.arn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    lastStatus,
    desiredStatus: desiredStatus(ctx, task),
    ...(task.launchType ? { launchType: task.launchType } : {}),
    ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}),
    ...(task.containerInstanceArn ? { containerInstanceArn: task.containerInstanceArn } : {}),
    ...(task.cpu ? { cpu: task.cpu } : {}),
    ...(task.memory ? { memory: task.memory } : {}),
    group: task.group,
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    availabilityZone: task.availabilityZone,
    connectivity: ctx.clock.reached(task.runningAt) ? 'CONNECTED' : 'CONNECTING',
    healthStatus: 'UNKNOWN',
    version: task.version,
    createdAt: epochSeconds(task.createdAt),
    ...(ctx.clock.reached(task.runningAt) &&
    (task.stoppingAt === undefined || task.stoppingAt > task.runningAt)
      ? {
          startedAt: epochSeconds(task.runningAt),
          pullStartedAt: seconds(task.createdAt),
          pullStoppedAt: seconds(task.runningAt),
        }
      : {}),
    ...(ctx.clock.reached(task.stoppingAt)
      ? { stoppingAt: seconds(task.stoppingAt), stoppedReason: task.stoppedReason, stopCode: task.stopCode }
      : {}),
    ...(stopped ? { stoppedAt: seconds(task.stoppedAt), executionStoppedAt: seconds(task.drainedAt) } : {}),
    containers: task.containers.map((container) => ({
      containerArn: container.arn,
      taskArn: task.arn,
      name: container.name,
      image: container.image,
      lastStatus: stopped ? 'STOPPED' : lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING',
      ...(exited ? { exitCode: task.exitCode } : {}),
      networkInterfaces: task.privateIp
        ? [{ attachmentId: task.attachmentId, privateIpv4Address: task.privateIp }]
        : [],
      healthStatus: 'UNKNOWN',
    })),
    attachments: task.networkInterfaceId
      ? [
          {
            id: task.attachmentId,
            type: 'ElasticNetworkInterface',
            status: attachmentStatus,
            details: [
              { name: 'subnetId', value: task.subnetId ?? '' },
              { name: 'networkInterfaceId', value: task.networkInterfaceId },
              { name: 'privateIPv4Address', value: task.privateIp ?? '' },
            ],
          },
        ]
      : [],
    ...(withTags ? { tags: tagsOut(task.tags) } : {}),
  };
}

export function runTask(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const clientToken = r.string('clientToken');
  const { clientToken: _token, ...request } = input;
  const fingerprint = JSON.stringify(request);
  if (clientToken) {
    const earlier = tasksOf(ctx, cluster.arn).filter((task) => task.clientToken === clientToken);
    if (earlier.length > 0) {
      if (earlier.some((task) => task.fingerprint !== fingerprint)) {
        throw invalidParameter('The client token was already used with different parameters.');
      }
      return { tasks: earlier.map((task) => taskOutput(ctx, task, false)), failures: [] };
    }
  }
  const definition = requireActiveDefinition(ctx, r.requiredString('taskDefinition'));
  const count = r.number('count') ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10)
    throw invalidParameter('count must be between 1 and 10.');
  const placement = readPlacement(ctx, r, cluster, definition);
  readPlacementRules(r, placement);
  if (!placement.fargate && containerInstancesOf(ctx, cluster.arn).length === 0) {
    throw invalidParameter('No Container Instances were found in your cluster.');
  }
  const propagateTags = r.string('propagateTags') ?? 'NONE';
  const tags = { ...(propagateTags === 'TASK_DEFINITION' ? definition.tags : {}), ...readTags(r) };
  const startedBy = r.string('startedBy');
  const tasks: TaskResource[] = [];
  const failures: Array<{ arn: string; reason: string }> = [];
  for (let index = 0; index < count; index += 1) {
    const at = ctx.clock.now();
    // A task no instance has room for is a `failures` entry, as ECS answers (RESOURCE:ENI …).
    const choice = chooseContainerInstance(ctx, cluster, { placement, definition }, at);
    if (choice.kind === 'no-eni') {
      failures.push({ arn: choice.closest.arn, reason: 'RESOURCE:ENI' });
      continue;
    }
    if (choice.kind === 'no-instance') {
      failures.push({ arn: cluster.arn, reason: 'ATTRIBUTE' });
      continue;
    }
    const overQuota = fargateVcpuRefusal(ctx, fargateTaskOf(placement, definition), at);
    if (overQuota) {
      failures.push({ arn: cluster.arn, reason: overQuota });
      continue;
    }
    tasks.push(
      launchTask(ctx, {
        cluster,
        definition,
        placement,
        at,
        group: r.string('group') ?? `family:${definition.family}`,
        ...(startedBy ? { startedBy } : {}),
        tags: { ...tags },
        ...(clientToken ? { clientToken, fingerprint } : {}),
        index,
        ...(choice.kind === 'placed' ? { containerInstance: choice.instance } : {}),
      }),
    );
  }
  return { tasks: tasks.map((task) => taskOutput(ctx, task, false)), failures };
}

function taskArnOf(cluster: ClusterResource, ctx: SimContext, idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? idOrArn : `${arnPrefix(ctx)}:task/${cluster.name}/${idOrArn}`;
}

function findTask(ctx: SimContext, cluster: ClusterResource, idOrArn: string): TaskResource | undefined {
  const task = ctx.store.get<TaskResource>('ecs-task', taskArnOf(cluster, ctx, idOrArn));
  return task?.clusterArn === cluster.arn ? task : undefined;
}

export function describeTasks(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const ids = r.strings('tasks');
  if (ids.length === 0 || ids.length > 100)
    throw invalidParameter('tasks must contain between 1 and 100 items.');
  const tasks: ReturnType<typeof taskOutput>[] = [];
  const failures: Array<{ arn: string; reason: string }> = [];
  for (const id of ids) {
    const task = findTask(ctx, cluster, id);
    if (task) tasks.push(taskOutput(ctx, task, includes(r, 'TAGS')));
    else failures.push({ arn: taskArnOf(cluster, ctx, id), reason: 'MISSING' });
  }
  return { tasks, failures };
}

export function listTasks(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const serviceName = r.string('serviceName');
  const family = r.string('family');
  const startedBy = r.string('startedBy');
  const launchType = r.string('launchType');
  const wanted = r.string('desiredStatus') ?? 'RUNNING';
  if (serviceName !== undefined && !findService(ctx, cluster, serviceName)) throw serviceNotFound();
  const serviceArn = serviceName === undefined ? undefined : serviceArnOf(ctx, cluster, serviceName);
  const arns = tasksOf(ctx, cluster.arn)
    .filter((task) => desiredStatus(ctx, task) === wanted)
    .filter((task) => serviceArn === undefined || task.serviceArn === serviceArn)
    .filter((task) => family === undefined || task.taskDefinitionArn.includes(`:task-definition/${family}:`))
    .filter((task) => startedBy === undefined || task.startedBy === startedBy)
    .filter((task) => launchType === undefined || task.launchType === launchType)
    .map((task) => task.arn);
  const { page, nextToken } = paginate(
    arns,
    r.string('nextToken'),
    r.number('maxResults'),
    invalidParameter,
    100,
  );
  return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
}

export function stopTaskOperation(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const task = findTask(ctx, cluster, r.requiredString('task'));
  if (!task) throw invalidParameter('The referenced task was not found.');
  stopTask(ctx, task, ctx.clock.now(), r.string('reason') ?? 'Task stopped by user', 'UserInitiated');
  // A service replaces a stopped task at once (from the next reconciliation on).
  return { task: taskOutput(ctx, task, false) };
}
