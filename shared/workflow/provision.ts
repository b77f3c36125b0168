/**
 * The provisioning workflow's shared vocabulary: the state it passes between steps and the number
 * of tracked steps an environment's run has (for its progress percentage).
 */
import type { VpcEndpointsState } from '../aws/endpoints';
import type { NetworkResources } from '../aws/network';
import type { JobOutput } from '../domain/environment';
import type { StoredEnvironment } from '../store/environments';
import type { PollState } from './polling';
import type { StepEvent } from './step';
import { updateStepCount } from './update';

export interface LoadBalancerState {
  arn: string;
  dnsName: string;
  canonicalHostedZoneId: string;
}

export interface RoutingState {
  httpListenerArn: string;
  httpsListenerArn?: string;
  /** Target group ARN per service name. */
  targetGroups: Record<string, string>;
}

export interface ClusterState {
  clusterName: string;
  clusterArn: string;
  capacityProviderName?: string;
}

export interface PreparedService {
  service: string;
  logGroup: string;
  taskDefinitionArn: string;
}

/**
 * What create-execution-role hands on: the role every task definition of the environment names, and
 * the task role berth created for each service that declares `iam`, by service name.
 */
export interface ExecutionRoleState {
  executionRoleArn: string;
  /** Absent from runs of a state machine older than task roles. */
  taskRoleArns?: Record<string, string>;
}

export interface PlatformState {
  nat: Record<string, never>;
  loadBalancer: LoadBalancerState & RoutingState;
  cluster: ClusterState;
  services: PreparedService[];
  /** The environment's task execution role (create-execution-role), for the jobs' task definitions. */
  executionRoleArn: string;
  /** The VPC endpoints without NAT (create-vpc-endpoints); absent from runs made before them. */
  endpoints?: VpcEndpointsState;
}

export interface ProvisionEvent extends StepEvent {
  cidr?: { cidr: string };
  network?: NetworkResources & { natCount: number };
  loadBalancer?: LoadBalancerState;
  platform?: PlatformState;
  /** What create-vpc-endpoints made; `ready` when nothing is left to wait for. */
  endpoints?: VpcEndpointsState & { ready: boolean };
  poll?: PollState;
  service?: string;
  /** The environment's task execution role, handed to each prepare-service. */
  executionRoleArn?: string;
  /** The task roles berth created (create-execution-role), by service name, handed to each prepare-service. */
  taskRoleArns?: Record<string, string>;
  /** The Map over services: one entry per created ECS service. */
  services?: { service: string; serviceArn: string }[];
  /** The jobs step's records (an empty list when the environment has no jobs). */
  jobs?: JobOutput[];
}

/**
 * Tracked steps of the run the environment is in, for its progress percentage. Provisioning: fixed
 * ones, two per service, two for the way out (NAT or VPC endpoints), the optional DNS one. Updates reuse steps, with their own count.
 */
export function stepCount(environment: StoredEnvironment): number {
  if (environment.status === 'UPDATING') return updateStepCount(environment);
  const { spec } = environment;
  // The way out: nat-gateways-available and route-through-nat, or without NAT create-vpc-endpoints
  // and vpc-endpoints-available.
  const nat = 2;
  const dns = spec.dns ? 1 : 0;
  const jobs = spec.jobs.length > 0 ? 1 : 0;
  // allocate-cidr, create-network, create-load-balancer, load-balancer-active, create-routing,
  // create-cluster, create-execution-role, services-stable
  return 8 + nat + dns + jobs + 2 * spec.services.length;
}

/** The spec of one of the environment's services, by name (the workflow passes names, not specs). */
export function serviceSpec(environment: StoredEnvironment, name: string) {
  const service = environment.spec.services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`environment ${environment.id} has no service ${name}`);
  return service;
}
