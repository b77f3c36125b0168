/**
 * Pure shapes of ECS requests shared by the cluster, service, job and one-off task modules. No SDK
 * client lives here, so a function that only runs tasks does not bundle the EC2, ELB or Auto
 * Scaling clients those modules create.
 */
import type { CapacityProviderStrategyItem, Tag as EcsTag, TaskOverride } from '@aws-sdk/client-ecs';
import type { EnvironmentSpec } from '../domain/spec';

export type Capacity = EnvironmentSpec['cluster']['capacity'];

/**
 * The name of a cluster's launch template, Auto Scaling group and capacity provider. Capacity
 * provider names may not start with `aws`, `ecs` or `fargate` (ClientException), hence the prefix;
 * the cluster name carries the environment key, so the name is unique in the account and Region.
 */
export function ec2CapacityName(clusterName: string): string {
  return `berth-${clusterName}`;
}

/** ECS takes tags as `[{key, value}]`. */
export function ecsTags(tags: Record<string, string>): EcsTag[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** The value of an ECS tag (`[{key, value}]`, lower case unlike EC2's), if the resource has it. */
export function ecsTagValue(tags: readonly EcsTag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.key === key)?.value;
}

/** Where a service's or a job's tasks run: the capacity's provider (the EC2 one named after the cluster). */
export function capacityProviderStrategy(
  capacity: Capacity,
  clusterName: string,
  capacityProviderName?: string,
): CapacityProviderStrategyItem[] {
  const provider = capacity === 'EC2' ? (capacityProviderName ?? ec2CapacityName(clusterName)) : capacity;
  return [{ capacityProvider: provider, weight: 1, base: 0 }];
}

/** What RunTask may override for one container: its command, and the task's size. */
export interface TaskOverrideRequest {
  containerName: string;
  command?: string[];
  /** Task-level size overrides (units and MiB, as strings like ECS answers them). */
  cpu?: string;
  memory?: string;
}

/** RunTask's `overrides` for a task (also the Scheduler target's Input, which ECS reads as overrides). */
export function taskOverrides(task: TaskOverrideRequest): TaskOverride {
  return {
    ...(task.command !== undefined
      ? { containerOverrides: [{ name: task.containerName, command: task.command }] }
      : {}),
    ...(task.cpu !== undefined ? { cpu: task.cpu } : {}),
    ...(task.memory !== undefined ? { memory: task.memory } : {}),
  };
}
