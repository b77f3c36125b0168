/**
 * ECS's records in the shared store and what every ECS operation shares: the scheduler's constants,
 * the resource shapes (store types `ecs-cluster`, `ecs-capacity-provider`, `ecs-task-definition`,
 * `ecs-service`, `ecs-task`, `ecs-container-instance`; ids are ARNs), ECS's error codes, input readers
 * and per-cluster lookups. It imports no other ECS module, so every other one can import it.
 */
import { AwsError, type OperationInput, type SimContext, type SimResource } from '../../kernel';
import { epochSeconds, InputReader, type InvalidInput } from '../operation-input';

/** How long a standalone task's container works before it exits. */
export const STANDALONE_TASK_RUN_SECONDS = 60;

/** How long a service task with a `fail` image runs before its essential container exits. */
export const FAILING_CONTAINER_RUN_SECONDS = 10;

/** INACTIVE clusters/services and STOPPED tasks stay visible to Describe* for about an hour. */
export const RETENTION_SECONDS = 3600;

/** A bound on the events replayed in one reconciliation (a crash-looping service makes many). */
export const MAX_RECONCILE_STEPS = 500;

type KeyValue = { name: string; value: string };

export type StrategyItem = { capacityProvider: string; weight: number; base: number };

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
  instanceType?: string;
  /** The zone and subnet of the instance's primary ENI: its `awsvpc` tasks use a subnet of this zone. */
  availabilityZone?: string;
  subnetId?: string;
  /** `awsvpc` tasks the instance takes (ENIs beyond the primary, or branch ENIs); absent: no limit. */
  taskEniLimit?: number;
  /** The trunk ENI ECS attaches when `awsvpcTrunking` was on for the instance's role at launch. */
  trunkNetworkInterfaceId?: string;
}

export interface CapacityProviderResource extends SimResource {
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

export interface TaskDefinitionResource extends SimResource {
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

export interface Deployment {
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
export interface Placement {
  launchType?: string;
  capacityProviderStrategy: StrategyItem[];
  /** True for FARGATE / FARGATE_SPOT; false when tasks need container instances. */
  fargate: boolean;
  networkConfiguration?: Record<string, unknown>;
  subnets: string[];
  securityGroups: string[];
}

export interface ServiceLoadBalancer {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
}

export interface EcsServiceResource extends SimResource {
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

export interface TaskResource extends SimResource {
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
  /** The EC2 container instance the task was placed on (EC2 capacity only). */
  containerInstanceArn?: string;
  attachmentId: string;
  privateIp?: string;
  subnetId?: string;
  availabilityZone: string;
  /** The simulated app: `healthy`, `unhealthy` (fails ELB checks) or `exits` (image contains `fail`). */
  appHealth: 'healthy' | 'unhealthy' | 'exits';
  runningAt: number;
  /** When the essential container exits on its own (standalone tasks, failing images). */
  exitAt?: number;
  /**
   * The task never starts: its execution role may not pull the image, read a secret or create the log
   * stream (./task-start.ts). It stops at `at` with `TaskFailedToStart` and ECS's `reason`.
   */
  startFailure?: { at: number; reason: string };
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

export const error = (code: string, message: string) => new AwsError(code, message, 400);

export const invalidParameter: InvalidInput = (message) => error('InvalidParameterException', message);

export const clientException = (message: string) => error('ClientException', message);

export const reader = (input: OperationInput) => new InputReader(input, invalidParameter);

export const clusterNotFound = () => error('ClusterNotFoundException', 'Cluster not found.');

export const serviceNotFound = () => error('ServiceNotFoundException', 'Service not found.');

export const serviceNotActive = () => error('ServiceNotActiveException', 'Service was not ACTIVE.');

export const taskDefinitionNotFound = () => clientException('Unable to describe task definition.');

export const arnPrefix = (ctx: SimContext) => `arn:aws:ecs:${ctx.region}:${ctx.accountId}`;

export const lastSegment = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

export const seconds = (millis: number | undefined) =>
  millis === undefined ? undefined : epochSeconds(millis);

export function readTags(r: InputReader): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of r.objects('tags')) tags[tag.requiredString('key')] = tag.string('value') ?? '';
  if (Object.keys(tags).length > 50) throw invalidParameter('The number of tags exceeds the limit of 50.');
  return tags;
}

export const tagsOut = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

export function readStrategy(r: InputReader, key: string): StrategyItem[] {
  return r.objects(key).map((item) => ({
    capacityProvider: item.requiredString('capacityProvider'),
    weight: item.number('weight') ?? 0,
    base: item.number('base') ?? 0,
  }));
}

/** A JSON-safe copy of an input member, for echoing structures AWS answers as given. */
export function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export function includes(r: InputReader, what: string): boolean {
  return r.strings('include').includes(what);
}

export const isFargateProvider = (name: string) => name === 'FARGATE' || name === 'FARGATE_SPOT';

export function clusterArnOf(ctx: SimContext, nameOrArn: string | undefined): string {
  const value = nameOrArn ?? 'default';
  return value.startsWith('arn:') ? value : `${arnPrefix(ctx)}:cluster/${value}`;
}

export function containerInstancesOf(
  ctx: SimContext,
  clusterArn: string,
  at = ctx.clock.now(),
): ContainerInstanceResource[] {
  return ctx.store
    .list<ContainerInstanceResource>('ecs-container-instance')
    .filter((instance) => instance.clusterArn === clusterArn && instance.registeredAt <= at);
}

export function tasksOf(ctx: SimContext, clusterArn: string): TaskResource[] {
  return ctx.store.list<TaskResource>('ecs-task').filter((task) => task.clusterArn === clusterArn);
}

export function servicesOf(ctx: SimContext, clusterArn: string): EcsServiceResource[] {
  return ctx.store
    .list<EcsServiceResource>('ecs-service')
    .filter((service) => service.clusterArn === clusterArn);
}
