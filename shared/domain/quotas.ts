/**
 * Per-team quotas: how much a team may hold at once. What an environment counts against them is a
 * pure function of its spec (`usageOf`), so creating, changing and deleting an environment move the
 * team's usage by exact, recomputable amounts.
 */
import {
  BUILT_IN_QUOTA_DEFAULTS,
  effectiveLimits,
  effectiveOneOffLimits,
  type OneOffDimension,
  type QuotaDimension,
  type QuotaLimits,
} from './usage';
import * as z from './zod';

const DESCRIPTIONS: Record<QuotaDimension | OneOffDimension, string> = {
  environments: 'Environments not yet DELETED.',
  tasks: 'Desired tasks over all services.',
  natGateways: 'NAT gateways (each costs ~$32 a month).',
  ec2Instances: 'EC2 instances at the Auto Scaling groups’ maximum size.',
  oneOffTasks:
    'One-off tasks (POST /environments/{id}/tasks) and job tasks running at once over all the team’s environments; counted from ECS at each request, so it has no usage figure. A run past it is refused; jobs are started by their schedule or queue all the same.',
  oneOffVcpus: 'The vCPUs of those one-off and job tasks (a task of cpu 1024 is 1 vCPU).',
};

const amount = (dimension: QuotaDimension | OneOffDimension) =>
  z.meta(z.int().check(z.minimum(0), z.maximum(100000)), { description: DESCRIPTIONS[dimension] });

export const quotaAmountsSchema = z.strictObject({
  environments: amount('environments'),
  tasks: amount('tasks'),
  natGateways: amount('natGateways'),
  ec2Instances: amount('ec2Instances'),
});

/** Every limit: the stored dimensions and the one-off task limits (which have no stored usage). */
export const quotaLimitsSchema = z.extend(quotaAmountsSchema, {
  oneOffTasks: amount('oneOffTasks'),
  oneOffVcpus: amount('oneOffVcpus'),
});

/** The body of `PUT /teams/{team}/quotas`: the team's overrides; a dimension left out uses the default. */
export const quotaOverridesSchema = z.meta(z.partial(quotaLimitsSchema), {
  description: 'Per-team limits replacing the defaults; a dimension left out follows the default.',
});
export type QuotaOverrides = z.output<typeof quotaOverridesSchema>;

export const teamQuotasSchema = z.object({
  team: z.string(),
  limits: z.meta(quotaLimitsSchema, { description: 'The limits in force: overrides over defaults.' }),
  overrides: quotaOverridesSchema,
  usage: z.meta(quotaAmountsSchema, { description: 'What the team holds now.' }),
});
export type TeamQuotas = z.output<typeof teamQuotasSchema>;

/**
 * The default limits from configuration (JSON such as `{"environments":10}`); a dimension left out
 * keeps its built-in default. Throws on anything else, so a typo fails the deploy's first call.
 */
export function parseQuotaDefaults(json: string | undefined): QuotaLimits {
  if (json === undefined || json.trim() === '') return { ...BUILT_IN_QUOTA_DEFAULTS };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('QUOTA_DEFAULTS is not valid JSON');
  }
  const parsed = quotaOverridesSchema.safeParse(value);
  if (!parsed.success) throw new Error(`QUOTA_DEFAULTS is invalid: ${parsed.error.message}`);
  return {
    ...effectiveLimits(BUILT_IN_QUOTA_DEFAULTS, parsed.data),
    ...effectiveOneOffLimits(BUILT_IN_QUOTA_DEFAULTS, parsed.data),
  };
}
