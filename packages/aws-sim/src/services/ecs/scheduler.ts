/**
 * The service scheduler, replayed lazily: every ECS call first reconciles its cluster, applying in
 * time order what happened since the last call (tasks running, health checks passing or failing,
 * tasks exiting, deployments completing or tripping the circuit breaker) — no timers.
 */
import type { SimContext } from '../../kernel';
import { fargateTaskOf, fargateVcpuRefusal } from '../quotas';
import { chooseContainerInstance } from './container-instances';
import {
  type ClusterResource,
  type ContainerInstanceResource,
  clusterArnOf,
  clusterNotFound,
  type Deployment,
  type EcsServiceResource,
  lastSegment,
  MAX_RECONCILE_STEPS,
  RETENTION_SECONDS,
  servicesOf,
  type TaskResource,
  tasksOf,
} from './model';
import { resolveTaskDefinition } from './task-definitions';
import { failureAt, healthyAt, launchTask, reachable, stopTask } from './task-lifecycle';

/** An ACTIVE cluster, reconciled up to now. */
export function requireCluster(ctx: SimContext, nameOrArn: string | undefined): ClusterResource {
  const cluster = ctx.store.get<ClusterResource>('ecs-cluster', clusterArnOf(ctx, nameOrArn));
  if (cluster?.status !== 'ACTIVE') throw clusterNotFound();
  reconcileCluster(ctx, cluster);
  return cluster;
}

function addEvent(ctx: SimContext, service: EcsServiceResource, at: number, message: string): void {
  service.events.unshift({
    id: ctx.ids.uuid(),
    createdAt: at,
    message: `(service ${service.name}) ${message}`,
  });
  service.events.length = Math.min(service.events.length, 100);
}

function newDeploymentId(ctx: SimContext): string {
  return `ecs-svc/${Array.from({ length: 19 }, () => Math.floor(ctx.random() * 10)).join('')}`;
}

function primaryOf(service: EcsServiceResource): Deployment | undefined {
  return service.deployments.find((deployment) => deployment.status === 'PRIMARY');
}

export function startDeployment(
  ctx: SimContext,
  service: EcsServiceResource,
  taskDefinition: string,
  at: number,
): Deployment {
  for (const deployment of service.deployments) deployment.status = 'ACTIVE';
  const id = newDeploymentId(ctx);
  const deployment: Deployment = {
    id,
    status: 'PRIMARY',
    taskDefinition,
    desiredCount: service.desiredCount,
    failedTasks: 0,
    createdAt: at,
    updatedAt: at,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: 'ECS deployment in progress.',
  };
  service.deployments.unshift(deployment);
  return deployment;
}

export function serviceTasks(ctx: SimContext, service: EcsServiceResource): TaskResource[] {
  return ctx.store.list<TaskResource>('ecs-task').filter((task) => task.serviceArn === service.arn);
}

/** Starts or stops primary-deployment tasks at `at` so that their number matches the desired count. */
function scaleTo(ctx: SimContext, service: EcsServiceResource, at: number): void {
  const primary = primaryOf(service);
  if (service.status !== 'ACTIVE' || !primary || primary.rolloutState === 'FAILED') return;
  primary.desiredCount = service.desiredCount;
  const live = serviceTasks(ctx, service).filter(
    (task) => task.deploymentId === primary.id && task.stoppingAt === undefined,
  );
  for (const extra of live.slice(service.desiredCount)) {
    stopTask(
      ctx,
      extra,
      at,
      `Scaling activity initiated by (deployment ${primary.id})`,
      'ServiceSchedulerInitiated',
    );
  }
  const missing = service.desiredCount - live.length;
  if (missing <= 0) return;
  const cluster = ctx.store.get<ClusterResource>('ecs-cluster', service.clusterArn);
  const definition = resolveTaskDefinition(ctx, primary.taskDefinition);
  if (!cluster || !definition) return;
  const tags =
    service.propagateTags === 'SERVICE'
      ? service.tags
      : service.propagateTags === 'TASK_DEFINITION'
        ? definition.tags
        : {};
  const started: string[] = [];
  for (let i = 0; i < missing; i += 1) {
    const choice = chooseContainerInstance(ctx, cluster, { placement: service.placement, definition }, at);
    if (choice.kind === 'no-instance' || choice.kind === 'no-eni') {
      addPlacementFailure(ctx, service, at, choice);
      break;
    }
    const overQuota = fargateVcpuRefusal(ctx, fargateTaskOf(service.placement, definition), at);
    if (overQuota) {
      const message = `was unable to place a task. Reason: ${overQuota}.`;
      if (!service.events[0]?.message.endsWith(message)) addEvent(ctx, service, at, message);
      break;
    }
    const task = launchTask(ctx, {
      cluster,
      definition,
      placement: service.placement,
      at,
      group: `service:${service.name}`,
      startedBy: primary.id,
      service,
      deploymentId: primary.id,
      tags: { ...tags },
      index: service.launchedTasks,
      ...(choice.kind === 'placed' ? { containerInstance: choice.instance } : {}),
    });
    service.launchedTasks += 1;
    started.push(lastSegment(task.arn));
  }
  if (started.length > 0) {
    addEvent(ctx, service, at, `has started ${started.length} tasks: (task ${started.join(') (task ')}).`);
  }
}

/**
 * ECS's service event for a task it cannot place (docs/aws-facts.md#subnet-addresses-and-eni-capacity),
 * not repeated while it is the latest event.
 */
function addPlacementFailure(
  ctx: SimContext,
  service: EcsServiceResource,
  at: number,
  choice: { kind: 'no-instance' } | { kind: 'no-eni'; closest: ContainerInstanceResource },
): void {
  const unplaced = 'was unable to place a task because no container instance met all of its requirements.';
  const message =
    choice.kind === 'no-instance'
      ? unplaced
      : `${unplaced} The closest matching (container-instance ${lastSegment(choice.closest.arn)}) encountered error "RESOURCE:ENI". For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`;
  if (!service.events[0]?.message.endsWith(message)) addEvent(ctx, service, at, message);
}

interface SchedulerEvent {
  at: number;
  apply: (at: number) => void;
}

/** Circuit-breaker threshold: 0.5 × desired count, at least 3, at most 200. */
const failureThreshold = (desired: number) => Math.min(200, Math.max(3, Math.ceil(desired * 0.5)));

function taskFailed(ctx: SimContext, service: EcsServiceResource, task: TaskResource, at: number): void {
  const taskId = lastSegment(task.arn);
  if (task.startFailure) {
    stopTask(ctx, task, at, task.startFailure.reason, 'TaskFailedToStart');
  } else if (task.exitAt !== undefined) {
    stopTask(ctx, task, at, 'Essential container in task exited', 'EssentialContainerExited');
  } else {
    const target = task.targets.find((candidate) => !reachable(ctx, task, candidate)) ?? task.targets[0];
    if (target) {
      const reason = reachable(ctx, task, target)
        ? 'Health checks failed with these codes: [500]'
        : 'Request timed out';
      addEvent(
        ctx,
        service,
        at,
        `(port ${target.port}) is unhealthy in (target-group ${target.targetGroupArn}) due to (reason ${reason}).`,
      );
    }
    stopTask(
      ctx,
      task,
      at,
      `Task failed ELB health checks in (target-group ${target?.targetGroupArn ?? ''})`,
      'ServiceSchedulerInitiated',
    );
  }
  addEvent(ctx, service, at, `has stopped 1 running tasks: (task ${taskId}).`);
  const deployment = service.deployments.find((candidate) => candidate.id === task.deploymentId);
  if (!deployment) return;
  deployment.failedTasks += 1;
  deployment.updatedAt = at;
  const breaker = service.deploymentConfiguration.deploymentCircuitBreaker as
    | { enable?: boolean; rollback?: boolean }
    | undefined;
  if (!breaker?.enable || deployment.status !== 'PRIMARY' || deployment.rolloutState !== 'IN_PROGRESS')
    return;
  if (deployment.failedTasks < failureThreshold(deployment.desiredCount)) return;
  deployment.rolloutState = 'FAILED';
  deployment.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
  addEvent(ctx, service, at, `(deployment ${deployment.id}) deployment failed: tasks failed to start.`);
  const previous = service.lastCompletedTaskDefinition;
  if (breaker.rollback && previous !== undefined) {
    const rollback = startDeployment(ctx, service, previous, at);
    rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${deployment.id}.`;
    service.taskDefinition = previous;
    addEvent(ctx, service, at, `(deployment ${deployment.id}) rolling back to (deployment ${rollback.id}).`);
  }
}

/** The next thing that happens to a service, if anything is pending. */
function nextEvent(ctx: SimContext, service: EcsServiceResource): SchedulerEvent | undefined {
  const candidates: SchedulerEvent[] = [];
  const tasks = serviceTasks(ctx, service);
  for (const task of tasks) {
    const at = failureAt(ctx, service, task);
    if (at !== undefined) candidates.push({ at, apply: (when) => taskFailed(ctx, service, task, when) });
  }
  const primary = primaryOf(service);
  if (service.status === 'ACTIVE' && primary && primary.rolloutState === 'IN_PROGRESS') {
    const own = tasks.filter((task) => task.deploymentId === primary.id && task.stoppingAt === undefined);
    const others = tasks.filter((task) => task.deploymentId !== primary.id);
    if (primary.healthyAt === undefined && own.length === service.desiredCount) {
      const times = own.map((task) => healthyAt(ctx, task));
      if (times.every((time) => time !== undefined)) {
        candidates.push({
          at: Math.max(primary.createdAt, ...times),
          apply: (when) => {
            primary.healthyAt = when;
            for (const old of others) {
              stopTask(
                ctx,
                old,
                when,
                `Scaling activity initiated by (deployment ${primary.id})`,
                'ServiceSchedulerInitiated',
              );
            }
          },
        });
      }
    } else if (primary.healthyAt !== undefined && others.every((task) => task.stoppedAt !== undefined)) {
      candidates.push({
        at: Math.max(primary.healthyAt, ...others.map((task) => task.stoppedAt ?? 0)),
        apply: (when) => {
          service.deployments = [primary];
          primary.rolloutState = 'COMPLETED';
          primary.rolloutStateReason = 'ECS deployment completed.';
          primary.updatedAt = when;
          service.lastCompletedTaskDefinition = primary.taskDefinition;
          addEvent(ctx, service, when, `(deployment ${primary.id}) deployment completed.`);
          addEvent(ctx, service, when, 'has reached a steady state.');
        },
      });
    }
  }
  if (service.status === 'DRAINING' && tasks.every((task) => task.stoppedAt !== undefined)) {
    candidates.push({
      at: Math.max(service.deletedAt ?? 0, ...tasks.map((task) => task.stoppedAt ?? 0)),
      apply: (when) => {
        service.status = 'INACTIVE';
        service.endedAt = when;
        service.goneAt = when + RETENTION_SECONDS * 1000;
      },
    });
  }
  return candidates.sort((a, b) => a.at - b.at)[0];
}

/** Replays the service's scheduler from its last reconciliation up to now. */
export function reconcileService(ctx: SimContext, service: EcsServiceResource): void {
  if (service.status === 'INACTIVE') return;
  const now = ctx.clock.now();
  let at = service.reconciledAt;
  for (let step = 0; step < MAX_RECONCILE_STEPS; step += 1) {
    scaleTo(ctx, service, at);
    const event = nextEvent(ctx, service);
    if (!event || event.at > now) break;
    at = Math.max(at, event.at);
    event.apply(at);
  }
  scaleTo(ctx, service, now);
  service.reconciledAt = now;
}

/**
 * Standalone tasks whose container has exited are stopped (from their exit time), and those that
 * failed to start from when they failed.
 */
export function reconcileCluster(ctx: SimContext, cluster: ClusterResource): void {
  for (const service of servicesOf(ctx, cluster.arn)) reconcileService(ctx, service);
  for (const task of tasksOf(ctx, cluster.arn)) {
    if (task.serviceArn !== undefined) continue;
    if (task.startFailure && ctx.clock.reached(task.startFailure.at)) {
      stopTask(ctx, task, task.startFailure.at, task.startFailure.reason, 'TaskFailedToStart');
    } else if (task.exitAt !== undefined && ctx.clock.reached(task.exitAt)) {
      stopTask(ctx, task, task.exitAt, 'Essential container in task exited', 'EssentialContainerExited');
    }
  }
}
