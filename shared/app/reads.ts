/**
 * The read use cases: an environment (by id or by name) and a team's list, for every front door,
 * and the visibility rule every other use case loads an environment through. They need the table
 * only, so the functions that only read bundle neither the workflow starters nor the spec schema.
 */
import type { Caller } from '../domain/caller';
import { canAccessTeam } from '../domain/caller';
import type { Environment } from '../domain/environment';
import type { Status } from '../domain/status';
import { InvalidCursorError, type Page, type StoredEnvironment } from '../store/environment-reader';
import { ENVIRONMENT_ID } from '../store/ids';
import { notFound, UseCaseError } from './errors';
import type { ReadDependencies } from './ports';

/** The environment as callers see it: the stored record without the store's bookkeeping. */
export function toView(environment: StoredEnvironment): Environment {
  const {
    owner: _owner,
    requestHash: _requestHash,
    runtime: _runtime,
    quotaUsage: _quotaUsage,
    quotaReleasedAt: _quotaReleasedAt,
    accountUsage: _accountUsage,
    accountReleasedAt: _accountReleasedAt,
    stoppedRunAt: _stoppedRunAt,
    ...view
  } = environment;
  return view;
}

/** Loads an environment the caller may see; anything else answers exactly like a missing one. */
export async function loadVisible(
  deps: ReadDependencies,
  caller: Caller,
  id: string,
): Promise<StoredEnvironment> {
  if (!ENVIRONMENT_ID.test(id)) throw notFound();
  const environment = await deps.store.get(id);
  if (!environment || !canAccessTeam(caller, environment.team)) throw notFound();
  return environment;
}

export async function getEnvironment(
  deps: ReadDependencies,
  caller: Caller,
  id: string,
): Promise<Environment> {
  return toView(await loadVisible(deps, caller, id));
}

/** The team's environment called `name` (front doors that speak in names, like Slack); else 404. */
export async function getEnvironmentByName(
  deps: ReadDependencies,
  caller: Caller,
  team: string,
  name: string,
): Promise<Environment> {
  if (!canAccessTeam(caller, team)) throw notFound();
  const id = await deps.store.findIdByName(team, name);
  if (id === undefined) throw notFound();
  return getEnvironment(deps, caller, id);
}

export async function listEnvironments(
  deps: ReadDependencies,
  caller: Caller,
  query: { team?: string; status?: Status; limit: number; cursor?: string },
): Promise<Page<Environment>> {
  const teams = query.team ? [query.team] : [...caller.teams].sort();
  const visible = teams.filter((team) => canAccessTeam(caller, team));
  // Another team's list looks like a team without environments.
  if (visible.length === 0) return { items: [] };
  try {
    const page = await deps.store.list({
      teams: visible,
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return { ...page, items: page.items.map(toView) };
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new UseCaseError('bad-request', 'Invalid cursor', error.message, [
        { path: 'cursor', message: error.message },
      ]);
    }
    throw error;
  }
}
