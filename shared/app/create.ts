/**
 * POST /environments (and Slack's /berth create): validates the spec, checks it against the team's
 * policy, charges the team's quotas in the same write that records the environment, announces
 * REQUESTED and starts the provisioning workflow. Every front door goes through it, so each rule is written once.
 */
import { createHash } from 'node:crypto';
import type { Caller } from '../domain/caller';
import { canAccessTeam } from '../domain/caller';
import { type CostEstimate, estimateMonthlyCost } from '../domain/cost';
import type { Environment } from '../domain/environment';
import { FALLBACK_PRICE_REGION } from '../domain/prices';
import type { EnvironmentSpec } from '../domain/spec';
import { accountUsageOf, usageOf } from '../domain/usage';
import { AccountQuotaExceededError } from '../store/account-usage';
import {
  type EnvironmentStore,
  IdempotencyConflictError,
  NameTakenError,
  type StoredEnvironment,
} from '../store/environments';
import { newEnvironmentId } from '../store/ids';
import { QuotaExceededError } from '../store/quotas';
import { executionNames } from '../workflow/executions';
import { accountQuotaExceeded, admitToAccount } from './account-quotas';
import { announceStatus } from './announce-status';
import { UseCaseError, unavailable } from './errors';
import { assertIdempotencyKey } from './idempotency';
import type { Dependencies } from './ports';
import { limitsFor, quotaExceeded } from './quotas';
import { toView } from './reads';
import { assertDeployable, validateSpec } from './spec-request';
import { assertAllowedByPolicy } from './team-policies';

/** JSON with sorted keys: two requests that mean the same hash the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function hashSpec(spec: EnvironmentSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

export type CreateOutcome =
  | { kind: 'dry-run'; spec: EnvironmentSpec; cost: CostEstimate }
  | { kind: 'created' | 'replayed'; environment: Environment };

export async function createEnvironment(
  deps: Dependencies,
  caller: Caller,
  body: unknown,
  options: { idempotencyKey?: string; dryRun?: boolean } = {},
): Promise<CreateOutcome> {
  const { idempotencyKey } = options;
  assertIdempotencyKey(idempotencyKey);
  const spec = validateSpec(body);
  if (!canAccessTeam(caller, spec.team)) {
    throw new UseCaseError('forbidden', 'Forbidden', `you are not a member of team ${spec.team}`, [
      { path: '/team', message: 'not one of your teams' },
    ]);
  }
  assertDeployable(spec, deps);
  await assertAllowedByPolicy(deps.policies, spec);
  const cost = estimateMonthlyCost(spec, deps.region ?? FALLBACK_PRICE_REGION);
  if (options.dryRun) return { kind: 'dry-run', spec, cost };
  const usage = usageOf(spec);
  const quota = deps.quotas
    ? { team: spec.team, change: usage, limits: await limitsFor(deps.quotas, spec.team) }
    : undefined;
  // Refused here, before anything is written, when the AWS account's quotas leave no room.
  const accountUsage = accountUsageOf(spec);
  const account = deps.accountQuotas ? await admitToAccount(deps.accountQuotas, accountUsage) : undefined;

  const now = (deps.now ?? (() => new Date()))();
  const id = newEnvironmentId(now.getTime());
  const environment: StoredEnvironment = {
    id,
    team: spec.team,
    name: spec.name,
    createdBy: caller.subject,
    spec,
    status: 'REQUESTED',
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    progress: { percent: 0, completedSteps: [] },
    resources: {},
    outputs: {},
    owner: executionNames.provision(id),
    cost,
    ...(quota ? { quotaUsage: usage } : {}),
    ...(account ? { accountUsage: { scope: account.scope, amounts: accountUsage } } : {}),
    ...(spec.ticket ? { ticket: spec.ticket } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
  let result: Awaited<ReturnType<EnvironmentStore['create']>>;
  try {
    result = await deps.store.create({
      environment,
      requestHash: hashSpec(spec),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(quota ? { quota } : {}),
      ...(account ? { account } : {}),
    });
  } catch (error) {
    if (error instanceof QuotaExceededError && deps.quotas)
      throw await quotaExceeded(deps.quotas, error.charge);
    if (error instanceof AccountQuotaExceededError && deps.accountQuotas)
      throw await accountQuotaExceeded(deps.accountQuotas, error.charge);
    if (error instanceof NameTakenError) {
      throw new UseCaseError('conflict', 'Name taken', error.message, [
        { path: '/name', message: 'already used by an environment of this team' },
      ]);
    }
    if (error instanceof IdempotencyConflictError) {
      throw new UseCaseError('unprocessable', 'Idempotency-Key reused', error.message, [
        { path: 'Idempotency-Key', message: 'was used with a different request body' },
      ]);
    }
    throw error;
  }

  const stored = result.environment;
  if (!result.created) {
    // A replay of a create whose workflow start may have been lost: starting again is idempotent.
    if (stored.status === 'REQUESTED' && stored.owner) {
      // The lost attempt may not have announced it either; a second copy carries the same event id.
      if (!(await announceStatus(deps.notifier, stored, null))) {
        throw unavailable('the status event could not be published', undefined);
      }
      await deps.workflows.start('provision', stored.owner, {
        environmentId: stored.id,
        execution: stored.owner,
      });
    }
    return { kind: 'replayed', environment: toView(stored) };
  }
  // Announced before the workflow starts, so REQUESTED goes out before the workflow's PROVISIONING.
  // Until the workflow starts the create can still be undone, so an event that cannot be published
  // fails the request like a workflow that cannot start: nothing is left and the caller retries.
  if (!(await announceStatus(deps.notifier, stored, null))) {
    await deps.store.discard(stored, idempotencyKey);
    throw unavailable('the status event could not be published', undefined);
  }
  try {
    await deps.workflows.start('provision', environment.owner ?? id, {
      environmentId: id,
      execution: environment.owner,
    });
  } catch (error) {
    // Leave nothing behind: the caller may retry with the same name and key.
    await deps.store.discard(stored, idempotencyKey);
    throw unavailable('the provisioning workflow could not be started', error);
  }
  return { kind: 'created', environment: toView(stored) };
}
