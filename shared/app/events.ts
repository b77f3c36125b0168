/** GET /environments/{id}/events: an environment's history, oldest first, to those who may see it. */
import type { Caller } from '../domain/caller';
import type { EnvironmentEvent } from '../domain/environment';
import { InvalidCursorError, type Page } from '../store/environment-reader';
import { UseCaseError } from './errors';
import type { ReadDependencies } from './ports';
import { loadVisible } from './reads';

export async function listEvents(
  deps: ReadDependencies,
  caller: Caller,
  id: string,
  query: { limit: number; cursor?: string },
): Promise<Page<EnvironmentEvent>> {
  await loadVisible(deps, caller, id);
  try {
    return await deps.store.listEvents(id, query.limit, query.cursor);
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new UseCaseError('bad-request', 'Invalid cursor', error.message, [
        { path: 'cursor', message: error.message },
      ]);
    }
    throw error;
  }
}
