/**
 * PATCH /environments/{id}: a JSON merge patch on the spec, If-Match required. Moves the quota usage
 * by the difference in the same write as the spec, announces UPDATING and starts the update workflow.
 */
import type { Caller } from '../domain/caller';
import { estimateMonthlyCost } from '../domain/cost';
import type { Environment } from '../domain/environment';
import { applyMergePatch, changedSettings, immutableChanges, immutableReason } from '../domain/patch';
import { FALLBACK_PRICE_REGION } from '../domain/prices';
import { canUpdate } from '../domain/status';
import { accountUsageChange, accountUsageOf, usageChange, usageOf } from '../domain/usage';
import { AccountQuotaExceededError } from '../store/account-usage';
import { StaleVersionError, type StoredEnvironment } from '../store/environments';
import { QuotaExceededError } from '../store/quotas';
import { executionNames } from '../workflow/executions';
import { accountQuotaExceeded, admitToAccount } from './account-quotas';
import { announceStatus } from './announce-status';
import { UseCaseError, unavailable } from './errors';
import type { Dependencies } from './ports';
import { limitsFor, quotaExceeded } from './quotas';
import { loadVisible, toView } from './reads';
import { assertDeployable, validateSpec } from './spec-request';
import { assertAllowedByPolicy } from './team-policies';
import { parseIfMatch, staleVersion } from './versions';

export async function updateEnvironment(
  deps: Dependencies,
  caller: Caller,
  id: string,
  patch: unknown,
  ifMatch: string | undefined,
): Promise<Environment> {
  const expectedVersion = parseIfMatch(ifMatch);
  const environment = await loadVisible(deps, caller, id);
  if (environment.version !== expectedVersion) throw staleVersion(id);
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new UseCaseError('bad-request', 'Invalid patch', 'the body must be a JSON merge patch object', [
      { path: '', message: 'expected an object' },
    ]);
  }
  const spec = validateSpec(applyMergePatch(environment.spec, patch));
  const immutable = immutableChanges(environment.spec, spec);
  if (immutable.length > 0) {
    throw new UseCaseError(
      'unprocessable',
      'Field cannot change in place',
      `these fields cannot change on an existing environment: ${immutable.join(', ')}; create a new environment instead`,
      immutable.map((path) => ({
        path: `/${path.replaceAll('.', '/')}`,
        message: `cannot change in place: ${immutableReason(path)}`,
      })),
    );
  }
  assertDeployable(spec, deps);
  await assertAllowedByPolicy(deps.policies, spec, environment.spec);
  if (!canUpdate(environment.status)) {
    throw new UseCaseError(
      'conflict',
      'Conflict',
      `an environment in status ${environment.status} cannot be updated; wait until it is READY`,
    );
  }
  const owner = executionNames.update(id, expectedVersion + 1);
  const cost = estimateMonthlyCost(spec, deps.region ?? FALLBACK_PRICE_REGION);
  // Usage moves by the difference in the same write as the spec; an environment created before
  // quotas existed (no quotaUsage) stays uncounted.
  const usage = usageOf(spec);
  const quota =
    deps.quotas && environment.quotaUsage
      ? {
          team: environment.team,
          change: usageChange(environment.quotaUsage, usage),
          limits: await limitsFor(deps.quotas, environment.team),
        }
      : undefined;
  // Growth of what the environment holds of the AWS account's quotas (NAT gateways, Elastic IPs,
  // target groups, Fargate vCPUs) is admitted as a create is, before anything is written.
  const accountAmounts = accountUsageOf(spec);
  const account =
    deps.accountQuotas && environment.accountUsage
      ? await admitToAccount(
          deps.accountQuotas,
          accountUsageChange(environment.accountUsage.amounts, accountAmounts),
          environment.accountUsage.scope,
        )
      : undefined;
  let updated: StoredEnvironment;
  try {
    updated = await deps.store.update(
      id,
      { version: expectedVersion, status: environment.status },
      // The ticket follows the spec (undefined removes it), so status events carry the one now in force.
      {
        spec,
        status: 'UPDATING',
        owner,
        cost,
        ticket: spec.ticket,
        ...(quota ? { quotaUsage: usage } : {}),
        ...(account ? { accountUsage: { scope: account.scope, amounts: accountAmounts } } : {}),
      },
      { type: 'update-requested', status: 'UPDATING', message: `update requested by ${caller.subject}` },
      quota,
      account,
    );
  } catch (error) {
    if (error instanceof StaleVersionError) throw staleVersion(id);
    if (error instanceof QuotaExceededError && deps.quotas)
      throw await quotaExceeded(deps.quotas, error.charge);
    if (error instanceof AccountQuotaExceededError && deps.accountQuotas)
      throw await accountQuotaExceeded(deps.accountQuotas, error.charge);
    throw error;
  }
  // From here the change is recorded and cannot be taken back: a lost event is logged, not fatal.
  await announceStatus(deps.notifier, updated, environment.status);
  try {
    await deps.workflows.start('update', owner, {
      environmentId: id,
      execution: owner,
      changed: changedSettings(environment.spec, spec),
    });
  } catch (error) {
    const failed = await deps.store.update(
      id,
      { owner, status: 'UPDATING' },
      {
        status: 'UPDATE_FAILED',
        error: { code: 'WorkflowNotStarted', message: 'the update workflow could not be started' },
      },
    );
    await announceStatus(deps.notifier, failed, 'UPDATING');
    throw unavailable('the update workflow could not be started', error);
  }
  return toView(updated);
}
