/**
 * DELETE: starts the teardown that owns an environment from then on. It needs neither the spec
 * schema nor the cost model nor the quotas, so the functions that delete bundle and load none of them.
 */
import type { Caller } from '../domain/caller';
import type { Environment } from '../domain/environment';
import { canDelete } from '../domain/status';
import { StaleVersionError, type StoredEnvironment } from '../store/environments';
import { executionNames } from '../workflow/executions';
import { announceStatus } from './announce-status';
import { UseCaseError, unavailable } from './errors';
import type { WriteDependencies } from './ports';
import { loadVisible, toView } from './reads';
import { parseIfMatch, staleVersion } from './versions';

export async function deleteEnvironment(
  deps: WriteDependencies,
  caller: Caller,
  id: string,
  ifMatch?: string,
): Promise<Environment> {
  // DELETE carries no If-Match: a version bumped meanwhile by a running workflow's progress is no
  // reason to refuse it, so a lost race is read again and retried while the status still allows it.
  for (let attempt = 0; ; attempt += 1) {
    const environment = await loadVisible(deps, caller, id);
    // If-Match is optional on DELETE: a client that sends it means "only the version I read".
    const expectedVersion = ifMatch === undefined ? undefined : parseIfMatch(ifMatch);
    if (expectedVersion !== undefined && environment.version !== expectedVersion) {
      throw staleVersion(id);
    }
    if (environment.status === 'DELETED') return toView(environment);
    if (environment.status === 'DELETING') return resumeTeardown(deps, environment);
    if (!canDelete(environment.status)) {
      throw new UseCaseError(
        'conflict',
        'Conflict',
        `an environment in status ${environment.status} cannot be deleted until its workflow ends`,
      );
    }
    const owner = executionNames.teardown(id, environment.version + 1);
    // A provisioning run is stopped below; a step of it may still be running (shared/workflow/sweep.ts).
    const stopsRun = environment.status === 'PROVISIONING' || environment.status === 'REQUESTED';
    let deleting: StoredEnvironment;
    try {
      deleting = await deps.store.update(
        id,
        { version: environment.version, status: environment.status },
        { status: 'DELETING', owner, ...(stopsRun ? { stoppedRunAt: new Date().toISOString() } : {}) },
        { type: 'delete-requested', status: 'DELETING', message: `delete requested by ${caller.subject}` },
      );
    } catch (error) {
      if (!(error instanceof StaleVersionError)) throw error;
      if (expectedVersion !== undefined) throw staleVersion(id);
      if (attempt < 10) continue;
      throw new UseCaseError(
        'conflict',
        'Conflict',
        `environment ${id} kept changing while it was being deleted; retry`,
      );
    }
    // Recorded, so the teardown must start whatever happens to the event: a lost one is only logged.
    await announceStatus(deps.notifier, deleting, environment.status);
    if (stopsRun) {
      // The provisioning run's own writes now fail (it no longer owns the item); stop it so it creates nothing more.
      await deps.workflows.stop('provision', executionNames.provision(id), `deleted by ${caller.subject}`);
    }
    return resumeTeardown(deps, deleting);
  }
}

/** Starts (or, when it already runs, finds) the teardown execution that owns a DELETING environment. */
async function resumeTeardown(deps: WriteDependencies, environment: StoredEnvironment): Promise<Environment> {
  const owner = environment.owner ?? executionNames.teardown(environment.id, environment.version);
  try {
    await deps.workflows.start('teardown', owner, { environmentId: environment.id, execution: owner });
  } catch (error) {
    throw unavailable('the teardown workflow could not be started', error);
  }
  return toView(environment);
}
