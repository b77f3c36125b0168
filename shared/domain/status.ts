/**
 * The environment life cycle. Every status change in berth goes through `assertTransition`, so the
 * allowed moves are written down exactly once.
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

/** Statuses from which a PATCH may start an update. */
export const UPDATABLE: readonly Status[] = ['READY', 'UPDATE_FAILED'];
/** Statuses in which no workflow runs: nothing will change unless someone asks. */
export const SETTLED: readonly Status[] = ['READY', 'FAILED', 'UPDATE_FAILED', 'DELETED', 'DELETE_FAILED'];
