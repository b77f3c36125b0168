/**
 * What an environment counts against its team's quotas, as plain arithmetic: a pure function of its
 * spec (`usageOf`), so creating, changing and deleting an environment move the team's usage by
 * exact, recomputable amounts. Kept apart from the quota schemas (quotas.ts) so that the store and
 * the functions that only read bundle no zod.
 */
import { natGatewayCount } from './nat-gateways';
import type { EnvironmentSpec } from './spec';

export const QUOTA_DIMENSIONS = ['environments', 'tasks', 'natGateways', 'ec2Instances'] as const;
export type QuotaDimension = (typeof QUOTA_DIMENSIONS)[number];
/** An amount per dimension: limits, usage, or a change of usage. */
export type QuotaAmounts = Record<QuotaDimension, number>;

/**
 * Limits on what a team runs at once outside its services: one-off tasks started through
 * `POST /environments/{id}/tasks` and job tasks, and their vCPUs. Not stored usage: ECS is asked what is running
 * at each request (shared/app/tasks.ts says why), so these are limits without a usage counter.
 */
export const ONE_OFF_DIMENSIONS = ['oneOffTasks', 'oneOffVcpus'] as const;
export type OneOffDimension = (typeof ONE_OFF_DIMENSIONS)[number];
export type OneOffAmounts = Record<OneOffDimension, number>;

/** Every limit a team has: the stored dimensions and the one-off ones. */
export type QuotaLimits = QuotaAmounts & OneOffAmounts;

/** Limits when configuration sets none: room for a handful of environments and a few one-off tasks. */
export const BUILT_IN_QUOTA_DEFAULTS: QuotaLimits = {
  environments: 10,
  tasks: 50,
  natGateways: 6,
  ec2Instances: 20,
  oneOffTasks: 10,
  oneOffVcpus: 8,
};

/** The one-off limits in force: the team's overrides over the defaults (built-in where a default leaves one out). */
export function effectiveOneOffLimits(
  defaults: Partial<OneOffAmounts>,
  overrides: Partial<OneOffAmounts>,
): OneOffAmounts {
  return {
    oneOffTasks: overrides.oneOffTasks ?? defaults.oneOffTasks ?? BUILT_IN_QUOTA_DEFAULTS.oneOffTasks,
    oneOffVcpus: overrides.oneOffVcpus ?? defaults.oneOffVcpus ?? BUILT_IN_QUOTA_DEFAULTS.oneOffVcpus,
  };
}

/** The one-off limits that running `requested` more would pass, given what runs now. */
export function oneOffExcesses(
  running: OneOffAmounts,
  requested: OneOffAmounts,
  limits: OneOffAmounts,
): { dimension: OneOffDimension; limit: number; inUse: number; requested: number }[] {
  return ONE_OFF_DIMENSIONS.filter(
    (dimension) => running[dimension] + requested[dimension] > limits[dimension],
  ).map((dimension) => ({
    dimension,
    limit: limits[dimension],
    inUse: running[dimension],
    requested: requested[dimension],
  }));
}

export const ZERO_USAGE: QuotaAmounts = { environments: 0, tasks: 0, natGateways: 0, ec2Instances: 0 };

export function effectiveLimits(defaults: QuotaAmounts, overrides: Partial<QuotaAmounts>): QuotaAmounts {
  return {
    environments: overrides.environments ?? defaults.environments,
    tasks: overrides.tasks ?? defaults.tasks,
    natGateways: overrides.natGateways ?? defaults.natGateways,
    ec2Instances: overrides.ec2Instances ?? defaults.ec2Instances,
  };
}

/** What one environment of `spec` counts against its team's quotas. */
export function usageOf(spec: EnvironmentSpec): QuotaAmounts {
  const { capacity, ec2 } = spec.cluster;
  return {
    environments: 1,
    tasks: spec.services.reduce((sum, service) => sum + service.desiredCount, 0),
    natGateways: natGatewayCount(spec.network),
    // The maximum, not the desired capacity: scaling out to it must not need a quota check.
    ec2Instances: capacity === 'EC2' && ec2 ? ec2.maxSize : 0,
  };
}

/** `after - before`, per dimension. */
export function usageChange(before: QuotaAmounts, after: QuotaAmounts): QuotaAmounts {
  return {
    environments: after.environments - before.environments,
    tasks: after.tasks - before.tasks,
    natGateways: after.natGateways - before.natGateways,
    ec2Instances: after.ec2Instances - before.ec2Instances,
  };
}

export interface QuotaExcess {
  dimension: QuotaDimension;
  limit: number;
  inUse: number;
  requested: number;
}

/**
 * The dimensions that `change` would take past their limits. A decrease is never an excess, even
 * when the team is above a limit that was lowered after the fact.
 */
export function quotaExcesses(
  usage: QuotaAmounts,
  change: QuotaAmounts,
  limits: QuotaAmounts,
): QuotaExcess[] {
  return QUOTA_DIMENSIONS.filter(
    (dimension) => change[dimension] > 0 && usage[dimension] + change[dimension] > limits[dimension],
  ).map((dimension) => ({
    dimension,
    limit: limits[dimension],
    inUse: usage[dimension],
    requested: change[dimension],
  }));
}

// ---------------------------------------------------------------------------------------------
// Account quotas: what an environment counts against the AWS account's service quotas
// (docs/aws-facts.md#account-quotas-and-the-service-quotas-api). Unlike team quotas these limits are
// AWS's, read from Service Quotas, and shared with everything else in the account and Region.
// ---------------------------------------------------------------------------------------------

export const ACCOUNT_DIMENSIONS = [
  'vpcs',
  'internetGateways',
  'natGatewaysPerZone',
  'elasticIps',
  'loadBalancers',
  'targetGroups',
  'fargateVcpus',
  'fargateSpotVcpus',
] as const;
export type AccountDimension = (typeof ACCOUNT_DIMENSIONS)[number];
export type AccountAmounts = Record<AccountDimension, number>;

export interface AccountQuotaRef {
  /** Service Quotas' service code and quota code, as the console and RequestServiceQuotaIncrease take them. */
  serviceCode: string;
  quotaCode: string;
  /** AWS's name of the quota. */
  name: string;
}

/** The AWS quota behind each dimension. */
export const ACCOUNT_QUOTAS: Record<AccountDimension, AccountQuotaRef> = {
  vpcs: { serviceCode: 'vpc', quotaCode: 'L-F678F1CE', name: 'VPCs per Region' },
  internetGateways: { serviceCode: 'vpc', quotaCode: 'L-A4707A72', name: 'Internet gateways per Region' },
  natGatewaysPerZone: {
    serviceCode: 'vpc',
    quotaCode: 'L-FE5A380F',
    name: 'NAT gateways per Availability Zone',
  },
  elasticIps: { serviceCode: 'ec2', quotaCode: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs' },
  loadBalancers: {
    serviceCode: 'elasticloadbalancing',
    quotaCode: 'L-53DA6B97',
    name: 'Application Load Balancers per Region',
  },
  targetGroups: {
    serviceCode: 'elasticloadbalancing',
    quotaCode: 'L-B22855CB',
    name: 'Target Groups per Region',
  },
  fargateVcpus: {
    serviceCode: 'fargate',
    quotaCode: 'L-3032A538',
    name: 'Fargate On-Demand vCPU resource count',
  },
  fargateSpotVcpus: {
    serviceCode: 'fargate',
    quotaCode: 'L-36FBB829',
    name: 'Fargate Spot vCPU resource count',
  },
};

export const ZERO_ACCOUNT_USAGE: AccountAmounts = {
  vpcs: 0,
  internetGateways: 0,
  natGatewaysPerZone: 0,
  elasticIps: 0,
  loadBalancers: 0,
  targetGroups: 0,
  fargateVcpus: 0,
  fargateSpotVcpus: 0,
};

/**
 * What one environment of `spec` counts against the account's quotas. Every environment has its
 * own VPC, internet gateway and ALB, one target group per service, one Elastic IP per NAT gateway.
 * NAT gateways go in the first of the environment's zones first (zones are the Region's first by
 * name), so however many it has, it adds at most one to the busiest zone. Fargate counts the desired
 * tasks' vCPUs (a rollout briefly runs more; the quota's default leaves room for it).
 */
export function accountUsageOf(spec: EnvironmentSpec): AccountAmounts {
  const natGateways = natGatewayCount(spec.network);
  const vcpus = spec.services.reduce((sum, service) => sum + (service.cpu / 1024) * service.desiredCount, 0);
  return {
    vpcs: 1,
    internetGateways: 1,
    natGatewaysPerZone: natGateways > 0 ? 1 : 0,
    elasticIps: natGateways,
    loadBalancers: 1,
    targetGroups: spec.services.length,
    fargateVcpus: spec.cluster.capacity === 'FARGATE' ? Math.ceil(vcpus) : 0,
    fargateSpotVcpus: spec.cluster.capacity === 'FARGATE_SPOT' ? Math.ceil(vcpus) : 0,
  };
}

export function accountUsageChange(before: AccountAmounts, after: AccountAmounts): AccountAmounts {
  const change = { ...ZERO_ACCOUNT_USAGE };
  for (const dimension of ACCOUNT_DIMENSIONS) change[dimension] = after[dimension] - before[dimension];
  return change;
}

/** The account's quotas as read from Service Quotas, and what AWS shows in use that berth did not make. */
export interface AccountQuotaSnapshot {
  /** The AWS account id and Region the quotas apply to (one usage record per pair). */
  account: string;
  region: string;
  /** The applied value of each quota. */
  values: AccountAmounts;
  /** Resources counting against a quota that berth did not make (the default VPC, others' VPCs). */
  external: AccountAmounts;
}

/** What berth may hold: each quota less what others hold (never below zero). */
export function berthAccountLimits(snapshot: AccountQuotaSnapshot): AccountAmounts {
  const limits = { ...ZERO_ACCOUNT_USAGE };
  for (const dimension of ACCOUNT_DIMENSIONS) {
    limits[dimension] = Math.max(0, snapshot.values[dimension] - snapshot.external[dimension]);
  }
  return limits;
}

export interface AccountQuotaExcess extends AccountQuotaRef {
  dimension: AccountDimension;
  limit: number;
  /** In use now: berth's reservations plus what others hold. */
  inUse: number;
  requested: number;
}

/** The quotas `change` would take past their values, given berth's reservations `reserved`. */
export function accountQuotaExcesses(
  snapshot: AccountQuotaSnapshot,
  reserved: AccountAmounts,
  change: AccountAmounts,
): AccountQuotaExcess[] {
  return ACCOUNT_DIMENSIONS.filter(
    (dimension) =>
      change[dimension] > 0 &&
      reserved[dimension] + snapshot.external[dimension] + change[dimension] > snapshot.values[dimension],
  ).map((dimension) => ({
    dimension,
    ...ACCOUNT_QUOTAS[dimension],
    limit: snapshot.values[dimension],
    inUse: reserved[dimension] + snapshot.external[dimension],
    requested: change[dimension],
  }));
}

/** The account quota behind each AWS refusal of a create past one (EC2's codes, ELB's wire codes and SDK names). */
const QUOTA_OF_AWS_ERROR: Record<string, AccountDimension> = {
  VpcLimitExceeded: 'vpcs',
  InternetGatewayLimitExceeded: 'internetGateways',
  NatGatewayLimitExceeded: 'natGatewaysPerZone',
  AddressLimitExceeded: 'elasticIps',
  TooManyLoadBalancers: 'loadBalancers',
  TooManyLoadBalancersException: 'loadBalancers',
  TooManyTargetGroups: 'targetGroups',
  TooManyTargetGroupsException: 'targetGroups',
};

/**
 * For an AWS error code that means "an account quota is full", the quota and how to raise it, so a
 * build that AWS refused (usage berth did not make) ends FAILED naming it; undefined for any other code.
 */
export function awsQuotaHint(code: string): string | undefined {
  const dimension = QUOTA_OF_AWS_ERROR[code];
  if (!dimension) return undefined;
  const { name, serviceCode, quotaCode } = ACCOUNT_QUOTAS[dimension];
  return `the AWS account quota "${name}" (${serviceCode} ${quotaCode}) is full: free capacity, or raise it in the Service Quotas console or with RequestServiceQuotaIncrease`;
}
