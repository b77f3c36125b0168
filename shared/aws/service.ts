/**
 * Every ECS service, task-definition and CloudWatch Logs call of berth: each service's log group,
 * task definition and ECS service behind its target group — their status, rolling updates and
 * teardown.
 *
 * Idempotency: CreateLogGroup answers `ResourceAlreadyExistsException` (done); a task definition is
 * registered only when the family's latest ACTIVE revision differs from the wanted one; CreateService
 * is looked up by name first and carries a `clientToken` derived from environment, service and task
 * definition revision. Every create carries the environment's tags.
 *
 * No function here waits: the workflow polls `serviceStatus` until the services are stable, and calls
 * `teardownServicesPass` again while services are DRAINING. Throttling and 5xx errors propagate.
 */
import { createHash } from 'node:crypto';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  type LogGroup,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type ContainerDefinition,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteServiceCommand,
  type DeploymentConfiguration,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type LoadBalancer,
  type PlacementConstraint,
  type PlacementStrategy,
  paginateListServices,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type EnvironmentRef, names, TAG_ENVIRONMENT } from '../domain/naming';
import { required } from '../domain/required';
import { type EnvironmentSpec, resolvePlacement, type ServiceSpec } from '../domain/spec';
import { findEnvironmentClusters } from './cluster';
import { type Capacity, capacityProviderStrategy, ecsTags, ecsTagValue } from './ecs-shapes';
import { hasCode } from './errors';
import { stepCalls, stepCallsToThrottledApis } from './retry-budget';
import { type Blocker, chunks, refusedBecauseGone, type TeardownProgress } from './teardown';
import { traced } from './tracing';

/** Region, credentials and endpoints come from the environment (`AWS_ENDPOINT_URL_ECS`, `…_CLOUDWATCH_LOGS`). */
const defaultElbv2 = /* @__PURE__ */ traced(
  /* @__PURE__ */ new ElasticLoadBalancingV2Client(stepCallsToThrottledApis),
);
const defaultClients: ServiceClients = {
  ecs: /* @__PURE__ */ traced(/* @__PURE__ */ new ECSClient(stepCalls)),
  logs: /* @__PURE__ */ traced(/* @__PURE__ */ new CloudWatchLogsClient(stepCalls)),
  elbv2: defaultElbv2,
};

/** The SDK clients this module calls; tests pass their own. */
export interface ServiceClients {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  /** For the target health of a rollout's new tasks (defaults to the module's client). */
  elbv2?: ElasticLoadBalancingV2Client;
}

export interface TaskDefinitionOptions {
  capacity: Capacity;
  executionRoleArn: string;
  logGroup: string;
  region: string;
  tags: Record<string, string>;
}

export interface ServiceOptions {
  clusterName: string;
  taskDefinitionArn: string;
  /** The application-tier subnets: tasks never run in the public tier. */
  subnetIds: readonly string[];
  securityGroupId: string;
  targetGroupArn: string;
  capacity: Capacity;
  tags: Record<string, string>;
  /** The EC2 capacity provider; by default the one `ensureEc2Capacity` names after the cluster. */
  capacityProviderName?: string;
}

/**
 * What `ensureService` found or did: `ready` (created now or already ACTIVE), or `draining` — a
 * deleted service of the same name is still stopping its tasks, and CreateService would answer
 * "Unable to Start a service that is still Draining": wait (Wait → ensureService again) until it is INACTIVE.
 */
export type EnsureServiceResult =
  | { state: 'ready'; serviceArn: string; created: boolean }
  | { state: 'draining'; serviceArn: string };

export type RolloutState = 'COMPLETED' | 'IN_PROGRESS' | 'FAILED';

export interface ServiceStatus {
  name: string;
  /** ACTIVE, DRAINING, INACTIVE, or MISSING when DescribeServices does not know the service. */
  status: string;
  desiredCount: number;
  runningCount: number;
  rolloutState?: RolloutState;
  rolloutStateReason?: string;
  /** The task definition of the PRIMARY deployment (after a rollback: the one rolled back to). */
  taskDefinition?: string;
  /** ECS's newest service event (why a rollout failed or was rolled back). */
  lastEvent?: string;
  /** The PRIMARY deployment is COMPLETED and runningCount = desiredCount. */
  stable: boolean;
  /**
   * Traffic is on the wanted revision: stable, or the PRIMARY deployment's tasks all run and are
   * healthy in the target group while the old ones still drain (ECS says COMPLETED only after they stop).
   */
  serving: boolean;
}

/** DescribeServices takes at most 10 services per call. */
const DESCRIBE_SERVICES_MAX = 10;

// ---------------------------------------------------------------------------------------------
// Log groups
// ---------------------------------------------------------------------------------------------

/** The service's `awslogs` log group with the spec's retention; answers its name. */
export async function ensureLogGroup(
  env: EnvironmentRef,
  service: Pick<ServiceSpec, 'name' | 'logging'>,
  tags: Record<string, string>,
  clients: ServiceClients = defaultClients,
): Promise<string> {
  const logGroupName = names.logGroup(env, service.name);
  try {
    await clients.logs.send(new CreateLogGroupCommand({ logGroupName, tags }));
  } catch (error) {
    if (!hasCode(error, 'ResourceAlreadyExistsException')) throw error;
  }
  // Always set: the retention of an existing group follows the spec too.
  await clients.logs.send(
    new PutRetentionPolicyCommand({ logGroupName, retentionInDays: service.logging.retentionDays }),
  );
  return logGroupName;
}

// ---------------------------------------------------------------------------------------------
// Task definitions
// ---------------------------------------------------------------------------------------------

const byName = (a: { name?: string }, b: { name?: string }) => (a.name ?? '').localeCompare(b.name ?? '');

/** The task definition berth registers for a service (without tags). */
export function taskDefinitionInput(
  env: EnvironmentRef,
  service: ServiceSpec,
  options: Omit<TaskDefinitionOptions, 'tags'>,
): RegisterTaskDefinitionCommandInput {
  const container: ContainerDefinition = {
    name: service.name,
    image: service.image,
    essential: true,
    portMappings: [{ containerPort: service.port, protocol: 'tcp' }],
    environment: Object.entries(service.environment)
      .map(([name, value]) => ({ name, value }))
      .sort(byName),
    secrets: Object.entries(service.secrets)
      .map(([name, valueFrom]) => ({ name, valueFrom }))
      .sort(byName),
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': options.logGroup,
        'awslogs-region': options.region,
        'awslogs-stream-prefix': service.name,
      },
    },
  };
  return {
    family: names.taskFamily(env, service.name),
    networkMode: 'awsvpc',
    requiresCompatibilities: [options.capacity === 'EC2' ? 'EC2' : 'FARGATE'],
    // ECS answers task-level cpu and memory as strings (units and MiB).
    cpu: String(service.cpu),
    memory: String(service.memory),
    executionRoleArn: options.executionRoleArn,
    ...(service.taskRoleArn !== undefined ? { taskRoleArn: service.taskRoleArn } : {}),
    containerDefinitions: [container],
  };
}

type TaskDefinitionShape = Pick<
  TaskDefinition,
  | 'family'
  | 'networkMode'
  | 'requiresCompatibilities'
  | 'cpu'
  | 'memory'
  | 'executionRoleArn'
  | 'taskRoleArn'
  | 'containerDefinitions'
>;

/**
 * The fields berth sets, in one canonical form: DescribeTaskDefinition adds defaults (hostPort,
 * empty lists, volumesFrom…) and may order lists differently, so raw objects never compare equal.
 */
function normalisedTaskDefinition(definition: TaskDefinitionShape): string {
  const containers = (definition.containerDefinitions ?? []).map((container) => ({
    name: container.name,
    image: container.image,
    essential: container.essential ?? true,
    ports: (container.portMappings ?? [])
      .map((mapping) => `${mapping.containerPort ?? ''}/${mapping.protocol ?? 'tcp'}`)
      .sort(),
    environment: [...(container.environment ?? [])].sort(byName).map(({ name, value }) => [name, value]),
    secrets: [...(container.secrets ?? [])].sort(byName).map(({ name, valueFrom }) => [name, valueFrom]),
    logDriver: container.logConfiguration?.logDriver,
    logOptions: Object.entries(container.logConfiguration?.options ?? {}).sort(([a], [b]) =>
      a.localeCompare(b),
    ),
  }));
  return JSON.stringify({
    family: definition.family,
    networkMode: definition.networkMode,
    requiresCompatibilities: [...(definition.requiresCompatibilities ?? [])].sort(),
    cpu: definition.cpu,
    memory: definition.memory,
    executionRoleArn: definition.executionRoleArn,
    taskRoleArn: definition.taskRoleArn,
    containers: containers.sort(byName),
  });
}

async function latestActiveRevision(family: string, ecs: ECSClient): Promise<TaskDefinition | undefined> {
  try {
    // A bare family names its latest ACTIVE revision.
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    return taskDefinition?.status === 'ACTIVE' ? taskDefinition : undefined;
  } catch (error) {
    // No ACTIVE revision: ClientException "Unable to describe task definition."
    if (hasCode(error, 'ClientException')) return undefined;
    throw error;
  }
}

/** The service's task definition: the family's latest ACTIVE revision when it is what the spec asks for, a new revision otherwise. */
export async function registerTaskDefinition(
  env: EnvironmentRef,
  service: ServiceSpec,
  options: TaskDefinitionOptions,
  clients: ServiceClients = defaultClients,
): Promise<string> {
  const { tags, ...rest } = options;
  return ensureTaskDefinitionRevision(taskDefinitionInput(env, service, rest), tags, clients.ecs);
}

/**
 * The family's latest ACTIVE revision when it equals `wanted` (in the fields berth sets), else a new
 * revision registered with `tags`: what services and jobs with their own image share.
 */
export async function ensureTaskDefinitionRevision(
  wanted: RegisterTaskDefinitionCommandInput,
  tags: Record<string, string>,
  ecs: ECSClient,
): Promise<string> {
  const family = required(wanted.family, 'family');
  const latest = await latestActiveRevision(family, ecs);
  if (latest && normalisedTaskDefinition(latest) === normalisedTaskDefinition(wanted)) {
    return required(latest.taskDefinitionArn, 'taskDefinitionArn');
  }
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({ ...wanted, tags: ecsTags(tags) }),
  );
  return required(taskDefinition?.taskDefinitionArn, 'taskDefinitionArn');
}

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

/** ≤ 36 ASCII characters (CreateService's limit), the same on every retry of one revision's create. */
export function serviceClientToken(
  environmentId: string,
  serviceName: string,
  taskDefinitionArn: string,
): string {
  return createHash('sha256')
    .update(`${environmentId}\n${serviceName}\n${taskDefinitionArn}`)
    .digest('hex')
    .slice(0, 36);
}

function deploymentConfiguration(service: ServiceSpec): DeploymentConfiguration {
  const { minimumHealthyPercent, maximumPercent, circuitBreaker } = service.deployment;
  return {
    minimumHealthyPercent,
    maximumPercent,
    deploymentCircuitBreaker: { enable: circuitBreaker, rollback: circuitBreaker },
  };
}

/** Placement strategies and constraints: EC2 only (Fargate refuses them with InvalidParameterException). */
function placement(
  service: ServiceSpec,
  capacity: Capacity,
): { placementStrategy?: PlacementStrategy[]; placementConstraints?: PlacementConstraint[] } {
  if (capacity !== 'EC2') return {};
  const { placementStrategy, placementConstraints } = resolvePlacement(service);
  return {
    ...(placementStrategy.length > 0 ? { placementStrategy } : {}),
    ...(placementConstraints.length > 0 ? { placementConstraints } : {}),
  };
}

async function describeServices(
  clusterName: string,
  serviceNames: readonly string[],
  ecs: ECSClient,
  withTags = false,
): Promise<Service[]> {
  const services: Service[] = [];
  for (const batch of chunks(serviceNames, DESCRIBE_SERVICES_MAX)) {
    const answer = await ecs.send(
      new DescribeServicesCommand({
        cluster: clusterName,
        services: batch,
        ...(withTags ? { include: ['TAGS'] } : {}),
      }),
    );
    services.push(...(answer.services ?? []));
  }
  return services;
}

/** The ECS service behind its target group, in the app subnets without public IPs; an ACTIVE one of that name is returned as is. */
export async function ensureService(
  env: EnvironmentRef,
  service: ServiceSpec,
  options: ServiceOptions,
  clients: ServiceClients = defaultClients,
): Promise<EnsureServiceResult> {
  const [existing] = (await describeServices(options.clusterName, [service.name], clients.ecs)).filter(
    (candidate) => candidate.serviceName === service.name && candidate.status !== 'INACTIVE',
  );
  if (existing?.status === 'ACTIVE') {
    return { state: 'ready', serviceArn: required(existing.serviceArn, 'serviceArn'), created: false };
  }
  if (existing?.status === 'DRAINING') {
    return { state: 'draining', serviceArn: required(existing.serviceArn, 'serviceArn') };
  }
  const input: CreateServiceCommandInput = {
    cluster: options.clusterName,
    serviceName: service.name,
    taskDefinition: options.taskDefinitionArn,
    desiredCount: service.desiredCount,
    // A capacity provider strategy, never together with launchType (InvalidParameterException).
    capacityProviderStrategy: capacityProviderStrategy(
      options.capacity,
      options.clusterName,
      options.capacityProviderName,
    ),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...options.subnetIds],
        securityGroups: [options.securityGroupId],
        assignPublicIp: 'DISABLED',
      },
    },
    loadBalancers: serviceLoadBalancers(service, options.targetGroupArn),
    healthCheckGracePeriodSeconds: service.healthCheck.gracePeriodSeconds,
    deploymentConfiguration: deploymentConfiguration(service),
    ...placement(service, options.capacity),
    propagateTags: 'SERVICE',
    enableECSManagedTags: true,
    tags: ecsTags(options.tags),
    clientToken: serviceClientToken(env.id, service.name, options.taskDefinitionArn),
  };
  const { service: created } = await clients.ecs.send(new CreateServiceCommand(input));
  return { state: 'ready', serviceArn: required(created?.serviceArn, 'serviceArn'), created: true };
}

function statusOf(name: string, service: Service | undefined): ServiceStatus {
  if (!service)
    return { name, status: 'MISSING', desiredCount: 0, runningCount: 0, stable: false, serving: false };
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const desiredCount = service.desiredCount ?? 0;
  const runningCount = service.runningCount ?? 0;
  const rolloutState = primary?.rolloutState;
  const stable = service.status === 'ACTIVE' && rolloutState === 'COMPLETED' && runningCount === desiredCount;
  return {
    name,
    status: service.status ?? 'MISSING',
    desiredCount,
    runningCount,
    ...(rolloutState !== undefined ? { rolloutState } : {}),
    ...(primary?.rolloutStateReason !== undefined ? { rolloutStateReason: primary.rolloutStateReason } : {}),
    ...((primary?.taskDefinition ?? service.taskDefinition) !== undefined
      ? { taskDefinition: primary?.taskDefinition ?? service.taskDefinition }
      : {}),
    // ECS lists service events newest first.
    ...(service.events?.[0]?.message !== undefined ? { lastEvent: service.events[0].message } : {}),
    stable,
    serving: stable,
  };
}

/**
 * Whether a rollout still IN_PROGRESS already serves from its new tasks: every task of the PRIMARY
 * deployment running and healthy in the service's target group. Only the old tasks' draining is left
 * then, which takes the deregistration delay and the tasks' stop time.
 */
async function primaryServing(
  clusterName: string,
  service: Service,
  clients: ServiceClients,
): Promise<boolean> {
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const targetGroupArn = service.loadBalancers?.[0]?.targetGroupArn;
  const desired = primary?.desiredCount ?? 0;
  if (!primary?.id || !targetGroupArn || desired === 0 || (primary.runningCount ?? 0) < desired) return false;
  const { taskArns = [] } = await clients.ecs.send(
    new ListTasksCommand({ cluster: clusterName, startedBy: primary.id, desiredStatus: 'RUNNING' }),
  );
  if (taskArns.length < desired) return false;
  const ips = new Set<string>();
  for (const batch of chunks(taskArns, 100)) {
    const { tasks = [] } = await clients.ecs.send(
      new DescribeTasksCommand({ cluster: clusterName, tasks: batch }),
    );
    for (const task of tasks) {
      if (task.lastStatus !== 'RUNNING') continue;
      const details = task.attachments?.flatMap((attachment) => attachment.details ?? []) ?? [];
      const ip = details.find((detail) => detail.name === 'privateIPv4Address')?.value;
      if (ip) ips.add(ip);
    }
  }
  const elbv2 = clients.elbv2 ?? defaultElbv2;
  const { TargetHealthDescriptions = [] } = await elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
  );
  const healthy = TargetHealthDescriptions.filter(
    (description) => description.TargetHealth?.State === 'healthy' && ips.has(description.Target?.Id ?? ''),
  );
  return healthy.length >= desired;
}

/** Where each service's rollout stands, in the order asked; what the workflow's wait loop polls. */
export async function serviceStatus(
  clusterName: string,
  serviceNames: readonly string[],
  clients: ServiceClients = defaultClients,
  options: { checkTargets?: boolean } = {},
): Promise<ServiceStatus[]> {
  const services = await describeServices(clusterName, serviceNames, clients.ecs);
  return Promise.all(
    serviceNames.map(async (name) => {
      const service = services.find((candidate) => candidate.serviceName === name);
      const status = statusOf(name, service);
      const inProgress = status.status === 'ACTIVE' && status.rolloutState === 'IN_PROGRESS';
      if (options.checkTargets && service && !status.stable && inProgress) {
        status.serving = await primaryServing(clusterName, service, clients);
      }
      return status;
    }),
  );
}

/** The service's container behind its target group: ECS registers each task on the spec's port. */
function serviceLoadBalancers(service: ServiceSpec, targetGroupArn: string): LoadBalancer[] {
  return [{ targetGroupArn, containerName: service.name, containerPort: service.port }];
}

/** The wanted load balancer configuration when the service's differs (its port changed), else undefined. */
async function changedLoadBalancers(
  clusterName: string,
  service: ServiceSpec,
  targetGroupArn: string,
  ecs: ECSClient,
): Promise<LoadBalancer[] | undefined> {
  const [current] = await describeServices(clusterName, [service.name], ecs);
  const wanted = serviceLoadBalancers(service, targetGroupArn);
  const key = (balancers: LoadBalancer[]) =>
    JSON.stringify(balancers.map((lb) => [lb.targetGroupArn, lb.containerName, lb.containerPort]));
  return key(current?.loadBalancers ?? []) === key(wanted) ? undefined : wanted;
}

/**
 * A rolling update to `taskDefinitionArn` with the spec's count, health-check grace, circuit breaker
 * and placement. Given the service's target group, a changed container port goes with it as new
 * `loadBalancers`: ECS refuses a revision without the port it registers tasks on, and registers the
 * new tasks on the new port (docs/aws-facts.md#security-groups-and-alb-health-checks).
 */
export async function updateService(
  clusterName: string,
  service: ServiceSpec,
  taskDefinitionArn: string,
  spec: Pick<EnvironmentSpec, 'cluster'>,
  clients: ServiceClients = defaultClients,
  options: { targetGroupArn?: string } = {},
): Promise<{ serviceArn: string }> {
  const loadBalancers =
    options.targetGroupArn === undefined
      ? undefined
      : await changedLoadBalancers(clusterName, service, options.targetGroupArn, clients.ecs);
  const { service: updated } = await clients.ecs.send(
    new UpdateServiceCommand({
      cluster: clusterName,
      service: service.name,
      taskDefinition: taskDefinitionArn,
      ...(loadBalancers ? { loadBalancers } : {}),
      desiredCount: service.desiredCount,
      healthCheckGracePeriodSeconds: service.healthCheck.gracePeriodSeconds,
      deploymentConfiguration: deploymentConfiguration(service),
      ...(spec.cluster.capacity === 'EC2'
        ? {
            placementStrategy: resolvePlacement(service).placementStrategy,
            placementConstraints: resolvePlacement(service).placementConstraints,
          }
        : {}),
    }),
  );
  return { serviceArn: required(updated?.serviceArn, 'serviceArn') };
}

// ---------------------------------------------------------------------------------------------
// Teardown
// ---------------------------------------------------------------------------------------------

async function deleteServices(
  environmentId: string,
  clusterName: string,
  ecs: ECSClient,
  blocked: Blocker[],
  keep: ReadonlySet<string> = new Set(),
): Promise<void> {
  const arns: string[] = [];
  try {
    // ListServices answers ACTIVE and DRAINING services.
    for await (const page of paginateListServices({ client: ecs }, { cluster: clusterName })) {
      arns.push(...(page.serviceArns ?? []));
    }
  } catch (error) {
    if (hasCode(error, 'ClusterNotFoundException')) return;
    throw error;
  }
  const services = (await describeServices(clusterName, arns, ecs, true)).filter(
    (service) =>
      ecsTagValue(service.tags, TAG_ENVIRONMENT) === environmentId && !keep.has(service.serviceName ?? ''),
  );
  for (const service of services) {
    const arn = required(service.serviceArn, 'serviceArn');
    if (service.status === 'ACTIVE') {
      try {
        // Scaling to 0 first lets the tasks deregister from the target group before the service goes.
        if ((service.desiredCount ?? 0) > 0) {
          await ecs.send(new UpdateServiceCommand({ cluster: clusterName, service: arn, desiredCount: 0 }));
        }
        await ecs.send(new DeleteServiceCommand({ cluster: clusterName, service: arn, force: true }));
      } catch (error) {
        // Deleted meanwhile (by a concurrent pass): the next pass sees it DRAINING or INACTIVE.
        if (!hasCode(error, 'ServiceNotFoundException', 'ServiceNotActiveException')) throw error;
      }
    }
    if (service.status === 'ACTIVE' || service.status === 'DRAINING') {
      blocked.push({
        resource: arn,
        code: 'ServiceDraining',
        message: 'the service is DRAINING until its tasks have stopped',
      });
    }
  }
}

/** The log-group prefix of an environment, or of every berth environment when only the id is known. */
function logGroupPrefix(environment: EnvironmentRef | string): string {
  return typeof environment === 'string' ? '/berth/' : names.logGroup(environment, '');
}

async function deleteLogGroups(
  environment: EnvironmentRef | string,
  logs: CloudWatchLogsClient,
): Promise<void> {
  const environmentId = typeof environment === 'string' ? environment : environment.id;
  const groups: LogGroup[] = [];
  const pages = paginateDescribeLogGroups(
    { client: logs },
    { logGroupNamePrefix: logGroupPrefix(environment) },
  );
  for await (const page of pages) groups.push(...(page.logGroups ?? []));
  for (const group of groups) {
    // DescribeLogGroups answers no tags; ListTagsForResource wants the ARN without the trailing `:*`.
    const arn = group.logGroupArn ?? group.arn?.replace(/:\*$/, '');
    const name = group.logGroupName;
    if (arn === undefined || name === undefined) continue;
    let tags: Record<string, string>;
    try {
      ({ tags = {} } = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn })));
    } catch (error) {
      // Deleted since the Describe (by a concurrent pass): nothing left to do for it.
      if (hasCode(error, 'ResourceNotFoundException')) continue;
      throw error;
    }
    if (tags[TAG_ENVIRONMENT] !== environmentId) continue;
    try {
      await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
    } catch (error) {
      if (hasCode(error, 'ResourceNotFoundException')) continue;
      // Deleted since the ListTagsForResource: gone, it has no tags, so the tag-conditioned delete is
      // refused (docs/aws-facts.md#deleting-what-is-already-gone-under-a-tag-condition).
      if (!(await refusedBecauseGone(error, () => logGroupExists(name, logs)))) throw error;
    }
  }
}

/** Whether the log group `name` exists: DescribeLogGroups (granted on `*`) by that exact name. */
async function logGroupExists(name: string, logs: CloudWatchLogsClient): Promise<boolean> {
  const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return logGroups.some((group) => group.logGroupName === name);
}

/**
 * One teardown pass of the environment's services: ACTIVE ones are scaled to 0 and deleted (force),
 * DRAINING ones block until INACTIVE; once none is left, the log groups are deleted. Never waits.
 * Give the environment (not only its id) so the log groups are searched under its own prefix.
 */
export async function teardownServicesPass(
  environment: EnvironmentRef | string,
  clusterName?: string,
  clients: ServiceClients = defaultClients,
): Promise<TeardownProgress> {
  const environmentId = typeof environment === 'string' ? environment : environment.id;
  const blocked: Blocker[] = [];
  const clusterNames =
    clusterName !== undefined
      ? [clusterName]
      : (await findEnvironmentClusters(environmentId, clients.ecs)).flatMap(
          (cluster) => cluster.clusterName ?? [],
        );
  for (const name of clusterNames) await deleteServices(environmentId, name, clients.ecs, blocked);
  // Tasks write to their log groups until they stop.
  if (blocked.length === 0) await deleteLogGroups(environment, clients.logs);
  return { done: blocked.length === 0, blocked };
}

/** Deletes the environment's services that the spec no longer names (an update removed them); one pass. */
export async function removeServicesExcept(
  environmentId: string,
  clusterName: string,
  keep: readonly string[],
  clients: ServiceClients = defaultClients,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  await deleteServices(environmentId, clusterName, clients.ecs, blocked, new Set(keep));
  return { done: blocked.length === 0, blocked };
}
