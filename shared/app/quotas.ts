/**
 * Team quotas: reading and setting a team's limits, and turning a refused charge into the answer a
 * caller can act on. The limits themselves are enforced by the store, inside the transaction that
 * creates or changes an environment (see shared/store/quotas.ts).
 */

import type { Caller } from '../domain/caller';
import { canAccessTeam } from '../domain/caller';
import { formatIssues } from '../domain/issues';
import { quotaOverridesSchema, type TeamQuotas } from '../domain/quotas';
import {
  effectiveLimits,
  effectiveOneOffLimits,
  type OneOffAmounts,
  QUOTA_DIMENSIONS,
  type QuotaAmounts,
  quotaExcesses,
} from '../domain/usage';
import type { QuotaCharge } from '../store/quotas';
import { UseCaseError } from './errors';
import type { QuotaPolicy } from './ports';
import { assertTeamName } from './team-name';

export interface QuotaDependencies {
  quotas: QuotaPolicy;
}

/** The limits in force for `team`, read just before a charge so the condition carries them. */
export async function limitsFor(policy: QuotaPolicy, team: string): Promise<QuotaAmounts> {
  return effectiveLimits(policy.defaults, await policy.store.getOverrides(team));
}

/** The one-off task limits in force for `team` (shared/app/tasks.ts checks them before each RunTask). */
export async function oneOffLimitsFor(policy: QuotaPolicy, team: string): Promise<OneOffAmounts> {
  return effectiveOneOffLimits(policy.defaults, await policy.store.getOverrides(team));
}

/**
 * The 429 for a charge the store refused, naming each limit and its current use. Usage is read
 * again: the refusal came from a condition, which does not say which dimension failed.
 */
export async function quotaExceeded(policy: QuotaPolicy, charge: QuotaCharge): Promise<UseCaseError> {
  const limits = charge.limits ?? policy.defaults;
  const usage = await policy.store.getUsage(charge.team);
  let excesses = quotaExcesses(usage, charge.change, limits);
  if (excesses.length === 0) {
    // Capacity was freed between the refusal and this read: name every dimension that was asked for.
    excesses = QUOTA_DIMENSIONS.filter((dimension) => charge.change[dimension] > 0).map((dimension) => ({
      dimension,
      limit: limits[dimension],
      inUse: usage[dimension],
      requested: charge.change[dimension],
    }));
  }
  return quotaExceededError(charge.team, excesses, 'free capacity or ask an admin to raise the limit');
}

/** The 429 naming each limit (`quota.<dimension>`), its use and what was asked, then what the team can do. */
export function quotaExceededError(
  team: string,
  excesses: readonly { dimension: string; limit: number; inUse: number; requested: number }[],
  advice: string,
): UseCaseError {
  const summary = excesses
    .map(
      ({ dimension, limit, inUse, requested }) =>
        `${dimension} (limit ${limit}, in use ${inUse}, needs ${requested} more)`,
    )
    .join(', ');
  return new UseCaseError(
    'quota-exceeded',
    'Quota exceeded',
    `team ${team} would exceed its quota: ${summary}; ${advice}`,
    excesses.map(({ dimension, limit, inUse }) => ({
      path: `quota.${dimension}`,
      message: `limit ${limit}, in use ${inUse}`,
    })),
  );
}

async function teamQuotas(policy: QuotaPolicy, team: string): Promise<TeamQuotas> {
  const [overrides, usage] = await Promise.all([
    policy.store.getOverrides(team),
    policy.store.getUsage(team),
  ]);
  const limits = {
    ...effectiveLimits(policy.defaults, overrides),
    ...effectiveOneOffLimits(policy.defaults, overrides),
  };
  return { team, limits, overrides, usage };
}

/** A team's limits and current use; members of the team and admins may read them. */
export async function getTeamQuotas(
  deps: QuotaDependencies,
  caller: Caller,
  team: string,
): Promise<TeamQuotas> {
  assertTeamName(team);
  if (!canAccessTeam(caller, team)) {
    throw new UseCaseError('forbidden', 'Forbidden', `you are not a member of team ${team}`);
  }
  return teamQuotas(deps.quotas, team);
}

/**
 * Replaces a team's overrides (admins only). Lowering a limit below current use refuses no existing
 * environment; it only refuses growth until the team is back under it.
 */
export async function putTeamQuotas(
  deps: QuotaDependencies,
  caller: Caller,
  team: string,
  body: unknown,
): Promise<TeamQuotas> {
  assertTeamName(team);
  if (!caller.admin) {
    throw new UseCaseError('forbidden', 'Forbidden', 'only a berth admin may set quotas');
  }
  const parsed = quotaOverridesSchema.safeParse(body);
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid quotas',
      'the body must hold limits per dimension; see errors',
      formatIssues(parsed.error),
    );
  }
  await deps.quotas.store.putOverrides(team, parsed.data, caller.subject);
  return teamQuotas(deps.quotas, team);
}
