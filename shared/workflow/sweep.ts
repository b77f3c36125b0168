/**
 * The last sweep of a teardown that took over from a run still in flight. Stopping a Step Functions
 * execution (a DELETE during provisioning) or failing a Parallel state (a rollback) ends the
 * workflow, not the Lambda invocations it had started: a step already running keeps calling AWS until
 * it returns or reaches its Lambda timeout. A teardown that declared itself done before then could
 * leave a VPC or load balancer created a moment later behind, untracked, with the team's quota given
 * back. So such a teardown keeps passing over the environment's tagged resources until the longest
 * step timeout has gone by since it began, and only a pass after that may end it.
 */

/**
 * The longest Lambda timeout of any workflow step (infra/functions/steps.js; a unit test keeps the
 * two in step), in seconds.
 */
export const LONGEST_STEP_SECONDS = 120;

export interface SweepState {
  /** Seconds the workflow has waited between this teardown's passes so far. */
  waited?: number;
}

/**
 * The seconds waited before this pass (the previous passes' waits, summed) and whether the sweep must
 * go on: `required` (a run may still be in flight) and less than LONGEST_STEP_SECONDS waited.
 */
export function sweepProgress(
  previous: (SweepState & { attempt?: number; wait?: number }) | undefined,
  required: boolean,
): { waited: number; pending: boolean } {
  const waited = (previous?.waited ?? 0) + ((previous?.attempt ?? 0) > 0 ? (previous?.wait ?? 0) : 0);
  return { waited, pending: required && waited < LONGEST_STEP_SECONDS };
}
