/**
 * Simulated Amazon ECS (awsJson 1.1, target prefix `AmazonEC2ContainerServiceV20141113`): clusters,
 * capacity providers, task definitions, services, tasks and tags — what berth provisions, updates
 * and tears down.
 *
 * The scheduler is simulated lazily: every ECS call first *reconciles* the cluster, replaying in
 * time order what happened since the last call (tasks reaching RUNNING, targets passing or failing
 * their health checks, tasks exiting, deployments finishing) — no timers.
 *
 * Behaviour kept from AWS:
 * - A task is PROVISIONING → PENDING → RUNNING after the latency model's `taskRunning`; awsvpc tasks
 *   get an ENI in one of the service's subnets (round robin). Service tasks register their IP and
 *   container port in the service's target groups when they reach RUNNING.
 * - A deployment is COMPLETED (and the service steady: one deployment, runningCount = desiredCount)
 *   only when all its tasks are healthy in their target groups (interval × healthy threshold after
 *   RUNNING) and the older deployments' tasks have drained (the target group's deregistration delay)
 *   and stopped (`taskStopped`).
 * - Simulated apps: an image whose name contains `unhealthy` answers the ELB health check with 500, so
 *   its tasks turn unhealthy (interval × unhealthy threshold, not before the health-check grace
 *   period) and ECS replaces them; an image containing `fail` exits with code 1 shortly after start
 *   (service tasks after 10 s, standalone tasks when they finish). Standalone tasks (RunTask) run for
 *   60 s and stop with exit code 0 otherwise.
 * - Deployment circuit breaker: failed tasks count against the deployment; at the threshold
 *   (0.5 × desired count, at least 3, at most 200) the deployment is FAILED ("tasks failed to
 *   start") and, with `rollback`, a new deployment of the last completed task definition starts.
 * - DeleteService needs `force` or desiredCount 0; the service is DRAINING until its tasks have
 *   stopped, then INACTIVE (still answered by DescribeServices for an hour, as AWS does).
 * - DeleteCluster answers `ClusterContainsServicesException`, `ClusterContainsContainerInstancesException`
 *   (instances registered by the Auto Scaling simulation), `ClusterContainsTasksException`, or the
 *   ClientException for attached cluster-scoped capacity providers.
 * - ListClusters keeps listing a deleted (INACTIVE) cluster while DescribeClusters answers it.
 * - DeleteTaskDefinitions moves INACTIVE revisions to DELETE_IN_PROGRESS and reports ACTIVE, unknown
 *   and revision-less ones as `failures`. The records stay (AWS purges one once no task or deployment
 *   uses it; not simulated), so revision numbers keep counting.
 * - DeleteCapacityProvider of a provider still associated with a cluster does not throw: like AWS it
 *   answers the provider with `updateStatus: DELETE_FAILED` and the reason.
 * - Throttling is `ThrottlingException` / 400 with the buckets of AWS-FACTS.md.
 *
 * Not simulated: daemon services, service connect, service discovery registries, task sets and
 * external deployment controllers, container instance APIs, exec, task protection, resource
 * accounting on container instances (any registered instance takes any task).
 *
 * Store types: `ecs-cluster`, `ecs-capacity-provider`, `ecs-task-definition`, `ecs-service`,
 * `ecs-task`, `ecs-container-instance` (ids are their ARNs).
 */
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { drawSeconds } from '../latency';
import type { AutoScalingGroupResource } from './autoscaling';
import type { SecurityGroup, Subnet } from './ec2/model';
import { createNetworkInterface, releaseNetworkInterface } from './ec2/network-interfaces';
import {
  deregisterTarget,
  findTargetGroup,
  healthCheckVerdictAt,
  loadBalancersOf,
  registerTarget,
} from './elbv2';
import { epochSeconds, InputReader, type InvalidInput, paginate } from './operation-input';

// ---------------------------------------------------------------------------------------------
// Constants of the simulated scheduler (AWS seconds)

/** How long a standalone task's container works before it exits. */
const STANDALONE_TASK_RUN_SECONDS = 60;
/** How long a service task with a `fail` image runs before its essential container exits. */
const FAILING_CONTAINER_RUN_SECONDS = 10;
/** INACTIVE clusters/services and STOPPED tasks stay visible to Describe* for about an hour. */
const RETENTION_SECONDS = 3600;
/** A bound on the events replayed in one reconciliation (a crash-looping service makes many). */
const MAX_RECONCILE_STEPS = 500;

// ---------------------------------------------------------------------------------------------
// Resources

type KeyValue = { name: string; value: string };
type StrategyItem = { capacityProvider: string; weight: number; base: number };

export interface ClusterResource extends SimResource {
  type: 'ecs-cluster';
  arn: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  settings: KeyValue[];
  capacityProviders: string[];
  defaultCapacityProviderStrategy: StrategyItem[];
}

export interface ContainerInstanceResource extends SimResource {
  type: 'ecs-container-instance';
  arn: string;
  clusterArn: string;
  ec2InstanceId: string;
  /** The agent registers once the instance has booted. */
  registeredAt: number;
}

interface CapacityProviderResource extends SimResource {
  type: 'ecs-capacity-provider';
  arn: string;
  name: string;
  autoScalingGroupProvider: {
    autoScalingGroupArn: string;
    managedScaling: Record<string, unknown>;
    managedTerminationProtection: string;
    managedDraining: string;
  };
  updateStatus?: string;
  updateStatusReason?: string;
}

interface TaskDefinitionResource extends SimResource {
  type: 'ecs-task-definition';
  arn: string;
  family: string;
  revision: number;
  /** DELETE_IN_PROGRESS is final here: the record stays, so Describe answers it and revisions keep counting. */
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  deleteRequestedAt?: number;
  /** The task definition as DescribeTaskDefinition answers it, minus the status fields. */
  body: Record<string, unknown>;
  networkMode: string;
  containers: Array<{ name: string; image: string; essential: boolean; ports: number[] }>;
  fargateCompatible: boolean;
}

interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  /** When all of its tasks were healthy (older deployments are stopped from then on). */
  healthyAt?: number;
}

/** Where and how a service's (or RunTask's) tasks run. */
interface Placement {
  launchType?: string;
  capacityProviderStrategy: StrategyItem[];
  /** True for FARGATE / FARGATE_SPOT; false when tasks need container instances. */
  fargate: boolean;
  networkConfiguration?: Record<string, unknown>;
  subnets: string[];
  securityGroups: string[];
}

interface ServiceLoadBalancer {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
}

interface EcsServiceResource extends SimResource {
  type: 'ecs-service';
  arn: string;
  name: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  placement: Placement;
  loadBalancers: ServiceLoadBalancer[];
  deploymentConfiguration: Record<string, unknown>;
  placementConstraints: unknown[];
  placementStrategy: unknown[];
  healthCheckGracePeriodSeconds?: number;
  propagateTags: string;
  enableECSManagedTags: boolean;
  enableExecuteCommand: boolean;
  platformVersion?: string;
  clientToken?: string;
  /** The CreateService input without its client token: what "the same request" means. */
  fingerprint: string;
  deployments: Deployment[];
  events: Array<{ id: string; createdAt: number; message: string }>;
  lastCompletedTaskDefinition?: string;
  /** Simulated time up to which the scheduler has been replayed. */
  reconciledAt: number;
  launchedTasks: number;
  deletedAt?: number;
}

interface TaskResource extends SimResource {
  type: 'ecs-task';
  arn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  group: string;
  startedBy?: string;
  serviceArn?: string;
  deploymentId?: string;
  launchType?: string;
  capacityProviderName?: string;
  cpu?: string;
  memory?: string;
  containers: Array<{ name: string; image: string; arn: string }>;
  networkInterfaceId?: string;
  attachmentId: string;
  privateIp?: string;
  subnetId?: string;
  availabilityZone: string;
  /** The simulated app: `healthy`, `unhealthy` (fails ELB checks) or `exits` (image contains `fail`). */
  appHealth: 'healthy' | 'unhealthy' | 'exits';
  runningAt: number;
  /** When the essential container exits on its own (standalone tasks, failing images). */
  exitAt?: number;
  exitCode?: number;
  targets: Array<{ targetGroupArn: string; port: number }>;
  stoppingAt?: number;
  drainedAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  clientToken?: string;
  fingerprint?: string;
  version: number;
}

// ---------------------------------------------------------------------------------------------
// Errors, input and small helpers

const error = (code: string, message: string) => new AwsError(code, message, 400);
const invalidParameter: InvalidInput = (message) => error('InvalidParameterException', message);
const clientException = (message: string) => error('ClientException', message);
const reader = (input: OperationInput) => new InputReader(input, invalidParameter);

const clusterNotFound = () => error('ClusterNotFoundException', 'Cluster not found.');
const serviceNotFound = () => error('ServiceNotFoundException', 'Service not found.');
const serviceNotActive = () => error('ServiceNotActiveException', 'Service was not ACTIVE.');
const taskDefinitionNotFound = () => clientException('Unable to describe task definition.');

const arnPrefix = (ctx: SimContext) => `arn:aws:ecs:${ctx.region}:${ctx.accountId}`;
const lastSegment = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
const seconds = (millis: number | undefined) => (millis === undefined ? undefined : epochSeconds(millis));

function readTags(r: InputReader): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of r.objects('tags')) tags[tag.requiredString('key')] = tag.string('value') ?? '';
  if (Object.keys(tags).length > 50) throw invalidParameter('The number of tags exceeds the limit of 50.');
  return tags;
}

const tagsOut = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

function readStrategy(r: InputReader, key: string): StrategyItem[] {
  return r.objects(key).map((item) => ({
    capacityProvider: item.requiredString('capacityProvider'),
    weight: item.number('weight') ?? 0,
    base: item.number('base') ?? 0,
  }));
}

/** A JSON-safe copy of an input member, for echoing structures AWS answers as given. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function includes(r: InputReader, what: string): boolean {
  return r.strings('include').includes(what);
}

const isFargateProvider = (name: string) => name === 'FARGATE' || name === 'FARGATE_SPOT';

// ---------------------------------------------------------------------------------------------
// Clusters

function clusterArnOf(ctx: SimContext, nameOrArn: string | undefined): string {
  const value = nameOrArn ?? 'default';
  return value.startsWith('arn:') ? value : `${arnPrefix(ctx)}:cluster/${value}`;
}

/** An ACTIVE cluster, reconciled up to now. */
function requireCluster(ctx: SimContext, nameOrArn: string | undefined): ClusterResource {
  const cluster = ctx.store.get<ClusterResource>('ecs-cluster', clusterArnOf(ctx, nameOrArn));
  if (cluster?.status !== 'ACTIVE') throw clusterNotFound();
  reconcileCluster(ctx, cluster);
  return cluster;
}

function containerInstancesOf(
  ctx: SimContext,
  clusterArn: string,
  at = ctx.clock.now(),
): ContainerInstanceResource[] {
  return ctx.store
    .list<ContainerInstanceResource>('ecs-container-instance')
    .filter((instance) => instance.clusterArn === clusterArn && instance.registeredAt <= at);
}

function tasksOf(ctx: SimContext, clusterArn: string): TaskResource[] {
  return ctx.store.list<TaskResource>('ecs-task').filter((task) => task.clusterArn === clusterArn);
}

function servicesOf(ctx: SimContext, clusterArn: string): EcsServiceResource[] {
  return ctx.store
    .list<EcsServiceResource>('ecs-service')
    .filter((service) => service.clusterArn === clusterArn);
}

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

function createCluster(input: OperationInput, ctx: SimContext) {
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

function describeClusters(input: OperationInput, ctx: SimContext) {
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
function listClusters(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const maxResults = r.number('maxResults');
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 100)) {
    throw invalidParameter('maxResults must be between 1 and 100.');
  }
  const arns = ctx.store.list<ClusterResource>('ecs-cluster').map((cluster) => cluster.arn);
  const { page, nextToken } = paginate(arns, r.string('nextToken'), maxResults, invalidParameter, 100);
  return { clusterArns: page, ...(nextToken ? { nextToken } : {}) };
}

function deleteCluster(input: OperationInput, ctx: SimContext) {
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

function putClusterCapacityProviders(input: OperationInput, ctx: SimContext) {
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

// ---------------------------------------------------------------------------------------------
// Container instances (registered by the Auto Scaling simulation)

/**
 * Registers an EC2 instance of an Auto Scaling group as a container instance of `clusterName` from
 * `registeredAt` on (when its ECS agent would have started). No-op when the cluster is not ACTIVE.
 */
export function registerContainerInstance(
  ctx: SimContext,
  registration: {
    clusterName: string;
    ec2InstanceId: string;
    registeredAt: number;
    tags?: Record<string, string>;
  },
): void {
  const cluster = ctx.store.get<ClusterResource>('ecs-cluster', clusterArnOf(ctx, registration.clusterName));
  if (cluster?.status !== 'ACTIVE') return;
  const arn = `${arnPrefix(ctx)}:container-instance/${cluster.name}/${ctx.ids.hex(32)}`;
  ctx.store.put<ContainerInstanceResource>({
    type: 'ecs-container-instance',
    id: arn,
    arn,
    clusterArn: cluster.arn,
    ec2InstanceId: registration.ec2InstanceId,
    registeredAt: registration.registeredAt,
    tags: registration.tags ?? {},
    createdAt: ctx.clock.now(),
  });
}

/** The instance is terminating: its container instance is gone at `at`. */
export function deregisterContainerInstance(ctx: SimContext, ec2InstanceId: string, at: number): void {
  for (const instance of ctx.store.list<ContainerInstanceResource>('ecs-container-instance')) {
    if (instance.ec2InstanceId === ec2InstanceId) instance.goneAt = at;
  }
}

// ---------------------------------------------------------------------------------------------
// Capacity providers

function fargateProviderOutput(ctx: SimContext, name: string) {
  return {
    capacityProviderArn: `${arnPrefix(ctx)}:capacity-provider/${name}`,
    name,
    status: 'ACTIVE',
    tags: [],
  };
}

function findCapacityProvider(ctx: SimContext, nameOrArn: string): CapacityProviderResource | undefined {
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

function createCapacityProvider(input: OperationInput, ctx: SimContext) {
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

function describeCapacityProviders(input: OperationInput, ctx: SimContext) {
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

function deleteCapacityProvider(input: OperationInput, ctx: SimContext) {
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

// ---------------------------------------------------------------------------------------------
// Task definitions

/** Valid Fargate task sizes: CPU units → allowed memory (MiB), from "Task CPU and memory". */
const FARGATE_SIZES: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': steps(1024, 4096, 1024),
  '1024': steps(2048, 8192, 1024),
  '2048': steps(4096, 16384, 1024),
  '4096': steps(8192, 30720, 1024),
  '8192': steps(16384, 61440, 4096),
  '16384': steps(32768, 122880, 8192),
};

function steps(from: number, to: number, by: number): number[] {
  return Array.from({ length: (to - from) / by + 1 }, (_, index) => from + index * by);
}

/** Task-level cpu/memory as AWS stores them: units and MiB as text (`"1 vCPU"` → `"1024"`, `"2 GB"` → `"2048"`). */
function normaliseSize(value: string | undefined, unit: 'vcpu' | 'gb'): string | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*([\d.]+)\s*(vcpu|gb)?\s*$/i.exec(value);
  if (!match?.[1])
    throw clientException(`Invalid ${unit === 'vcpu' ? "'cpu'" : "'memory'"} setting for task.`);
  const amount = Number(match[1]);
  return match[2] && match[2].toLowerCase() === unit ? String(Math.round(amount * 1024)) : String(amount);
}

function resolveTaskDefinition(ctx: SimContext, reference: string): TaskDefinitionResource | undefined {
  const all = ctx.store.list<TaskDefinitionResource>('ecs-task-definition');
  if (reference.startsWith('arn:')) return all.find((definition) => definition.arn === reference);
  const [family, revision] = reference.split(':');
  if (revision !== undefined) {
    return all.find((definition) => definition.family === family && definition.revision === Number(revision));
  }
  return all
    .filter((definition) => definition.family === family && definition.status === 'ACTIVE')
    .sort((a, b) => b.revision - a.revision)[0];
}

function taskDefinitionOutput(definition: TaskDefinitionResource) {
  return {
    ...definition.body,
    taskDefinitionArn: definition.arn,
    revision: definition.revision,
    status: definition.status,
    ...(definition.deleteRequestedAt !== undefined
      ? { deleteRequestedAt: epochSeconds(definition.deleteRequestedAt) }
      : {}),
  };
}

function registerTaskDefinition(input: OperationInput, ctx: SimContext) {
  const r = new InputReader(input, clientException);
  const family = r.requiredString('family');
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
    throw clientException(
      'Family contains invalid characters (letters, numbers, hyphens and underscores only).',
    );
  }
  const containerReaders = r.objects('containerDefinitions');
  if (containerReaders.length === 0) throw clientException('Container list cannot be empty.');
  const requires = r.strings('requiresCompatibilities');
  const networkMode = r.string('networkMode') ?? 'bridge';
  const cpu = normaliseSize(r.string('cpu'), 'vcpu');
  const memory = normaliseSize(r.string('memory'), 'gb');
  const executionRoleArn = r.string('executionRoleArn');
  const containers = containerReaders.map((container) => {
    const name = container.string('name');
    const image = container.string('image');
    if (!name) throw clientException('Container.name should not be null or empty.');
    if (!image) throw clientException('Container.image should not be null or empty.');
    const logDriver = container.object('logConfiguration')?.string('logDriver');
    if (requires.includes('FARGATE') && logDriver === 'awslogs' && !executionRoleArn) {
      throw clientException(
        'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
      );
    }
    return {
      name,
      image,
      essential: container.boolean('essential') ?? true,
      ports: container.objects('portMappings').flatMap((mapping) => {
        const port = mapping.number('containerPort');
        return port === undefined ? [] : [port];
      }),
    };
  });
  if (new Set(containers.map((container) => container.name)).size !== containers.length) {
    throw clientException('Container names must be unique within a task definition.');
  }
  if (!containers.some((container) => container.essential)) {
    throw clientException('A task definition must have at least one essential container.');
  }
  const fargateSizeValid =
    cpu !== undefined && memory !== undefined && (FARGATE_SIZES[cpu] ?? []).includes(Number(memory));
  if (requires.includes('FARGATE')) {
    if (networkMode !== 'awsvpc') throw clientException("Fargate only supports network mode 'awsvpc'.");
    if (cpu === undefined) throw clientException("Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined)
      throw clientException("Fargate requires that 'memory' be defined at the task level.");
    if (!fargateSizeValid) {
      throw clientException(
        `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
      );
    }
  }
  const revision =
    ctx.store
      .list<TaskDefinitionResource>('ecs-task-definition')
      .filter((definition) => definition.family === family)
      .reduce((highest, definition) => Math.max(highest, definition.revision), 0) + 1;
  const arn = `${arnPrefix(ctx)}:task-definition/${family}:${revision}`;
  const { tags: _tags, ...echoed } = input;
  const fargateCompatible = networkMode === 'awsvpc' && fargateSizeValid;
  const now = ctx.clock.now();
  const definition = ctx.store.put<TaskDefinitionResource>({
    type: 'ecs-task-definition',
    id: arn,
    arn,
    family,
    revision,
    status: 'ACTIVE',
    networkMode,
    containers,
    fargateCompatible,
    body: {
      ...(plain(echoed) as Record<string, unknown>),
      containerDefinitions: containerReaders.map((container) => ({
        ...(plain(container.input) as Record<string, unknown>),
        essential: container.boolean('essential') ?? true,
        portMappings: container.objects('portMappings').map((mapping) => ({
          ...(plain(mapping.input) as Record<string, unknown>),
          hostPort:
            mapping.number('hostPort') ?? (networkMode === 'awsvpc' ? mapping.number('containerPort') : 0),
          protocol: mapping.string('protocol') ?? 'tcp',
        })),
      })),
      networkMode,
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
      volumes: plain(input.volumes) ?? [],
      placementConstraints: plain(input.placementConstraints) ?? [],
      requiresCompatibilities: requires,
      compatibilities: fargateCompatible ? ['EC2', 'FARGATE'] : ['EC2'],
      requiresAttributes: [],
      registeredAt: epochSeconds(now),
      registeredBy: `arn:aws:iam::${ctx.accountId}:root`,
    },
    tags: readTags(r),
    createdAt: now,
  });
  return { taskDefinition: taskDefinitionOutput(definition), tags: tagsOut(definition.tags) };
}

function describeTaskDefinition(input: OperationInput, ctx: SimContext) {
  const r = new InputReader(input, clientException);
  const definition = resolveTaskDefinition(ctx, r.requiredString('taskDefinition'));
  if (!definition) throw taskDefinitionNotFound();
  return {
    taskDefinition: taskDefinitionOutput(definition),
    ...(includes(r, 'TAGS') ? { tags: tagsOut(definition.tags) } : {}),
  };
}

function deregisterTaskDefinition(input: OperationInput, ctx: SimContext) {
  const reference = new InputReader(input, clientException).requiredString('taskDefinition');
  if (!reference.includes(':')) throw clientException('Invalid revision number. Number: ');
  const definition = resolveTaskDefinition(ctx, reference);
  if (!definition) throw taskDefinitionNotFound();
  if (definition.status === 'ACTIVE') definition.status = 'INACTIVE';
  return {
    taskDefinition: { ...taskDefinitionOutput(definition), deregisteredAt: epochSeconds(ctx.clock.now()) },
  };
}

/**
 * Submits revisions for deletion: an INACTIVE one turns DELETE_IN_PROGRESS (running tasks and
 * services keep it), anything else is a per-revision failure rather than an error, with AWS's reasons.
 */
function deleteTaskDefinitions(input: OperationInput, ctx: SimContext) {
  const references = reader(input).strings('taskDefinitions');
  if (references.length === 0 || references.length > 10) {
    throw invalidParameter('taskDefinitions must contain between 1 and 10 task definitions.');
  }
  const deleted: ReturnType<typeof taskDefinitionOutput>[] = [];
  const failures: Array<{ arn: string; reason: string }> = [];
  for (const reference of references) {
    const arn = reference.startsWith('arn:') ? reference : `${arnPrefix(ctx)}:task-definition/${reference}`;
    // A revision is required: `family` alone is not a deletable identifier.
    const hasRevision = /:\d+$/.test(reference);
    const definition = hasRevision ? resolveTaskDefinition(ctx, reference) : undefined;
    if (!hasRevision) {
      failures.push({
        arn,
        reason:
          'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.',
      });
    } else if (!definition) {
      failures.push({
        arn,
        reason:
          'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
      });
    } else if (definition.status === 'ACTIVE') {
      failures.push({
        arn: definition.arn,
        reason:
          'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
      });
    } else {
      definition.status = 'DELETE_IN_PROGRESS';
      definition.deleteRequestedAt ??= ctx.clock.now();
      // Being deleted: no longer a resource of the account, though Describe still answers it.
      definition.endedAt ??= definition.deleteRequestedAt;
      deleted.push(taskDefinitionOutput(definition));
    }
  }
  return { taskDefinitions: deleted, failures };
}

function listTaskDefinitions(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const familyPrefix = r.string('familyPrefix');
  const status = r.string('status') ?? 'ACTIVE';
  const arns = ctx.store
    .list<TaskDefinitionResource>('ecs-task-definition')
    .filter((definition) => definition.status === status)
    .filter((definition) => familyPrefix === undefined || definition.family.startsWith(familyPrefix))
    .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision)
    .map((definition) => definition.arn);
  if (r.string('sort') === 'DESC') arns.reverse();
  const { page, nextToken } = paginate(
    arns,
    r.string('nextToken'),
    r.number('maxResults'),
    invalidParameter,
    100,
  );
  return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Tasks: lifecycle computed from the clock

type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';

function taskStatus(ctx: SimContext, task: TaskResource): TaskStatus {
  const { clock } = ctx;
  if (clock.reached(task.stoppedAt)) return 'STOPPED';
  if (clock.reached(task.stoppingAt)) return clock.reached(task.drainedAt) ? 'STOPPING' : 'DEACTIVATING';
  if (clock.reached(task.runningAt)) return 'RUNNING';
  return clock.reached((task.createdAt + task.runningAt) / 2) ? 'PENDING' : 'PROVISIONING';
}

const desiredStatus = (ctx: SimContext, task: TaskResource) =>
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
}

/** Starts one task at `at` (its ENI, its registration in the service's target groups). */
function launchTask(ctx: SimContext, request: LaunchRequest): TaskResource {
  const { cluster, definition, placement, at } = request;
  const clusterName = cluster.name;
  const arn = `${arnPrefix(ctx)}:task/${clusterName}/${ctx.ids.hex(32)}`;
  const attachmentId = ctx.ids.uuid();
  const subnetId = placement.subnets[request.index % Math.max(1, placement.subnets.length)];
  const subnet = subnetId === undefined ? undefined : ctx.store.get<Subnet>('subnet', subnetId);
  let networkInterfaceId: string | undefined;
  let privateIp: string | undefined;
  if (definition.networkMode === 'awsvpc' && subnet) {
    const eni = createNetworkInterface(ctx, {
      subnetId: subnet.id,
      groups: placement.securityGroups,
      description: `arn:aws:ecs:${ctx.region}:${ctx.accountId}:attachment/${attachmentId}`,
      interfaceType: 'interface',
      requesterId: 'AROAJ2OUJJ3NIPBFDV2BA:ecs-tasks',
    });
    networkInterfaceId = eni.id;
    privateIp = eni.privateIpAddress;
  }
  const appHealth = appHealthOf(definition.containers.filter((c) => c.essential).map((c) => c.image));
  const runningAt = at + drawSeconds(ctx, ctx.latency.taskRunning) * 1000;
  let exitAt: number | undefined;
  let exitCode: number | undefined;
  if (!request.service) {
    exitAt = runningAt + STANDALONE_TASK_RUN_SECONDS * 1000;
    exitCode = appHealth === 'exits' ? 1 : 0;
  } else if (appHealth === 'exits') {
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
    attachmentId,
    ...(privateIp ? { privateIp } : {}),
    ...(subnet ? { subnetId: subnet.id } : {}),
    availabilityZone: subnet?.availabilityZone ?? `${ctx.region}a`,
    appHealth,
    runningAt,
    ...(exitAt !== undefined ? { exitAt, exitCode } : {}),
    targets: [],
    ...(request.clientToken ? { clientToken: request.clientToken, fingerprint: request.fingerprint } : {}),
    version: 1,
    tags: request.tags,
    createdAt: at,
  });
  if (request.service && privateIp) {
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
function stopTask(ctx: SimContext, task: TaskResource, at: number, reason: string, stopCode: string): void {
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

/** When a service task's app is found failing: its container exits, or the ELB check fails. */
function failureAt(ctx: SimContext, service: EcsServiceResource, task: TaskResource): number | undefined {
  if (task.stoppingAt !== undefined) return undefined;
  if (task.exitAt !== undefined) return task.exitAt;
  if (task.appHealth !== 'unhealthy') return undefined;
  const verdicts = task.targets.flatMap((target) => {
    const tg = findTargetGroup(ctx, target.targetGroupArn);
    return tg ? [healthCheckVerdictAt(tg, task.runningAt, false)] : [];
  });
  if (verdicts.length === 0) return undefined;
  // ECS ignores ELB health checks during the grace period.
  const grace = task.runningAt + (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
  return Math.max(Math.min(...verdicts), grace);
}

/** When a task counts as healthy for its deployment (RUNNING and healthy in every target group). */
function healthyAt(ctx: SimContext, task: TaskResource): number | undefined {
  if (task.appHealth !== 'healthy' && task.targets.length > 0) return undefined;
  if (task.appHealth === 'exits') return undefined;
  const verdicts = task.targets.flatMap((target) => {
    const tg = findTargetGroup(ctx, target.targetGroupArn);
    return tg ? [healthCheckVerdictAt(tg, task.runningAt, true)] : [];
  });
  return Math.max(task.runningAt, ...verdicts);
}

// ---------------------------------------------------------------------------------------------
// The service scheduler (replayed lazily)

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

function startDeployment(
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

function serviceTasks(ctx: SimContext, service: EcsServiceResource): TaskResource[] {
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
  if (!service.placement.fargate && containerInstancesOf(ctx, cluster.arn, at).length === 0) {
    const message = 'was unable to place a task because no container instance met all of its requirements.';
    if (!service.events[0]?.message.endsWith(message)) addEvent(ctx, service, at, message);
    return;
  }
  const tags =
    service.propagateTags === 'SERVICE'
      ? service.tags
      : service.propagateTags === 'TASK_DEFINITION'
        ? definition.tags
        : {};
  const started: string[] = [];
  for (let i = 0; i < missing; i += 1) {
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
    });
    service.launchedTasks += 1;
    started.push(lastSegment(task.arn));
  }
  addEvent(ctx, service, at, `has started ${started.length} tasks: (task ${started.join(') (task ')}).`);
}

interface SchedulerEvent {
  at: number;
  apply: (at: number) => void;
}

/** Circuit-breaker threshold: 0.5 × desired count, at least 3, at most 200. */
const failureThreshold = (desired: number) => Math.min(200, Math.max(3, Math.ceil(desired * 0.5)));

function taskFailed(ctx: SimContext, service: EcsServiceResource, task: TaskResource, at: number): void {
  const taskId = lastSegment(task.arn);
  if (task.exitAt !== undefined) {
    stopTask(ctx, task, at, 'Essential container in task exited', 'EssentialContainerExited');
  } else {
    const target = task.targets[0];
    if (target) {
      addEvent(
        ctx,
        service,
        at,
        `(port ${target.port}) is unhealthy in (target-group ${target.targetGroupArn}) due to (reason Health checks failed with these codes: [500]).`,
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
function reconcileService(ctx: SimContext, service: EcsServiceResource): void {
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

/** Standalone tasks whose container has exited are stopped (from their exit time). */
function reconcileCluster(ctx: SimContext, cluster: ClusterResource): void {
  for (const service of servicesOf(ctx, cluster.arn)) reconcileService(ctx, service);
  for (const task of tasksOf(ctx, cluster.arn)) {
    if (task.serviceArn === undefined && task.exitAt !== undefined && ctx.clock.reached(task.exitAt)) {
      stopTask(ctx, task, task.exitAt, 'Essential container in task exited', 'EssentialContainerExited');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Services

function serviceArnOf(ctx: SimContext, cluster: ClusterResource, nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `${arnPrefix(ctx)}:service/${cluster.name}/${nameOrArn}`;
}

function findService(
  ctx: SimContext,
  cluster: ClusterResource,
  nameOrArn: string,
): EcsServiceResource | undefined {
  const arn = serviceArnOf(ctx, cluster, nameOrArn);
  const service = ctx.store.get<EcsServiceResource>('ecs-service', arn);
  return service?.clusterArn === cluster.arn ? service : undefined;
}

function countByStatus(ctx: SimContext, tasks: TaskResource[]) {
  const statuses = tasks.map((task) => taskStatus(ctx, task));
  return {
    runningCount: statuses.filter((status) => status === 'RUNNING').length,
    pendingCount: statuses.filter((status) => status === 'PROVISIONING' || status === 'PENDING').length,
  };
}

function placementOutput(placement: Placement) {
  return {
    ...(placement.launchType ? { launchType: placement.launchType } : {}),
    ...(placement.capacityProviderStrategy.length > 0
      ? { capacityProviderStrategy: placement.capacityProviderStrategy }
      : {}),
    ...(placement.fargate ? { platformVersion: 'LATEST', platformFamily: 'Linux' } : {}),
    ...(placement.networkConfiguration ? { networkConfiguration: placement.networkConfiguration } : {}),
  };
}

function serviceOutput(ctx: SimContext, service: EcsServiceResource, withTags: boolean) {
  const tasks = serviceTasks(ctx, service);
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    loadBalancers: service.loadBalancers,
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    ...countByStatus(ctx, tasks),
    ...placementOutput(service.placement),
    taskDefinition: service.taskDefinition,
    deploymentConfiguration: service.deploymentConfiguration,
    deployments: service.deployments.map((deployment) => ({
      id: deployment.id,
      status: deployment.status,
      taskDefinition: deployment.taskDefinition,
      desiredCount: deployment.desiredCount,
      ...countByStatus(
        ctx,
        tasks.filter((task) => task.deploymentId === deployment.id),
      ),
      failedTasks: deployment.failedTasks,
      createdAt: epochSeconds(deployment.createdAt),
      updatedAt: epochSeconds(deployment.updatedAt),
      ...placementOutput(service.placement),
      rolloutState: deployment.rolloutState,
      rolloutStateReason: deployment.rolloutStateReason,
    })),
    events: service.events.map((event) => ({ ...event, createdAt: epochSeconds(event.createdAt) })),
    createdAt: epochSeconds(service.createdAt),
    placementConstraints: service.placementConstraints,
    placementStrategy: service.placementStrategy,
    ...(service.healthCheckGracePeriodSeconds !== undefined
      ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }
      : {}),
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    createdBy: `arn:aws:iam::${ctx.accountId}:root`,
    enableECSManagedTags: service.enableECSManagedTags,
    propagateTags: service.propagateTags,
    enableExecuteCommand: service.enableExecuteCommand,
    ...(withTags ? { tags: tagsOut(service.tags) } : {}),
  };
}

/** Launch type / capacity provider strategy / network configuration of CreateService and RunTask. */
function readPlacement(
  ctx: SimContext,
  r: InputReader,
  cluster: ClusterResource,
  definition: TaskDefinitionResource,
  current?: Placement,
): Placement {
  const launchType =
    r.string('launchType') ??
    (current && !r.has('capacityProviderStrategy') ? current.launchType : undefined);
  const given = readStrategy(r, 'capacityProviderStrategy');
  if (r.string('launchType') !== undefined && given.length > 0) {
    throw invalidParameter(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  }
  let strategy = given.length > 0 ? given : launchType ? [] : (current?.capacityProviderStrategy ?? []);
  if (!launchType && strategy.length === 0) strategy = cluster.defaultCapacityProviderStrategy;
  for (const item of strategy) {
    if (!cluster.capacityProviders.includes(item.capacityProvider)) {
      throw invalidParameter(
        'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
      );
    }
  }
  const effectiveLaunchType = launchType ?? (strategy.length === 0 ? 'EC2' : undefined);
  if (effectiveLaunchType && !['EC2', 'FARGATE', 'EXTERNAL'].includes(effectiveLaunchType)) {
    throw invalidParameter(`launchType '${effectiveLaunchType}' is not valid.`);
  }
  const fargate =
    effectiveLaunchType === 'FARGATE' ||
    (strategy.length > 0 && strategy.every((item) => isFargateProvider(item.capacityProvider)));
  if (fargate && !definition.fargateCompatible) {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
  const network = r.object('networkConfiguration')?.object('awsvpcConfiguration');
  const networkConfiguration = network
    ? { awsvpcConfiguration: plain(network.input) as Record<string, unknown> }
    : current?.networkConfiguration;
  const subnets = network ? network.strings('subnets') : (current?.subnets ?? []);
  const securityGroups = network ? network.strings('securityGroups') : (current?.securityGroups ?? []);
  if (definition.networkMode === 'awsvpc') {
    if (!networkConfiguration) {
      throw invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    if (subnets.length === 0 || subnets.length > 16) throw invalidParameter('subnets can not be empty.');
    for (const subnetId of subnets) {
      if (!ctx.store.get<Subnet>('subnet', subnetId)) {
        throw invalidParameter(
          `Error retrieving subnet information for [${subnetId}]: The subnet ID '${subnetId}' does not exist (ErrorCode: InvalidSubnetID.NotFound)`,
        );
      }
    }
    for (const groupId of securityGroups) {
      if (!ctx.store.get<SecurityGroup>('security-group', groupId)) {
        throw invalidParameter(
          `Error retrieving security group information for [${groupId}]: The security group '${groupId}' does not exist (ErrorCode: InvalidGroup.NotFound)`,
        );
      }
    }
  } else if (network) {
    throw invalidParameter(
      'Network Configuration is not valid for the given networkMode of this task definition.',
    );
  }
  if (networkConfiguration) {
    const awsvpc = networkConfiguration.awsvpcConfiguration as Record<string, unknown>;
    awsvpc.assignPublicIp = awsvpc.assignPublicIp ?? 'DISABLED';
    awsvpc.securityGroups = securityGroups;
  }
  return {
    ...(effectiveLaunchType ? { launchType: effectiveLaunchType } : {}),
    capacityProviderStrategy: strategy,
    fargate,
    ...(networkConfiguration ? { networkConfiguration } : {}),
    subnets,
    securityGroups,
  };
}

function readServiceLoadBalancers(
  ctx: SimContext,
  r: InputReader,
  definition: TaskDefinitionResource,
): ServiceLoadBalancer[] {
  return r.objects('loadBalancers').map((lb) => {
    const targetGroupArn = lb.string('targetGroupArn');
    if (!targetGroupArn)
      throw invalidParameter(
        'Only target groups of Application Load Balancers are supported (targetGroupArn).',
      );
    const tg = findTargetGroup(ctx, targetGroupArn);
    if (!tg) {
      throw invalidParameter(
        'Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.',
      );
    }
    if (loadBalancersOf(ctx, tg.arn).length === 0) {
      throw invalidParameter(
        `The target group with targetGroupArn ${tg.arn} does not have an associated load balancer.`,
      );
    }
    if (definition.networkMode === 'awsvpc' && tg.targetType !== 'ip') {
      throw invalidParameter(
        `The provided target group ${tg.arn} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`,
      );
    }
    const containerName = lb.requiredString('containerName');
    const containerPort = lb.number('containerPort');
    const container = definition.containers.find((candidate) => candidate.name === containerName);
    if (!container)
      throw invalidParameter(`The container ${containerName} does not exist in the task definition.`);
    if (containerPort === undefined || !container.ports.includes(containerPort)) {
      throw invalidParameter(
        `The container ${containerName} did not have a container port ${containerPort ?? ''} defined.`,
      );
    }
    return { targetGroupArn: tg.arn, containerName, containerPort };
  });
}

const PLACEMENT_STRATEGY_TYPES = ['random', 'spread', 'binpack'];
const PLACEMENT_CONSTRAINT_TYPES = ['distinctInstance', 'memberOf'];

/** Placement strategies and constraints apply to EC2 capacity only (Fargate spreads across zones itself). */
function readPlacementRules(r: InputReader, placement: Placement) {
  const strategies = r.objects('placementStrategy').map((item) => {
    const type = item.requiredString('type');
    if (!PLACEMENT_STRATEGY_TYPES.includes(type))
      throw invalidParameter(`Invalid placement strategy type: ${type}.`);
    const field = item.string('field');
    if (type === 'binpack' && !['cpu', 'memory'].includes(field ?? '')) {
      throw invalidParameter('binpack placement strategies need the field cpu or memory.');
    }
    if (type === 'spread' && !field) throw invalidParameter('spread placement strategies need a field.');
    return { type, ...(field ? { field } : {}) };
  });
  const constraints = r.objects('placementConstraints').map((item) => {
    const type = item.requiredString('type');
    if (!PLACEMENT_CONSTRAINT_TYPES.includes(type))
      throw invalidParameter(`Invalid placement constraint type: ${type}.`);
    const expression = item.string('expression');
    if (type === 'memberOf' && !expression)
      throw invalidParameter('memberOf placement constraints need an expression.');
    return { type, ...(expression ? { expression } : {}) };
  });
  if (placement.fargate && (strategies.length > 0 || constraints.length > 0)) {
    throw invalidParameter(
      'Placement strategies and constraints are not supported with FARGATE launch type.',
    );
  }
  return { strategies, constraints };
}

function readDeploymentConfiguration(
  r: InputReader,
  current?: Record<string, unknown>,
): Record<string, unknown> {
  const given = r.object('deploymentConfiguration');
  const breaker = given?.object('deploymentCircuitBreaker');
  const currentBreaker = (current?.deploymentCircuitBreaker ?? { enable: false, rollback: false }) as Record<
    string,
    unknown
  >;
  const maximumPercent = given?.number('maximumPercent') ?? current?.maximumPercent ?? 200;
  const minimumHealthyPercent =
    given?.number('minimumHealthyPercent') ?? current?.minimumHealthyPercent ?? 100;
  return {
    deploymentCircuitBreaker: breaker
      ? { enable: breaker.boolean('enable') ?? false, rollback: breaker.boolean('rollback') ?? false }
      : currentBreaker,
    maximumPercent,
    minimumHealthyPercent,
  };
}

function requireActiveDefinition(ctx: SimContext, reference: string): TaskDefinitionResource {
  const definition = resolveTaskDefinition(ctx, reference);
  if (!definition) throw clientException('TaskDefinition not found.');
  if (definition.status !== 'ACTIVE') throw invalidParameter('TaskDefinition is inactive');
  return definition;
}

function createService(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const name = r.requiredString('serviceName');
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    throw invalidParameter(
      'Service name can only contain letters, numbers, hyphens and underscores (up to 255).',
    );
  }
  const clientToken = r.string('clientToken');
  if (clientToken !== undefined && clientToken.length > 36)
    throw invalidParameter('clientToken must be at most 36 characters.');
  const { clientToken: _token, ...request } = input;
  const fingerprint = JSON.stringify(request);

  const existing = findService(ctx, cluster, name);
  const sameToken = clientToken
    ? servicesOf(ctx, cluster.arn).find(
        (service) => service.clientToken === clientToken && service.status !== 'INACTIVE',
      )
    : undefined;
  for (const candidate of [existing, sameToken]) {
    if (!candidate || candidate.status === 'INACTIVE') continue;
    if (candidate.fingerprint === fingerprint && candidate.name === name)
      return { service: serviceOutput(ctx, candidate, false) };
    if (candidate.status === 'DRAINING' && candidate.name === name) {
      throw invalidParameter('Unable to Start a service that is still Draining.');
    }
    throw invalidParameter('Creation of service was not idempotent.');
  }

  const definition = requireActiveDefinition(ctx, r.requiredString('taskDefinition'));
  const desiredCount = r.number('desiredCount');
  if (desiredCount === undefined || !Number.isInteger(desiredCount) || desiredCount < 0) {
    throw invalidParameter(
      'desiredCount must be a whole number of 0 or more for services of the REPLICA scheduling strategy.',
    );
  }
  const placement = readPlacement(ctx, r, cluster, definition);
  const rules = readPlacementRules(r, placement);
  const loadBalancers = readServiceLoadBalancers(ctx, r, definition);
  const grace = r.number('healthCheckGracePeriodSeconds');
  if (grace !== undefined && loadBalancers.length === 0) {
    throw invalidParameter(
      'Health check grace period is only valid for services configured to use load balancers',
    );
  }
  const propagateTags = r.string('propagateTags') ?? 'NONE';
  if (!['TASK_DEFINITION', 'SERVICE', 'NONE'].includes(propagateTags)) {
    throw invalidParameter(`propagateTags '${propagateTags}' is not valid.`);
  }
  const now = ctx.clock.now();
  const arn = serviceArnOf(ctx, cluster, name);
  const service = ctx.store.put<EcsServiceResource>({
    type: 'ecs-service',
    id: arn,
    arn,
    name,
    clusterArn: cluster.arn,
    status: 'ACTIVE',
    taskDefinition: definition.arn,
    desiredCount,
    placement,
    loadBalancers,
    deploymentConfiguration: readDeploymentConfiguration(r),
    placementConstraints: rules.constraints,
    placementStrategy: rules.strategies,
    ...(grace !== undefined ? { healthCheckGracePeriodSeconds: grace } : {}),
    propagateTags,
    enableECSManagedTags: r.boolean('enableECSManagedTags') ?? false,
    enableExecuteCommand: r.boolean('enableExecuteCommand') ?? false,
    ...(clientToken ? { clientToken } : {}),
    fingerprint,
    deployments: [],
    events: [],
    reconciledAt: now,
    launchedTasks: 0,
    tags: readTags(r),
    createdAt: now,
  });
  startDeployment(ctx, service, definition.arn, now);
  reconcileService(ctx, service);
  return { service: serviceOutput(ctx, service, false) };
}

function describeServices(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const names = r.strings('services');
  if (names.length === 0 || names.length > 10)
    throw invalidParameter('services must contain between 1 and 10 items.');
  const services: ReturnType<typeof serviceOutput>[] = [];
  const failures: Array<{ arn: string; reason: string }> = [];
  for (const name of names) {
    const service = findService(ctx, cluster, name);
    if (service) services.push(serviceOutput(ctx, service, includes(r, 'TAGS')));
    else failures.push({ arn: serviceArnOf(ctx, cluster, name), reason: 'MISSING' });
  }
  return { services, failures };
}

function requireServiceOf(
  ctx: SimContext,
  r: InputReader,
): { cluster: ClusterResource; service: EcsServiceResource } {
  const cluster = requireCluster(ctx, r.string('cluster'));
  const service = findService(ctx, cluster, r.requiredString('service'));
  if (!service) throw serviceNotFound();
  return { cluster, service };
}

function updateService(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const { cluster, service } = requireServiceOf(ctx, r);
  if (service.status !== 'ACTIVE') throw serviceNotActive();
  const requested = r.string('taskDefinition');
  const definition = requested
    ? requireActiveDefinition(ctx, requested)
    : (resolveTaskDefinition(ctx, service.taskDefinition) ??
      requireActiveDefinition(ctx, service.taskDefinition));
  const desiredCount = r.number('desiredCount');
  if (desiredCount !== undefined && (!Number.isInteger(desiredCount) || desiredCount < 0)) {
    throw invalidParameter('desiredCount must be a whole number of 0 or more.');
  }
  const placementChanges =
    r.has('networkConfiguration') || r.has('capacityProviderStrategy') || r.has('launchType');
  const placement = placementChanges
    ? readPlacement(ctx, r, cluster, definition, service.placement)
    : service.placement;
  const rulesGiven = r.has('placementStrategy') || r.has('placementConstraints');
  const rules = rulesGiven ? readPlacementRules(r, placement) : undefined;
  const loadBalancers = r.has('loadBalancers')
    ? readServiceLoadBalancers(ctx, r, definition)
    : service.loadBalancers;
  const grace = r.number('healthCheckGracePeriodSeconds');
  if (grace !== undefined && loadBalancers.length === 0) {
    throw invalidParameter(
      'Health check grace period is only valid for services configured to use load balancers',
    );
  }
  const newDeployment =
    definition.arn !== service.taskDefinition ||
    r.boolean('forceNewDeployment') === true ||
    placementChanges ||
    r.has('loadBalancers');
  const now = ctx.clock.now();
  service.placement = placement;
  service.loadBalancers = loadBalancers;
  service.deploymentConfiguration = readDeploymentConfiguration(r, service.deploymentConfiguration);
  if (rules) {
    service.placementStrategy = rules.strategies;
    service.placementConstraints = rules.constraints;
  }
  if (grace !== undefined) service.healthCheckGracePeriodSeconds = grace;
  if (desiredCount !== undefined) service.desiredCount = desiredCount;
  service.propagateTags = r.string('propagateTags') ?? service.propagateTags;
  service.enableExecuteCommand = r.boolean('enableExecuteCommand') ?? service.enableExecuteCommand;
  if (newDeployment) {
    service.taskDefinition = definition.arn;
    startDeployment(ctx, service, definition.arn, now);
  }
  reconcileService(ctx, service);
  return { service: serviceOutput(ctx, service, false) };
}

function deleteService(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const { service } = requireServiceOf(ctx, r);
  if (service.status === 'INACTIVE') throw serviceNotActive();
  if (service.status === 'ACTIVE') {
    if (service.desiredCount > 0 && r.boolean('force') !== true) {
      throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
    }
    const now = ctx.clock.now();
    service.status = 'DRAINING';
    service.desiredCount = 0;
    service.deletedAt = now;
    for (const task of serviceTasks(ctx, service)) {
      stopTask(ctx, task, now, 'Service deleted', 'ServiceSchedulerInitiated');
    }
    reconcileService(ctx, service);
  }
  return { service: serviceOutput(ctx, service, false) };
}

function listServices(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const launchType = r.string('launchType');
  const arns = servicesOf(ctx, cluster.arn)
    .filter((service) => service.status !== 'INACTIVE')
    .filter((service) => launchType === undefined || service.placement.launchType === launchType)
    .map((service) => service.arn);
  const maxResults = r.number('maxResults');
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 100)) {
    throw invalidParameter('maxResults must be between 1 and 100.');
  }
  const { page, nextToken } = paginate(arns, r.string('nextToken'), maxResults, invalidParameter, 10);
  return { serviceArns: page, ...(nextToken ? { nextToken } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Standalone tasks and task queries

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

function runTask(input: OperationInput, ctx: SimContext) {
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
  const tasks = Array.from({ length: count }, (_, index) =>
    launchTask(ctx, {
      cluster,
      definition,
      placement,
      at: ctx.clock.now(),
      group: r.string('group') ?? `family:${definition.family}`,
      ...(startedBy ? { startedBy } : {}),
      tags: { ...tags },
      ...(clientToken ? { clientToken, fingerprint } : {}),
      index,
    }),
  );
  return { tasks: tasks.map((task) => taskOutput(ctx, task, false)), failures: [] };
}

function taskArnOf(cluster: ClusterResource, ctx: SimContext, idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? idOrArn : `${arnPrefix(ctx)}:task/${cluster.name}/${idOrArn}`;
}

function findTask(ctx: SimContext, cluster: ClusterResource, idOrArn: string): TaskResource | undefined {
  const task = ctx.store.get<TaskResource>('ecs-task', taskArnOf(cluster, ctx, idOrArn));
  return task?.clusterArn === cluster.arn ? task : undefined;
}

function describeTasks(input: OperationInput, ctx: SimContext) {
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

function listTasks(input: OperationInput, ctx: SimContext) {
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

function stopTaskOperation(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const cluster = requireCluster(ctx, r.string('cluster'));
  const task = findTask(ctx, cluster, r.requiredString('task'));
  if (!task) throw invalidParameter('The referenced task was not found.');
  stopTask(ctx, task, ctx.clock.now(), r.string('reason') ?? 'Task stopped by user', 'UserInitiated');
  // A service replaces a stopped task at once (from the next reconciliation on).
  return { task: taskOutput(ctx, task, false) };
}

// ---------------------------------------------------------------------------------------------
// Tags by ARN

const TAGGABLE_TYPES = [
  'ecs-cluster',
  'ecs-service',
  'ecs-task',
  'ecs-task-definition',
  'ecs-capacity-provider',
  'ecs-container-instance',
] as const;

function requireTaggable(ctx: SimContext, arn: string): SimResource {
  for (const type of TAGGABLE_TYPES) {
    const resource = ctx.store.get(type, arn);
    if (resource) return resource;
  }
  throw error('ResourceNotFoundException', 'The specified resource could not be found.');
}

function tagResource(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const resource = requireTaggable(ctx, r.requiredString('resourceArn'));
  const merged = { ...resource.tags, ...readTags(r) };
  if (Object.keys(merged).length > 50) throw invalidParameter('The number of tags exceeds the limit of 50.');
  resource.tags = merged;
  return {};
}

function untagResource(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const resource = requireTaggable(ctx, r.requiredString('resourceArn'));
  for (const key of r.strings('tagKeys')) delete resource.tags[key];
  return {};
}

function listTagsForResource(input: OperationInput, ctx: SimContext) {
  const resource = requireTaggable(ctx, reader(input).requiredString('resourceArn'));
  return { tags: tagsOut(resource.tags) };
}

// ---------------------------------------------------------------------------------------------
// Service definition

/** Token buckets from AWS-FACTS.md ("Request throttling for the Amazon ECS API"). */
const RATE_CATEGORIES: Record<string, string> = {
  CreateService: 'service-mutation',
  UpdateService: 'service-mutation',
  DeleteService: 'service-mutation',
  CreateCluster: 'create-cluster',
  RegisterTaskDefinition: 'register-task-definition',
};

export const ecs: ServiceDefinition = {
  signingName: 'ecs',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113',
  operations: {
    CreateCluster: createCluster,
    DescribeClusters: describeClusters,
    ListClusters: listClusters,
    DeleteCluster: deleteCluster,
    PutClusterCapacityProviders: putClusterCapacityProviders,
    CreateCapacityProvider: createCapacityProvider,
    DescribeCapacityProviders: describeCapacityProviders,
    DeleteCapacityProvider: deleteCapacityProvider,
    RegisterTaskDefinition: registerTaskDefinition,
    DescribeTaskDefinition: describeTaskDefinition,
    DeregisterTaskDefinition: deregisterTaskDefinition,
    DeleteTaskDefinitions: deleteTaskDefinitions,
    ListTaskDefinitions: listTaskDefinitions,
    CreateService: createService,
    DescribeServices: describeServices,
    UpdateService: updateService,
    DeleteService: deleteService,
    ListServices: listServices,
    RunTask: runTask,
    DescribeTasks: describeTasks,
    ListTasks: listTasks,
    StopTask: stopTaskOperation,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
  },
  rateLimitCategory: (operation) =>
    RATE_CATEGORIES[operation] ?? (/^(Describe|List)/.test(operation) ? 'describe' : 'default'),
  rateLimits: {
    'service-mutation': { burst: 50, refillPerSecond: 5 },
    'create-cluster': { burst: 20, refillPerSecond: 1 },
    'register-task-definition': { burst: 20, refillPerSecond: 1 },
    describe: { burst: 100, refillPerSecond: 20 },
    default: { burst: 50, refillPerSecond: 10 },
  },
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
};
