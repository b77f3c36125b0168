/**
 * Per-team quotas: how much a team may hold at once. What an environment counts against them is a
 * pure function of its spec (`usageOf`), so creating, changing and deleting an environment move the
 * team's usage by exact, recomputable amounts.
 */
import { natGatewayCount } from './cost';
import type { EnvironmentSpec } from './spec';
import * as z from './zod';

export const QUOTA_DIMENSIONS = ['environments', 'tasks', 'natGateways', 'ec2Instances'] as const;
export type QuotaDimension = (typeof QUOTA_DIMENSIONS)[number];
/** An amount per dimension: limits, usage, or a change of usage. */
export type QuotaAmounts = Record<QuotaDimension, number>;

const DESCRIPTIONS: Record<QuotaDimension, string> = {
  environments: 'Environments not yet DELETED.',
  tasks: 'Desired tasks over all services.',
  natGateways: 'NAT gateways (each costs ~$32 a month).',
  ec2Instances: 'EC2 instances at the Auto Scaling groups’ maximum size.',
};

const amount = (dimension: QuotaDimension) =>
  z.meta(z.int().check(z.minimum(0), z.maximum(100000)), { description: DESCRIPTIONS[dimension] });

export const quotaAmountsSchema = z.strictObject({
  environments: amount('environments'),
  tasks: amount('tasks'),
  natGateways: amount('natGateways'),
  ec2Instances: amount('ec2Instances'),
});

/** The body of `PUT /teams/{team}/quotas`: the team's overrides; a dimension left out uses the default. */
export const quotaOverridesSchema = z.meta(z.partial(quotaAmountsSchema), {
  description: 'Per-team limits replacing the defaults; a dimension left out follows the default.',
});
export type QuotaOverrides = z.output<typeof quotaOverridesSchema>;

export const teamQuotasSchema = z.object({
  team: z.string(),
  limits: z.meta(quotaAmountsSchema, { description: 'The limits in force: overrides over defaults.' }),
  overrides: quotaOverridesSchema,
  usage: z.meta(quotaAmountsSchema, { description: 'What the team holds now.' }),
});
export type TeamQuotas = z.output<typeof teamQuotasSchema>;

/** Limits when configuration sets none: room for a handful of environments. */
export const BUILT_IN_QUOTA_DEFAULTS: QuotaAmounts = {
  environments: 10,
  tasks: 50,
  natGateways: 6,
  ec2Instances: 20,
};

export const ZERO_USAGE: QuotaAmounts = { environments: 0, tasks: 0, natGateways: 0, ec2Instances: 0 };

/**
 * The default limits from configuration (JSON such as `{"environments":10}`); a dimension left out
 * keeps its built-in default. Throws on anything else, so a typo fails the deploy's first call.
 */
export function parseQuotaDefaults(json: string | undefined): QuotaAmounts {
  if (json === undefined || json.trim() === '') return { ...BUILT_IN_QUOTA_DEFAULTS };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('QUOTA_DEFAULTS is not valid JSON');
  }
  const parsed = quotaOverridesSchema.safeParse(value);
  if (!parsed.success) throw new Error(`QUOTA_DEFAULTS is invalid: ${parsed.error.message}`);
  return effectiveLimits(BUILT_IN_QUOTA_DEFAULTS, parsed.data);
}

export function effectiveLimits(defaults: QuotaAmounts, overrides: QuotaOverrides): QuotaAmounts {
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
    natGateways: natGatewayCount(spec),
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
