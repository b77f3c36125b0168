/**
 * A task's life computed from the clock (PROVISIONING → PENDING → RUNNING → … → STOPPED): launching
 * one (ENI, target registration), stopping it, and when a simulated app fails or turns healthy. Used
 * by the service scheduler and by RunTask/StopTask; it calls neither. A task whose execution role
 * falls short (./task-start.ts) stops while PENDING instead of running.
 */
import { AwsError, type SimContext } from '../../kernel';
import { drawSeconds } from '../../latency';
import type { Subnet } from '../ec2/model';
import { createNetworkInterface, releaseNetworkInterface } from '../ec2/network-interfaces';
import {
  deregisterTarget,
  findTargetGroup,
  healthCheckVerdictAt,
  registerTarget,
  targetReachable,
} from '../elbv2/target-health';
import {
  arnPrefix,
  type ClusterResource,
  type ContainerInstanceResource,
  type EcsServiceResource,
  FAILING_CONTAINER_RUN_SECONDS,
  lastSegment,
  type Placement,
  RETENTION_SECONDS,
  STANDALONE_TASK_RUN_SECONDS,
  type TaskDefinitionResource,
  type TaskResource,
} from './model';
import { startFailureReason } from './task-start';

type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';

export function taskStatus(ctx: SimContext, task: TaskResource): TaskStatus {
  const { clock } = ctx;
  if (clock.reached(task.stoppedAt)) return 'STOPPED';
  if (clock.reached(task.stoppingAt)) return clock.reached(task.drainedAt) ? 'STOPPING' : 'DEACTIVATING';
  if (clock.reached(task.runningAt)) return 'RUNNING';
  return clock.reached((task.createdAt + task.runningAt) / 2) ? 'PENDING' : 'PROVISIONING';
}

export const desiredStatus = (ctx: SimContext, task: TaskResource) =>
  ctx.clock.reached(task.stoppingAt) ? 'STOPPED' : 'RUNNING';

/** What the simulated app in an image does (see the module comment). */
function appHealthOf(images: string[]): TaskResource['appHealth'] {
  if (images.some((image) => image.includes('unhealthy'))) return 'unhealthy';
  if (images.some((image) => image.includes('fail'))) return 'exits';
  return 'healthy';
}

interface LaunchRequest {
  cluster: ClusterResource;
  definition: TaskDefinitionResource;
  placement: Placement;
  at: number;
  group: string;
  startedBy?: string;
  service?: EcsServiceResource;
  deploymentId?: string;
  tags: Record<string, string>;
  clientToken?: string;
  fingerprint?: string;
  /** Round-robin position among the subnets. */
  index: number;
  /** The EC2 container instance it is placed on (./container-instances.ts chooses it). */
  containerInstance?: ContainerInstanceResource;
}

/** The subnet of a task: round robin, among those in its container instance's zone when it has one. */
function subnetOf(ctx: SimContext, request: LaunchRequest): Subnet | undefined {
  const subnets = request.placement.subnets.flatMap((id) => ctx.store.get<Subnet>('subnet', id) ?? []);
  const zone = request.containerInstance?.availabilityZone;
  const inZone = zone === undefined ? [] : subnets.filter((subnet) => subnet.availabilityZone === zone);
  const pool = inZone.length > 0 ? inZone : subnets;
  return pool[request.index % Math.max(1, pool.length)];
}

/**
 * ECS's `stoppedReason` for a task whose ENI its subnet has no address for
 * (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
 */
function eniFailureReason(placement: Placement, subnetId: string): string {
  const awsvpc = placement.networkConfiguration?.awsvpcConfiguration as Record<string, unknown> | undefined;
  const publicIp = awsvpc?.assignPublicIp === 'ENABLED' ? ' with public IP assignment enabled' : '';
  return `Unexpected EC2 error while attempting to Create Network Interface${publicIp} in subnet '${subnetId}': InsufficientFreeAddressesInSubnet`;
}

/** Starts one task at `at` (its ENI, its registration in the service's target groups). */
export function launchTask(ctx: SimContext, request: LaunchRequest): TaskResource {
  const { cluster, definition, placement, at } = request;
  const clusterName = cluster.name;
  const arn = `${arnPrefix(ctx)}:task/${clusterName}/${ctx.ids.hex(32)}`;
  const attachmentId = ctx.ids.uuid();
  const subnet = subnetOf(ctx, request);
  let networkInterfaceId: string | undefined;
  let privateIp: string | undefined;
  let eniFailure: string | undefined;
  if (definition.networkMode === 'awsvpc' && subnet) {
    try {
      const eni = createNetworkInterface(ctx, {
        subnetId: subnet.id,
        groups: placement.securityGroups,
        description: `arn:aws:ecs:${ctx.region}:${ctx.accountId}:attachment/${attachmentId}`,
        interfaceType: 'interface',
        requesterId: 'AROAJ2OUJJ3NIPBFDV2BA:ecs-tasks',
      });
      networkInterfaceId = eni.id;
      privateIp = eni.privateIpAddress;
    } catch (error) {
      // The task is placed and then fails to start: ECS reports EC2's refusal as its stoppedReason.
      if (!(error instanceof AwsError && error.code === 'InsufficientFreeAddressesInSubnet')) throw error;
      eniFailure = eniFailureReason(placement, subnet.id);
    }
  }
  const appHealth = appHealthOf(definition.containers.filter((c) => c.essential).map((c) => c.image));
  const runningAt = at + drawSeconds(ctx, ctx.latency.taskRunning) * 1000;
  // The execution role is used once the task is PENDING (image pull, secrets, log stream).
  const awsvpc = placement.networkConfiguration?.awsvpcConfiguration as
    | { assignPublicIp?: unknown }
    | undefined;
  const network =
    subnet && networkInterfaceId
      ? {
          subnetId: subnet.id,
          securityGroups: placement.securityGroups,
          assignPublicIp: awsvpc?.assignPublicIp === 'ENABLED',
          ...(privateIp ? { privateIp } : {}),
        }
      : undefined;
  const failureReason = eniFailure ?? startFailureReason(ctx, definition, arn, network);
  const startFailure =
    failureReason === undefined ? undefined : { at: (at + runningAt) / 2, reason: failureReason };
  let exitAt: number | undefined;
  let exitCode: number | undefined;
  // A task that never starts has no container to exit.
  const starts = startFailure === undefined;
  if (starts && !request.service) {
    exitAt = runningAt + STANDALONE_TASK_RUN_SECONDS * 1000;
    exitCode = appHealth === 'exits' ? 1 : 0;
  } else if (starts && appHealth === 'exits') {
    exitAt = runningAt + FAILING_CONTAINER_RUN_SECONDS * 1000;
    exitCode = 1;
  }
  const task = ctx.store.put<TaskResource>({
    type: 'ecs-task',
    id: arn,
    arn,
    clusterArn: cluster.arn,
    taskDefinitionArn: definition.arn,
    group: request.group,
    ...(request.startedBy ? { startedBy: request.startedBy } : {}),
    ...(request.service ? { serviceArn: request.service.arn, deploymentId: request.deploymentId } : {}),
    ...(placement.launchType ? { launchType: placement.launchType } : {}),
    ...(placement.capacityProviderStrategy[0]
      ? { capacityProviderName: placement.capacityProviderStrategy[0].capacityProvider }
      : {}),
    ...(typeof definition.body.cpu === 'string' ? { cpu: definition.body.cpu } : {}),
    ...(typeof definition.body.memory === 'string' ? { memory: definition.body.memory } : {}),
    containers: definition.containers.map((container) => ({
      name: container.name,
      image: container.image,
      arn: `${arnPrefix(ctx)}:container/${clusterName}/${lastSegment(arn)}/${ctx.ids.uuid()}`,
    })),
    ...(networkInterfaceId ? { networkInterfaceId } : {}),
    ...(request.containerInstance ? { containerInstanceArn: request.containerInstance.arn } : {}),
    attachmentId,
    ...(privateIp ? { privateIp } : {}),
    ...(subnet ? { subnetId: subnet.id } : {}),
    availabilityZone: subnet?.availabilityZone ?? `${ctx.region}a`,
    appHealth,
    runningAt,
    ...(exitAt !== undefined ? { exitAt, exitCode } : {}),
    ...(startFailure ? { startFailure } : {}),
    targets: [],
    ...(request.clientToken ? { clientToken: request.clientToken, fingerprint: request.fingerprint } : {}),
    version: 1,
    tags: request.tags,
    createdAt: at,
  });
  // Targets are registered once a task runs; one that fails to start never is.
  if (request.service && privateIp && !startFailure) {
    for (const lb of request.service.loadBalancers) {
      registerTarget(ctx, lb.targetGroupArn, {
        id: privateIp,
        port: lb.containerPort,
        availabilityZone: task.availabilityZone,
        registeredAt: runningAt,
        appHealthy: appHealth === 'healthy',
      });
      task.targets.push({ targetGroupArn: lb.targetGroupArn, port: lb.containerPort });
    }
  }
  return task;
}

/** Stops a task from `at` on: deregister (drain) its targets, then stop; its ENI is released after. */
export function stopTask(
  ctx: SimContext,
  task: TaskResource,
  at: number,
  reason: string,
  stopCode: string,
): void {
  if (task.stoppingAt !== undefined) return;
  task.stoppingAt = at;
  task.stoppedReason = reason;
  task.stopCode = stopCode;
  task.version += 1;
  let drainedAt = at;
  if (task.privateIp !== undefined && task.runningAt <= at) {
    for (const target of task.targets) {
      drainedAt = Math.max(
        drainedAt,
        deregisterTarget(ctx, target.targetGroupArn, task.privateIp, target.port, at),
      );
    }
  } else if (task.privateIp !== undefined) {
    for (const target of task.targets)
      deregisterTarget(ctx, target.targetGroupArn, task.privateIp, target.port, at);
  }
  task.drainedAt = drainedAt;
  task.stoppedAt = drainedAt + drawSeconds(ctx, ctx.latency.taskStopped) * 1000;
  task.endedAt = task.stoppedAt;
  task.goneAt = task.stoppedAt + RETENTION_SECONDS * 1000;
  if (task.networkInterfaceId) {
    const stoppedIn = Math.max(0, (task.stoppedAt - ctx.clock.now()) / 1000);
    releaseNetworkInterface(
      ctx,
      task.networkInterfaceId,
      stoppedIn + drawSeconds(ctx, ctx.latency.eniRelease),
    );
  }
}

/** Whether the load balancer's security groups let its health checks reach the task's target. */
export function reachable(
  ctx: SimContext,
  task: TaskResource,
  target: { targetGroupArn: string; port: number },
): boolean {
  const tg = findTargetGroup(ctx, target.targetGroupArn);
  return !tg || task.privateIp === undefined || targetReachable(ctx, tg, task.privateIp, target.port);
}

/** When a service task's app is found failing: its container exits, or the ELB check fails. */
export function failureAt(
  ctx: SimContext,
  service: EcsServiceResource,
  task: TaskResource,
): number | undefined {
  if (task.stoppingAt !== undefined) return undefined;
  if (task.startFailure) return task.startFailure.at;
  if (task.exitAt !== undefined) return task.exitAt;
  // A target the load balancer's security groups cannot reach fails like an unhealthy app (timeouts).
  const verdicts = task.targets.flatMap((target) => {
    const tg = findTargetGroup(ctx, target.targetGroupArn);
    if (!tg) return [];
    const fails = task.appHealth === 'unhealthy' || !reachable(ctx, task, target);
    return fails ? [healthCheckVerdictAt(tg, task.runningAt, false)] : [];
  });
  if (verdicts.length === 0) return undefined;
  // ECS ignores ELB health checks during the grace period.
  const grace = task.runningAt + (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
  return Math.max(Math.min(...verdicts), grace);
}

/** When a task counts as healthy for its deployment (RUNNING and healthy in every target group). */
export function healthyAt(ctx: SimContext, task: TaskResource): number | undefined {
  if (task.startFailure) return undefined;
  if (task.appHealth !== 'healthy' && task.targets.length > 0) return undefined;
  if (task.appHealth === 'exits') return undefined;
  if (task.targets.some((target) => !reachable(ctx, task, target))) return undefined;
  const verdicts = task.targets.flatMap((target) => {
    const tg = findTargetGroup(ctx, target.targetGroupArn);
    return tg ? [healthCheckVerdictAt(tg, task.runningAt, true)] : [];
  });
  return Math.max(task.runningAt, ...verdicts);
}
