/**
 * Whether an environment fits what AWS gives it, decided at request time so that a spec AWS would
 * starve is refused (422) before anything is built (docs/aws-facts.md#subnet-addresses-and-eni-capacity):
 *
 * - Addresses. `planSubnets` cuts a /N VPC into /(N+4) subnets; each offers its size less the five
 *   addresses AWS reserves. The load balancer's subnets must be at least /27 with 8 free addresses
 *   (ELB's documented minimum, so that it can scale); the NAT gateway takes one public address; every
 *   task, interface endpoint and EC2 instance one application address. berth keeps its plan (so a
 *   running environment's subnets never move) and refuses a VPC smaller than the spec needs, naming
 *   the smallest one that fits.
 * - ENIs on EC2. Without ENI trunking each `awsvpc` task takes one of its instance's ENIs beyond the
 *   primary one (a t3.medium's 3 ENIs hold 2 tasks). berth does not turn trunking on (it is an account
 *   or instance-role setting, outside one environment), so it refuses a spec whose tasks cannot fit
 *   in `maxSize` instances at that limit.
 *
 * Both count the peak of a deployment: ECS starts up to desiredCount × maximumPercent / 100 tasks
 * (rounded down) before it stops old ones. Assumptions, written down in the facts: ECS spreads a
 * service's tasks evenly over the zones; each job runs one task at a time, in any zone; the Auto
 * Scaling group balances its instances over the zones. Pure: no SDK, no I/O.
 */
import { AUTO_VPC_PREFIX, parseCidr, plannedSubnetPrefix, usableAddresses } from './cidr';
import type { EnvironmentSpec } from './spec';
import { plannedEndpoints } from './vpc-endpoints';

/** A field of a valid spec AWS could not hold, as `assertDeployable` reports it (422). */
export interface CapacityProblem {
  path: (string | number)[];
  message: string;
}

/** ELB: each subnet of an Application Load Balancer at least a /27 with at least 8 free addresses. */
export const ALB_MIN_SUBNET_PREFIX = 27;
export const ALB_FREE_ADDRESSES = 8;

/** The VPC prefixes berth plans (spec.ts allows /16–/24). */
const LARGEST_VPC_PREFIX = 16;
const SMALLEST_VPC_PREFIX = 24;

type CapacitySpec = Pick<EnvironmentSpec, 'network' | 'cluster' | 'loadBalancer' | 'services' | 'jobs'>;

/** The most tasks of a service ECS runs at once: during a deployment, desired × maximumPercent / 100. */
export function peakTasks(service: EnvironmentSpec['services'][number]): number {
  return Math.max(
    service.desiredCount,
    Math.floor((service.desiredCount * service.deployment.maximumPercent) / 100),
  );
}

/** Addresses the busiest zone needs in its public and its application subnet. */
export interface AddressDemand {
  public: number;
  app: number;
  /** Where the load balancer is, whose subnets must be at least /27. */
  loadBalancerTier: 'public' | 'app';
}

export function addressDemand(spec: CapacitySpec): AddressDemand {
  const zones = spec.network.availabilityZones;
  const internal = spec.loadBalancer.scheme === 'internal';
  // A single NAT gateway sits in the first zone, which is then the busiest public subnet.
  const nat = spec.network.natGateways === 'none' ? 0 : 1;
  const tasks =
    spec.services.reduce((sum, service) => sum + Math.ceil(peakTasks(service) / zones), 0) + spec.jobs.length;
  const endpoints = plannedEndpoints(spec).filter((endpoint) => endpoint.type === 'Interface').length;
  const instances = spec.cluster.ec2 ? Math.ceil(spec.cluster.ec2.maxSize / zones) : 0;
  return {
    public: nat + (internal ? 0 : ALB_FREE_ADDRESSES),
    app: tasks + endpoints + instances + (internal ? ALB_FREE_ADDRESSES : 0),
    loadBalancerTier: internal ? 'app' : 'public',
  };
}

/** True when the subnets planned for a /`vpcPrefix` VPC hold `demand`. */
function fits(vpcPrefix: number, demand: AddressDemand): boolean {
  const subnetPrefix = plannedSubnetPrefix(vpcPrefix);
  const usable = usableAddresses(subnetPrefix);
  return subnetPrefix <= ALB_MIN_SUBNET_PREFIX && usable >= demand.public && usable >= demand.app;
}

/** The smallest VPC (largest prefix) whose planned subnets hold the spec, or undefined if none does. */
export function minimumVpcPrefix(spec: CapacitySpec): number | undefined {
  const demand = addressDemand(spec);
  for (let prefix = SMALLEST_VPC_PREFIX; prefix >= LARGEST_VPC_PREFIX; prefix -= 1) {
    if (fits(prefix, demand)) return prefix;
  }
  return undefined;
}

function describeDemand(demand: AddressDemand): string {
  const publicPart =
    demand.loadBalancerTier === 'public'
      ? `${demand.public} free addresses per public subnet (the load balancer's 8 and the NAT gateway)`
      : `${demand.public} per public subnet`;
  return `${publicPart} and ${demand.app} per application subnet (tasks at maximumPercent, interface endpoints, instances${demand.loadBalancerTier === 'app' ? ', the internal load balancer' : ''}), in subnets of at least /${ALB_MIN_SUBNET_PREFIX} for the load balancer`;
}

/**
 * Why the VPC the spec asks for (`auto`: a /20) cannot hold it, at `/network/cidr`: the subnets it
 * would have, what the spec needs, and the smallest VPC that fits.
 */
export function networkCapacityProblems(spec: CapacitySpec): CapacityProblem[] {
  const auto = spec.network.cidr === 'auto';
  const prefix = auto ? AUTO_VPC_PREFIX : parseCidr(spec.network.cidr).prefix;
  const demand = addressDemand(spec);
  if (fits(prefix, demand)) return [];
  const minimum = minimumVpcPrefix(spec);
  const subnetPrefix = plannedSubnetPrefix(prefix);
  const have = `${auto ? `"auto" allocates a /${prefix} VPC, which` : `a /${prefix} VPC`} plans /${subnetPrefix} subnets of ${usableAddresses(subnetPrefix)} usable addresses`;
  const remedy =
    minimum === undefined
      ? `no VPC berth plans is large enough (a /${LARGEST_VPC_PREFIX} gives ${usableAddresses(plannedSubnetPrefix(LARGEST_VPC_PREFIX))} per subnet): lower desiredCount or maximumPercent, or spread over more availability zones`
      : `the minimum is a /${minimum} VPC${auto ? ': give network.cidr explicitly' : ''}`;
  return [
    { path: ['network', 'cidr'], message: `${have}; this spec needs ${describeDemand(demand)}; ${remedy}` },
  ];
}

/**
 * ENIs an instance type can have attached, its primary one included (EC2 User Guide, "Maximum IP
 * addresses per network interface"): the types berth prices (prices.ts). Without ENI trunking an
 * instance holds this less one `awsvpc` tasks (ECS Developer Guide, "Increase task density with ENI
 * trunking": a c5.large's 3 ENIs hold 2 tasks).
 */
export const MAX_NETWORK_INTERFACES: Readonly<Record<string, number>> = {
  't3.micro': 2,
  't3.small': 3,
  't3.medium': 3,
  't3.large': 3,
  't3.xlarge': 4,
  't3.2xlarge': 4,
  't3a.medium': 3,
  't3a.large': 3,
  't4g.medium': 3,
  't4g.large': 3,
  'm5.large': 3,
  'm5.xlarge': 4,
  'm5.2xlarge': 4,
  'm6i.large': 3,
  'm6i.xlarge': 4,
  'm6g.large': 3,
  'm7g.large': 3,
  'm7g.xlarge': 4,
  'c5.large': 3,
  'c6i.large': 3,
  'c7g.large': 3,
  'r5.large': 3,
  'r6i.large': 3,
};

/** `awsvpc` tasks one instance of the type holds without trunking, or undefined for a type berth does not know. */
export function tasksPerInstance(instanceType: string): number | undefined {
  const enis = MAX_NETWORK_INTERFACES[instanceType];
  return enis === undefined ? undefined : enis - 1;
}

/**
 * Why the EC2 capacity cannot hold the environment's tasks: a type without a known ENI limit (at
 * `/cluster/ec2/instanceType`), or more tasks at the peak of a deployment than `maxSize` instances
 * hold (at `/cluster/ec2/maxSize`, with the size that would).
 */
export function ec2CapacityProblems(spec: CapacitySpec): CapacityProblem[] {
  const { ec2 } = spec.cluster;
  if (spec.cluster.capacity !== 'EC2' || !ec2) return [];
  const perInstance = tasksPerInstance(ec2.instanceType);
  if (perInstance === undefined) {
    return [
      {
        path: ['cluster', 'ec2', 'instanceType'],
        message: `berth knows no ENI limit for ${ec2.instanceType}, so it cannot tell how many tasks fit: use one of ${Object.keys(MAX_NETWORK_INTERFACES).join(', ')}`,
      },
    ];
  }
  const peak = spec.services.reduce((sum, service) => sum + peakTasks(service), 0) + spec.jobs.length;
  const held = ec2.maxSize * perInstance;
  if (peak <= held) return [];
  return [
    {
      path: ['cluster', 'ec2', 'maxSize'],
      message: `${ec2.maxSize} ${ec2.instanceType} instances hold ${held} awsvpc tasks (${perInstance} each: ${perInstance + 1} ENIs less the primary, without ENI trunking), but the services and jobs run up to ${peak} at once during a deployment (desiredCount × maximumPercent / 100): use maxSize ${Math.ceil(peak / perInstance)} or more, a type with more ENIs, or fewer tasks`,
    },
  ];
}

/** Every capacity problem of the spec (both kinds), for `assertDeployable`. */
export function capacityProblems(spec: CapacitySpec): CapacityProblem[] {
  return [...networkCapacityProblems(spec), ...ec2CapacityProblems(spec)];
}
