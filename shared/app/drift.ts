/**
 * The drift check: what an environment's spec asks for against what AWS reports now. Reading AWS is
 * passed in (`observe`), so this use case stays free of SDK calls and every front door shares it.
 */

import type { Caller } from '../domain/caller';
import {
  builtResourcesSchema,
  type DriftReport,
  driftReport,
  type ObservationTarget,
  type ObservedEnvironment,
} from '../domain/drift';
import { canCheckDrift } from '../domain/status';
import type { EnvironmentReader } from '../store/environment-reader';
import { UseCaseError } from './errors';
import { loadVisible } from './reads';

export interface DriftDependencies {
  store: EnvironmentReader;
  /** Read-only Describe calls (shared/aws/observe.ts in the API). */
  observe: (target: ObservationTarget) => Promise<ObservedEnvironment>;
  now?: () => Date;
}

export async function checkDrift(deps: DriftDependencies, caller: Caller, id: string): Promise<DriftReport> {
  const environment = await loadVisible(deps, caller, id);
  if (!canCheckDrift(environment.status)) {
    throw new UseCaseError(
      'conflict',
      'Conflict',
      `an environment in status ${environment.status} cannot be checked for drift: only READY and ` +
        'UPDATE_FAILED environments have settled resources to compare; check again once its workflow has ended',
    );
  }
  const built = builtResourcesSchema.safeParse(environment.runtime);
  if (!built.success) {
    throw new UseCaseError(
      'conflict',
      'Conflict',
      `environment ${id} has no record of the resources berth built, so there is nothing to compare; ` +
        'an update records it',
    );
  }
  const ref = { id: environment.id, name: environment.name, team: environment.team };
  let observed: ObservedEnvironment;
  try {
    observed = await deps.observe({
      ref,
      serviceNames: environment.spec.services.map((service) => service.name),
      built: built.data,
    });
  } catch (cause) {
    // Throttling, an outage or a missing permission: the report cannot be made now, and is not the caller's fault.
    const error = new UseCaseError(
      'unavailable',
      'Service Unavailable',
      'AWS could not be read to compare the environment; please retry',
    );
    error.cause = cause;
    throw error;
  }
  return driftReport(ref, environment.spec, observed, (deps.now ?? (() => new Date()))());
}
