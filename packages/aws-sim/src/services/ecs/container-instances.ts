/**
 * Container instances: no ECS operation makes them, the Auto Scaling simulation registers and
 * deregisters its instances here (apart from the rest of ECS so that Auto Scaling depends on this
 * small module only, and ECS never on Auto Scaling's operations).
 *
 * ENI capacity (docs/aws-facts.md#subnet-addresses-and-eni-capacity): without trunking each `awsvpc`
 * task takes one of the instance's ENIs beyond its primary one (a t3.medium's 3 ENIs hold 2 tasks).
 * When `awsvpcTrunking` is on for the instance's role (or the account) at launch and ECS trunks the
 * type, ECS attaches a trunk ENI (one more address of the instance's subnet) and the instance takes
 * the type's branch-ENI task limit instead (an m5.large 10). Off with `PUT /_local/capacity`.
 */
import { AwsError, type SimContext } from '../../kernel';
import { capacitySettings } from '../capacity';
import { networkLimitsOf } from '../ec2/instance-types';
import type { Subnet } from '../ec2/model';
import { createNetworkInterface, releaseNetworkInterface } from '../ec2/network-interfaces';
import { effectiveSetting } from './account-settings';
import {
  arnPrefix,
  type ClusterResource,
  type ContainerInstanceResource,
  clusterArnOf,
  containerInstancesOf,
  type Placement,
  type TaskDefinitionResource,
  type TaskResource,
  tasksOf,
} from './model';

export interface ContainerInstanceRegistration {
  clusterName: string;
  ec2InstanceId: string;
  registeredAt: number;
  tags?: Record<string, string>;
  instanceType?: string;
  availabilityZone?: string;
  subnetId?: string;
  /** The role of the instance profile: the principal whose `awsvpcTrunking` setting counts. */
  principalArn?: string;
}

/** `awsvpc` tasks an instance of this type takes, with or without trunking; undefined: no limit known. */
function taskEniLimit(instanceType: string | undefined, trunking: boolean): number | undefined {
  const limits = instanceType === undefined ? undefined : networkLimitsOf(instanceType);
  if (!limits) return undefined;
  if (trunking && limits.trunkTaskLimit !== undefined) return limits.trunkTaskLimit;
  return limits.maxNetworkInterfaces - 1;
}

/**
 * The trunk ENI ECS creates in the subnet of the instance's primary ENI; none when that subnet has
 * no address left (the instance then keeps the limits of an untrunked one).
 */
function createTrunk(ctx: SimContext, subnetId: string, registration: ContainerInstanceRegistration) {
  try {
    return createNetworkInterface(ctx, {
      subnetId,
      description: `ENI trunk of ${registration.ec2InstanceId}`,
      interfaceType: 'trunk',
      requesterId: 'amazon-ecs',
    });
  } catch (error) {
    if (error instanceof AwsError && error.code === 'InsufficientFreeAddressesInSubnet') return undefined;
    throw error;
  }
}

/**
 * Registers an EC2 instance of an Auto Scaling group as a container instance of `clusterName` from
 * `registeredAt` on (when its ECS agent would have started). No-op when the cluster is not ACTIVE.
 */
export function registerContainerInstance(
  ctx: SimContext,
  registration: ContainerInstanceRegistration,
): void {
  const cluster = ctx.store.get<ClusterResource>('ecs-cluster', clusterArnOf(ctx, registration.clusterName));
  if (cluster?.status !== 'ACTIVE') return;
  const arn = `${arnPrefix(ctx)}:container-instance/${cluster.name}/${ctx.ids.hex(32)}`;
  const { instanceType, subnetId } = registration;
  const limits = instanceType === undefined ? undefined : networkLimitsOf(instanceType);
  const trunking =
    limits?.trunkTaskLimit !== undefined &&
    effectiveSetting(ctx, registration.principalArn, 'awsvpcTrunking') === 'enabled';
  const trunk = trunking && subnetId !== undefined ? createTrunk(ctx, subnetId, registration) : undefined;
  const limit = taskEniLimit(instanceType, trunk !== undefined);
  ctx.store.put<ContainerInstanceResource>({
    type: 'ecs-container-instance',
    id: arn,
    arn,
    clusterArn: cluster.arn,
    ec2InstanceId: registration.ec2InstanceId,
    registeredAt: registration.registeredAt,
    tags: registration.tags ?? {},
    createdAt: ctx.clock.now(),
    ...(instanceType !== undefined ? { instanceType } : {}),
    ...(registration.availabilityZone !== undefined
      ? { availabilityZone: registration.availabilityZone }
      : {}),
    ...(subnetId !== undefined ? { subnetId } : {}),
    ...(limit !== undefined ? { taskEniLimit: limit } : {}),
    ...(trunk ? { trunkNetworkInterfaceId: trunk.id } : {}),
  });
}

/** The instance is terminating: its container instance (and its trunk ENI) is gone at `at`. */
export function deregisterContainerInstance(ctx: SimContext, ec2InstanceId: string, at: number): void {
  for (const instance of ctx.store.list<ContainerInstanceResource>('ecs-container-instance')) {
    if (instance.ec2InstanceId !== ec2InstanceId) continue;
    instance.goneAt = at;
    if (instance.trunkNetworkInterfaceId) {
      releaseNetworkInterface(
        ctx,
        instance.trunkNetworkInterfaceId,
        Math.max(0, (at - ctx.clock.now()) / 1000),
      );
    }
  }
}

/** `awsvpc` tasks holding an ENI on the instance at `at` (an ENI is attached until its task stops). */
function awsvpcTasksOn(tasks: TaskResource[], instance: ContainerInstanceResource, at: number): number {
  return tasks.filter(
    (task) =>
      task.containerInstanceArn === instance.arn &&
      task.networkInterfaceId !== undefined &&
      (task.stoppedAt === undefined || task.stoppedAt > at),
  ).length;
}

export type InstanceChoice =
  /** Fargate places the task itself. */
  | { kind: 'fargate' }
  | { kind: 'placed'; instance: ContainerInstanceResource }
  /** No registered instance (in a zone of the task's subnets, for `awsvpc`). */
  | { kind: 'no-instance' }
  /** Every candidate has all its ENI attachment points in use: ECS's `RESOURCE:ENI`. */
  | { kind: 'no-eni'; closest: ContainerInstanceResource };

/**
 * The container instance a task goes on at `at`: for `awsvpc`, one in a zone of the task's subnets
 * with an ENI attachment point free; the least loaded first (then the oldest), as a spread.
 */
export function chooseContainerInstance(
  ctx: SimContext,
  cluster: ClusterResource,
  task: { placement: Placement; definition: TaskDefinitionResource },
  at: number,
): InstanceChoice {
  if (task.placement.fargate) return { kind: 'fargate' };
  const awsvpc = task.definition.networkMode === 'awsvpc';
  const zones = new Set(
    task.placement.subnets.flatMap((id) => ctx.store.get<Subnet>('subnet', id)?.availabilityZone ?? []),
  );
  const candidates = containerInstancesOf(ctx, cluster.arn, at).filter(
    (instance) =>
      !awsvpc ||
      zones.size === 0 ||
      instance.availabilityZone === undefined ||
      zones.has(instance.availabilityZone),
  );
  if (candidates.length === 0) return { kind: 'no-instance' };
  const tasks = tasksOf(ctx, cluster.arn);
  const enforce = awsvpc && capacitySettings(ctx).instanceEnis;
  const ranked = candidates
    .map((instance) => {
      const used = awsvpcTasksOn(tasks, instance, at);
      const limit = enforce ? instance.taskEniLimit : undefined;
      return { instance, used, free: limit === undefined ? Number.POSITIVE_INFINITY : limit - used };
    })
    .sort((a, b) => a.used - b.used || a.instance.registeredAt - b.instance.registeredAt);
  const placed = ranked.find((candidate) => candidate.free > 0);
  if (placed) return { kind: 'placed', instance: placed.instance };
  const closest = ranked[0]?.instance;
  return closest ? { kind: 'no-eni', closest } : { kind: 'no-instance' };
}
