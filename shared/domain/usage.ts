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

/** Limits when configuration sets none: room for a handful of environments. */
export const BUILT_IN_QUOTA_DEFAULTS: QuotaAmounts = {
  environments: 10,
  tasks: 50,
  natGateways: 6,
  ec2Instances: 20,
};

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
