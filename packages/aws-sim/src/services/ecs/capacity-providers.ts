/**
 * Capacity providers: FARGATE and FARGATE_SPOT are built in; custom ones name an Auto Scaling group
 * (read through `../autoscaling-model`). DeleteCapacityProvider of one still attached to a cluster
 * answers DELETE_FAILED instead of throwing, as AWS does.
 */
import type { OperationInput, SimContext } from '../../kernel';
import type { AutoScalingGroupResource } from '../autoscaling-model';
import { paginate } from '../operation-input';
import {
  arnPrefix,
  type CapacityProviderResource,
  type ClusterResource,
  clientException,
  includes,
  invalidParameter,
  reader,
  readTags,
  tagsOut,
} from './model';

function fargateProviderOutput(ctx: SimContext, name: string) {
  return {
    capacityProviderArn: `${arnPrefix(ctx)}:capacity-provider/${name}`,
    name,
    status: 'ACTIVE',
    tags: [],
  };
}

export function findCapacityProvider(
  ctx: SimContext,
  nameOrArn: string,
): CapacityProviderResource | undefined {
  return ctx.store
    .list<CapacityProviderResource>('ecs-capacity-provider')
    .find((provider) => provider.name === nameOrArn || provider.arn === nameOrArn);
}

function capacityProviderOutput(provider: CapacityProviderResource, withTags: boolean, status = 'ACTIVE') {
  return {
    capacityProviderArn: provider.arn,
    name: provider.name,
    status,
    autoScalingGroupProvider: provider.autoScalingGroupProvider,
    ...(provider.updateStatus ? { updateStatus: provider.updateStatus } : {}),
    ...(provider.updateStatusReason ? { updateStatusReason: provider.updateStatusReason } : {}),
    ...(withTags ? { tags: tagsOut(provider.tags) } : {}),
  };
}

export function createCapacityProvider(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('name');
  if (/^(aws|ecs|fargate)/i.test(name) || !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    throw clientException(
      "The specified capacity provider name is invalid. Up to 255 letters, numbers, hyphens and underscores; it cannot begin with 'aws', 'ecs' or 'fargate'.",
    );
  }
  if (findCapacityProvider(ctx, name)) {
    throw clientException(
      'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.',
    );
  }
  const provider = r.requiredObject('autoScalingGroupProvider');
  const groupArn = provider.requiredString('autoScalingGroupArn');
  const group = ctx.store
    .list<AutoScalingGroupResource>('autoscaling-group')
    .find((candidate) => candidate.arn === groupArn || candidate.name === groupArn);
  if (!group) throw clientException(`The specified Auto Scaling group ARN '${groupArn}' is not valid.`);
  if (findCapacityProviderOfGroup(ctx, group.arn)) {
    throw clientException(
      'The specified Auto Scaling group ARN is already being used by another capacity provider. Specify a unique Auto Scaling group ARN and try again.',
    );
  }
  const scaling = provider.object('managedScaling');
  const managedScaling = {
    status: scaling?.string('status') ?? 'DISABLED',
    targetCapacity: scaling?.number('targetCapacity') ?? 100,
    minimumScalingStepSize: scaling?.number('minimumScalingStepSize') ?? 1,
    maximumScalingStepSize: scaling?.number('maximumScalingStepSize') ?? 10000,
    instanceWarmupPeriod: scaling?.number('instanceWarmupPeriod') ?? 300,
  };
  const managedTerminationProtection = provider.string('managedTerminationProtection') ?? 'DISABLED';
  if (managedTerminationProtection === 'ENABLED') {
    if (managedScaling.status !== 'ENABLED') {
      throw clientException(
        'The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must be enabled.',
      );
    }
    if (!group.newInstancesProtectedFromScaleIn) {
      throw clientException(
        'The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, the Auto Scaling group must have instance protection from scale in enabled.',
      );
    }
  }
  const arn = `${arnPrefix(ctx)}:capacity-provider/${name}`;
  const created = ctx.store.put<CapacityProviderResource>({
    type: 'ecs-capacity-provider',
    id: arn,
    arn,
    name,
    autoScalingGroupProvider: {
      autoScalingGroupArn: group.arn,
      managedScaling,
      managedTerminationProtection,
      managedDraining: provider.string('managedDraining') ?? 'ENABLED',
    },
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { capacityProvider: capacityProviderOutput(created, true) };
}

export function findCapacityProviderOfGroup(ctx: SimContext, groupArn: string): string | undefined {
  return ctx.store
    .list<CapacityProviderResource>('ecs-capacity-provider')
    .find((provider) => provider.autoScalingGroupProvider.autoScalingGroupArn === groupArn)?.name;
}

export function describeCapacityProviders(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const asked = r.strings('capacityProviders');
  const withTags = includes(r, 'TAGS');
  const all = [
    fargateProviderOutput(ctx, 'FARGATE'),
    fargateProviderOutput(ctx, 'FARGATE_SPOT'),
    ...ctx.store
      .list<CapacityProviderResource>('ecs-capacity-provider')
      .map((p) => capacityProviderOutput(p, withTags)),
  ];
  if (asked.length === 0) {
    const { page, nextToken } = paginate(
      all,
      r.string('nextToken'),
      r.number('maxResults'),
      invalidParameter,
      10,
    );
    return { capacityProviders: page, failures: [], ...(nextToken ? { nextToken } : {}) };
  }
  const found = asked.map((name) => all.find((p) => p.name === name || p.capacityProviderArn === name));
  return {
    capacityProviders: found.filter((p) => p !== undefined),
    failures: asked.filter((_, index) => !found[index]).map((arn) => ({ arn, reason: 'MISSING' })),
  };
}

export function deleteCapacityProvider(input: OperationInput, ctx: SimContext) {
  const nameOrArn = reader(input).requiredString('capacityProvider');
  const provider = findCapacityProvider(ctx, nameOrArn);
  if (!provider) throw clientException('The specified capacity provider does not exist.');
  const cluster = ctx.store
    .list<ClusterResource>('ecs-cluster')
    .find(
      (candidate) => candidate.status === 'ACTIVE' && candidate.capacityProviders.includes(provider.name),
    );
  if (cluster) {
    // AWS accepts the call but fails the deletion (terraform-provider-aws #48156).
    provider.updateStatus = 'DELETE_FAILED';
    provider.updateStatusReason = `The capacity provider cannot be deleted because it is associated with cluster: ${cluster.name}. Remove the capacity provider from the cluster and try again.`;
    return { capacityProvider: capacityProviderOutput(provider, false) };
  }
  ctx.store.delete('ecs-capacity-provider', provider.id);
  provider.updateStatus = 'DELETE_IN_PROGRESS';
  delete provider.updateStatusReason;
  return { capacityProvider: capacityProviderOutput(provider, false, 'INACTIVE') };
}
