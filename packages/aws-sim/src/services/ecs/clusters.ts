/**
 * Clusters: CreateCluster, DescribeClusters, ListClusters, DeleteCluster, UpdateClusterSettings and
 * PutClusterCapacityProviders. DeleteCluster checks services, container instances, tasks and attached
 * capacity providers in AWS's order; ListClusters keeps a deleted cluster while Describe answers it.
 */
import type { OperationInput, SimContext } from '../../kernel';
import { paginate } from '../operation-input';
import { findCapacityProvider } from './capacity-providers';
import {
  type ClusterResource,
  clientException,
  clusterArnOf,
  containerInstancesOf,
  error,
  includes,
  invalidParameter,
  isFargateProvider,
  RETENTION_SECONDS,
  reader,
  readStrategy,
  readTags,
  type StrategyItem,
  servicesOf,
  tagsOut,
  tasksOf,
} from './model';
import { reconcileCluster, requireCluster } from './scheduler';
import { taskStatus } from './task-lifecycle';

function clusterOutput(ctx: SimContext, cluster: ClusterResource, withTags: boolean) {
  const live = cluster.status === 'ACTIVE';
  const tasks = live ? tasksOf(ctx, cluster.arn) : [];
  const statuses = tasks.map((task) => taskStatus(ctx, task));
  return {
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    status: cluster.status,
    registeredContainerInstancesCount: live ? containerInstancesOf(ctx, cluster.arn).length : 0,
    runningTasksCount: statuses.filter((status) => status === 'RUNNING').length,
    pendingTasksCount: statuses.filter((status) => status === 'PROVISIONING' || status === 'PENDING').length,
    activeServicesCount: live
      ? servicesOf(ctx, cluster.arn).filter((service) => service.status === 'ACTIVE').length
      : 0,
    statistics: [],
    ...(withTags ? { tags: tagsOut(cluster.tags) } : {}),
    settings: cluster.settings,
    capacityProviders: cluster.capacityProviders,
    defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy,
  };
}

/** Capacity providers named in a cluster association: FARGATE, FARGATE_SPOT or an ACTIVE custom one. */
function requireCapacityProviderNames(ctx: SimContext, names: string[], clusterArn: string): void {
  for (const name of names) {
    if (isFargateProvider(name)) continue;
    const provider = findCapacityProvider(ctx, name);
    if (!provider) throw invalidParameter(`The specified capacity provider '${name}' does not exist.`);
    const elsewhere = ctx.store
      .list<ClusterResource>('ecs-cluster')
      .find(
        (other) =>
          other.arn !== clusterArn && other.status === 'ACTIVE' && other.capacityProviders.includes(name),
      );
    if (elsewhere) {
      throw invalidParameter(
        `The specified capacity provider '${name}' is already associated with another cluster.`,
      );
    }
  }
}

function validateDefaultStrategy(strategy: StrategyItem[], providers: string[]): void {
  for (const item of strategy) {
    if (!providers.includes(item.capacityProvider)) {
      throw invalidParameter(
        'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
      );
    }
  }
}

/** Cluster settings as CreateCluster and UpdateClusterSettings take them: only `containerInsights`. */
function readSettings(r: ReturnType<typeof reader>): { name: string; value: string }[] {
  const settings = r.objects('settings').map((setting) => ({
    name: setting.requiredString('name'),
    value: setting.requiredString('value'),
  }));
  for (const setting of settings) {
    if (
      setting.name !== 'containerInsights' ||
      !['enabled', 'disabled', 'enhanced'].includes(setting.value)
    ) {
      throw invalidParameter(`The cluster setting ${setting.name}=${setting.value} is not valid.`);
    }
  }
  return settings;
}

export function createCluster(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.string('clusterName') ?? 'default';
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    throw invalidParameter(
      'Cluster name can only contain letters, numbers, hyphens and underscores (up to 255).',
    );
  }
  const arn = clusterArnOf(ctx, name);
  const existing = ctx.store.get<ClusterResource>('ecs-cluster', arn);
  // CreateCluster of an existing ACTIVE cluster answers that cluster.
  if (existing && existing.status === 'ACTIVE') return { cluster: clusterOutput(ctx, existing, true) };
  const capacityProviders = r.strings('capacityProviders');
  requireCapacityProviderNames(ctx, capacityProviders, arn);
  const defaultCapacityProviderStrategy = readStrategy(r, 'defaultCapacityProviderStrategy');
  validateDefaultStrategy(defaultCapacityProviderStrategy, capacityProviders);
  const settings = readSettings(r);
  const cluster = ctx.store.put<ClusterResource>({
    type: 'ecs-cluster',
    id: arn,
    arn,
    name,
    status: 'ACTIVE',
    settings: settings.length > 0 ? settings : [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders,
    defaultCapacityProviderStrategy,
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { cluster: clusterOutput(ctx, cluster, true) };
}

/**
 * UpdateClusterSettings: replaces the named settings of an ACTIVE cluster (ClusterNotFoundException
 * otherwise); `settings` is required and each must be a valid containerInsights value.
 */
export function updateClusterSettings(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.requiredString('cluster'));
  if (!r.has('settings')) throw invalidParameter('settings can not be null or empty.');
  const settings = readSettings(r);
  if (settings.length === 0) throw invalidParameter('settings can not be null or empty.');
  const names = new Set(settings.map((setting) => setting.name));
  cluster.settings = [...cluster.settings.filter((setting) => !names.has(setting.name)), ...settings];
  return { cluster: clusterOutput(ctx, cluster, false) };
}

export function describeClusters(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const asked = r.strings('clusters');
  const names = asked.length > 0 ? asked : ['default'];
  const clusters: ReturnType<typeof clusterOutput>[] = [];
  const failures: Array<{ arn: string; reason: string }> = [];
  for (const name of names) {
    const arn = clusterArnOf(ctx, name);
    const cluster = ctx.store.get<ClusterResource>('ecs-cluster', arn);
    if (!cluster) {
      failures.push({ arn, reason: 'MISSING' });
      continue;
    }
    if (cluster.status === 'ACTIVE') reconcileCluster(ctx, cluster);
    clusters.push(clusterOutput(ctx, cluster, includes(r, 'TAGS')));
  }
  return { clusters, failures };
}

/**
 * Cluster ARNs in creation order. Like AWS, a deleted (INACTIVE) cluster stays listed while
 * DescribeClusters still answers it (the retention period), so callers check `status`.
 */
export function listClusters(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const maxResults = r.number('maxResults');
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 100)) {
    throw invalidParameter('maxResults must be between 1 and 100.');
  }
  const arns = ctx.store.list<ClusterResource>('ecs-cluster').map((cluster) => cluster.arn);
  const { page, nextToken } = paginate(arns, r.string('nextToken'), maxResults, invalidParameter, 100);
  return { clusterArns: page, ...(nextToken ? { nextToken } : {}) };
}

export function deleteCluster(input: OperationInput, ctx: SimContext) {
  const cluster = requireCluster(ctx, reader(input).requiredString('cluster'));
  if (servicesOf(ctx, cluster.arn).some((service) => service.status !== 'INACTIVE')) {
    throw error(
      'ClusterContainsServicesException',
      'The Cluster cannot be deleted while Services are active.',
    );
  }
  if (containerInstancesOf(ctx, cluster.arn).length > 0) {
    throw error(
      'ClusterContainsContainerInstancesException',
      'The Cluster cannot be deleted while Container Instances are active or draining.',
    );
  }
  if (tasksOf(ctx, cluster.arn).some((task) => taskStatus(ctx, task) !== 'STOPPED')) {
    throw error('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
  }
  if (cluster.capacityProviders.some((name) => !isFargateProvider(name))) {
    throw clientException(
      'The Cluster cannot be deleted while Cluster Scoped Capacity Providers are attached to the cluster.',
    );
  }
  cluster.status = 'INACTIVE';
  cluster.capacityProviders = [];
  cluster.defaultCapacityProviderStrategy = [];
  cluster.endedAt = ctx.clock.now();
  cluster.goneAt = ctx.clock.deadline(RETENTION_SECONDS);
  return { cluster: clusterOutput(ctx, cluster, false) };
}

export function putClusterCapacityProviders(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.requiredString('cluster'));
  const providers = r.strings('capacityProviders');
  const strategy = readStrategy(r, 'defaultCapacityProviderStrategy');
  requireCapacityProviderNames(ctx, providers, cluster.arn);
  validateDefaultStrategy(strategy, providers);
  const removed = cluster.capacityProviders.filter((name) => !providers.includes(name));
  const inUse = servicesOf(ctx, cluster.arn).some(
    (service) =>
      service.status !== 'INACTIVE' &&
      service.placement.capacityProviderStrategy.some((item) => removed.includes(item.capacityProvider)),
  );
  if (inUse)
    throw error('ResourceInUseException', 'The specified capacity provider is in use and cannot be removed.');
  cluster.capacityProviders = providers;
  cluster.defaultCapacityProviderStrategy = strategy;
  return { cluster: clusterOutput(ctx, cluster, false) };
}
