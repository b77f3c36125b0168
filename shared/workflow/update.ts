/** The update workflow's tracked steps, for its progress percentage. */
import type { StoredEnvironment } from '../store/environments';

/** create-routing, two per service, remove-services, services-stable, and dns when asked for. */
export function updateStepCount(environment: StoredEnvironment): number {
  return 3 + 2 * environment.spec.services.length + (environment.spec.dns ? 1 : 0);
}
