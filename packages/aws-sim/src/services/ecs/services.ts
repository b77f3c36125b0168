/**
 * Services: CreateService, DescribeServices, UpdateService, DeleteService and ListServices, with
 * their placement, load balancer and deployment-configuration inputs. The scheduler (`./scheduler`)
 * does the work over time; this module validates and records what was asked.
 */
import type { OperationInput, SimContext } from '../../kernel';
import { epochSeconds, type InputReader, paginate } from '../operation-input';
import {
  arnPrefix,
  type ClusterResource,
  clientException,
  type EcsServiceResource,
  includes,
  invalidParameter,
  type Placement,
  reader,
  readTags,
  serviceNotActive,
  serviceNotFound,
  servicesOf,
  type TaskDefinitionResource,
  type TaskResource,
  tagsOut,
} from './model';
import { reconcileService, requireCluster, serviceTasks, startDeployment } from './scheduler';
import {
  readDeploymentConfiguration,
  readPlacement,
  readPlacementRules,
  readServiceLoadBalancers,
} from './service-inputs';
import { resolveTaskDefinition } from './task-definitions';
import { stopTask, taskStatus } from './task-lifecycle';

export function serviceArnOf(ctx: SimContext, cluster: ClusterResource, nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `${arnPrefix(ctx)}:service/${cluster.name}/${nameOrArn}`;
}

export function findService(
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

export function requireActiveDefinition(ctx: SimContext, reference: string): TaskDefinitionResource {
  const definition = resolveTaskDefinition(ctx, reference);
  if (!definition) throw clientException('TaskDefinition not found.');
  if (definition.status !== 'ACTIVE') throw invalidParameter('TaskDefinition is inactive');
  return definition;
}

export function createService(input: OperationInput, ctx: SimContext) {
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

export function describeServices(input: OperationInput, ctx: SimContext) {
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

export function updateService(input: OperationInput, ctx: SimContext) {
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
  // The load balancers a service keeps must still name a port of the new revision's container
  // (docs/aws-facts.md#security-groups-and-alb-health-checks): a changed port needs `loadBalancers`.
  for (const lb of loadBalancers) {
    const container = definition.containers.find((candidate) => candidate.name === lb.containerName);
    if (!container)
      throw invalidParameter(`The container ${lb.containerName} does not exist in the task definition.`);
    if (!container.ports.includes(lb.containerPort)) {
      throw invalidParameter(
        `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`,
      );
    }
  }
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

export function deleteService(input: OperationInput, ctx: SimContext) {
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

export function listServices(input: OperationInput, ctx: SimContext) {
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
