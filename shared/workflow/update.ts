/** The update workflow's tracked steps, for its progress percentage. */
import type { StoredEnvironment } from '../store/environments';

/**
 * create-routing, create-execution-role, update-settings, two per service, remove-services,
 * services-stable, close-service-ports, remove-task-roles, dns when asked for, jobs when any.
 */
export function updateStepCount(environment: StoredEnvironment): number {
  const jobs = hasJobs(environment) ? 1 : 0;
  return 7 + 2 * environment.spec.services.length + (environment.spec.dns ? 1 : 0) + jobs;
}

/** Whether the jobs step has work: jobs in the spec, or jobs recorded that an update may have dropped. */
export function hasJobs(environment: StoredEnvironment): boolean {
  const recorded = environment.outputs.jobs;
  return environment.spec.jobs.length > 0 || (Array.isArray(recorded) && recorded.length > 0);
}
