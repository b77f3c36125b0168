/**
 * The environment use cases. Every front door (HTTP API, Slack, CLI through the API) goes through
 * these functions, so each business rule is written once: validation, ownership, idempotency,
 * status transitions and which workflow runs.
 */
import { createHash } from 'node:crypto';
import type { Caller } from '../domain/caller';
import { canAccessTeam } from '../domain/caller';
import { type CostEstimate, estimateMonthlyCost } from '../domain/cost';
import type { Environment } from '../domain/environment';
import { applyMergePatch, immutableChanges } from '../domain/patch';
import { FALLBACK_PRICE_REGION } from '../domain/prices';
import { type EnvironmentSpec, environmentRequestSchema, formatIssues } from '../domain/spec';
import { canUpdate } from '../domain/status';
import { usageChange, usageOf } from '../domain/usage';
import {
  type EnvironmentStore,
  IdempotencyConflictError,
  NameTakenError,
  StaleVersionError,
  type StoredEnvironment,
} from '../store/environments';
import { newEnvironmentId } from '../store/ids';
import { QuotaExceededError } from '../store/quotas';
import { executionNames, type WorkflowStarter } from '../workflow/executions';
import { UseCaseError, unavailable } from './errors';
import { assertIdempotencyKey } from './idempotency';
import { loadVisible, toView } from './reads';

// DELETE lives in delete.ts and the read use cases in reads.ts: the functions that only delete or
// read import them from there, and bundle none of the spec schema, quotas or cost model this module
// needs. Every other caller finds all environment use cases here.
export { deleteEnvironment } from './delete';
export {
  getEnvironment,
  getEnvironmentByName,
  listEnvironments,
  listEvents,
  loadVisible,
  type ReadDependencies,
  toView,
} from './reads';

import { announceStatus, type StatusNotifier } from './notifier';
import { limitsFor, type QuotaPolicy, quotaExceeded } from './quotas';
import { parseIfMatch, staleVersion } from './versions';

export interface Dependencies {
  store: EnvironmentStore;
  workflows: WorkflowStarter;
  /** Publishes the status event of every change made here; none are published without it. */
  notifier?: StatusNotifier;
  /** Team quotas; without them nothing is counted or refused. */
  quotas?: QuotaPolicy;
  /** The AWS Region environments are built in, for the cost estimate (us-east-1 prices without it). */
  region?: string;
  now?: () => Date;
}

/** Validates a request body against the spec schema; defaults applied. */
export function validateSpec(body: unknown): EnvironmentSpec {
  const parsed = environmentRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid environment request',
      'the request body does not describe a valid environment; see errors',
      formatIssues(parsed.error),
    );
  }
  return parsed.data;
}

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
  const cost = estimateMonthlyCost(spec, deps.region ?? FALLBACK_PRICE_REGION);
  if (options.dryRun) return { kind: 'dry-run', spec, cost };
  const usage = usageOf(spec);
  const quota = deps.quotas
    ? { team: spec.team, change: usage, limits: await limitsFor(deps.quotas, spec.team) }
    : undefined;

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
    });
  } catch (error) {
    if (error instanceof QuotaExceededError && deps.quotas)
      throw await quotaExceeded(deps.quotas, error.charge);
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
      immutable.map((path) => ({ path: `/${path.replaceAll('.', '/')}`, message: 'cannot change in place' })),
    );
  }
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
  let updated: StoredEnvironment;
  try {
    updated = await deps.store.update(
      id,
      { version: expectedVersion, status: environment.status },
      { spec, status: 'UPDATING', owner, cost, ...(quota ? { quotaUsage: usage } : {}) },
      { type: 'update-requested', status: 'UPDATING', message: `update requested by ${caller.subject}` },
      quota,
    );
  } catch (error) {
    if (error instanceof StaleVersionError) throw staleVersion(id);
    if (error instanceof QuotaExceededError && deps.quotas)
      throw await quotaExceeded(deps.quotas, error.charge);
    throw error;
  }
  // From here the change is recorded and cannot be taken back: a lost event is logged, not fatal.
  await announceStatus(deps.notifier, updated, environment.status);
  try {
    await deps.workflows.start('update', owner, { environmentId: id, execution: owner });
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
