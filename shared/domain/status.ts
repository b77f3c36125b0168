/**
 * The environment life cycle, and what each status allows. Every status change in berth goes through
 * `assertTransition`, and every "may this happen now?" question asks one of the predicates below, so
 * the rules are written down exactly once, next to the graph they follow from.
 */

export const STATUSES = [
  'REQUESTED',
  'PROVISIONING',
  'READY',
  'ROLLING_BACK',
  'FAILED',
  'UPDATING',
  'UPDATE_FAILED',
  'DELETING',
  'DELETED',
  'DELETE_FAILED',
] as const;

export type Status = (typeof STATUSES)[number];

const TRANSITIONS: Record<Status, readonly Status[]> = {
  REQUESTED: ['PROVISIONING', 'DELETING'],
  PROVISIONING: ['READY', 'ROLLING_BACK', 'DELETING'],
  ROLLING_BACK: ['FAILED'],
  READY: ['UPDATING', 'DELETING'],
  UPDATING: ['READY', 'UPDATE_FAILED'],
  UPDATE_FAILED: ['UPDATING', 'DELETING'],
  FAILED: ['DELETING'],
  DELETING: ['DELETED', 'DELETE_FAILED'],
  DELETE_FAILED: ['DELETING'],
  DELETED: [],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export class TransitionError extends Error {
  constructor(
    readonly from: Status,
    readonly to: Status,
  ) {
    super(`an environment in status ${from} cannot become ${to}`);
    this.name = 'TransitionError';
  }
}

export function assertTransition(from: Status, to: Status): void {
  if (!canTransition(from, to)) throw new TransitionError(from, to);
}

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

const FAILED: readonly Status[] = ['FAILED', 'UPDATE_FAILED', 'DELETE_FAILED'];
const FORWARD: readonly Status[] = ['PROVISIONING', 'UPDATING'];
const TASKS_RUNNABLE: readonly Status[] = ['READY', 'UPDATING', 'UPDATE_FAILED'];
const DRIFT_CHECKABLE: readonly Status[] = ['READY', 'UPDATE_FAILED'];

/** A workflow ended in failure: its status event carries the error, and waiting for success fails. */
export function isFailed(status: Status): boolean {
  return FAILED.includes(status);
}

/** No workflow runs: nothing will change unless someone asks. */
export function isSettled(status: Status): boolean {
  return status === 'READY' || status === 'DELETED' || isFailed(status);
}

/**
 * A forward run (provisioning or an update) is under way: what workflow steps act in unless they
 * say otherwise. A step still finishing after its run moved on (rollback, teardown) does nothing.
 */
export function isForward(status: Status): boolean {
  return FORWARD.includes(status);
}

/**
 * DELETE may start a teardown: exactly the statuses the graph lets become DELETING. The rest either
 * have a teardown running already (DELETING), are gone (DELETED), or must let their run end first.
 */
export function canDelete(status: Status): boolean {
  return canTransition(status, 'DELETING');
}

/** A PATCH may start an update: exactly the statuses the graph lets become UPDATING. */
export function canUpdate(status: Status): boolean {
  return canTransition(status, 'UPDATING');
}

/** The cluster and task definitions exist and nothing is tearing them down. */
export function canRunTasks(status: Status): boolean {
  return TASKS_RUNNABLE.includes(status);
}

/** No workflow is changing resources, and a record of what was built exists to compare with. */
export function canCheckDrift(status: Status): boolean {
  return DRIFT_CHECKABLE.includes(status);
}
