import {
  canCheckDrift,
  canDelete,
  canRunTasks,
  canTransition,
  canUpdate,
  isFailed,
  isForward,
  isSettled,
  isStatus,
  STATUSES,
  type Status,
} from '../../shared/domain/status';

/** The statuses a predicate accepts, in the order of STATUSES. */
function allowedBy(predicate: (status: Status) => boolean): Status[] {
  return STATUSES.filter(predicate);
}

describe('what each status allows', () => {
  it.each<[string, (status: Status) => boolean, Status[]]>([
    ['DELETE', canDelete, ['REQUESTED', 'PROVISIONING', 'READY', 'FAILED', 'UPDATE_FAILED', 'DELETE_FAILED']],
    ['PATCH', canUpdate, ['READY', 'UPDATE_FAILED']],
    ['running a task', canRunTasks, ['READY', 'UPDATING', 'UPDATE_FAILED']],
    ['a drift check', canCheckDrift, ['READY', 'UPDATE_FAILED']],
    ['forward steps', isForward, ['PROVISIONING', 'UPDATING']],
    ['an error in the status event', isFailed, ['FAILED', 'UPDATE_FAILED', 'DELETE_FAILED']],
    ['waiting to end', isSettled, ['READY', 'FAILED', 'UPDATE_FAILED', 'DELETED', 'DELETE_FAILED']],
  ])('%s is allowed in exactly these statuses', (_what, predicate, expected) => {
    // Prepare: every status of the life cycle.
    // Act
    const allowed = allowedBy(predicate);
    // Assess
    expect(allowed).toEqual(expected);
  });

  it('never settles while a workflow runs: a settled status is neither forward nor tearing down', () => {
    // Prepare
    const running: Status[] = ['REQUESTED', 'PROVISIONING', 'ROLLING_BACK', 'UPDATING', 'DELETING'];
    // Act
    const settledWhileRunning = running.filter(isSettled);
    // Assess
    expect(settledWhileRunning).toEqual([]);
  });

  it('lets DELETE and PATCH start only what the status graph allows', () => {
    // Prepare / Act
    const mismatches = STATUSES.filter(
      (status) =>
        canDelete(status) !== canTransition(status, 'DELETING') ||
        canUpdate(status) !== canTransition(status, 'UPDATING'),
    );
    // Assess
    expect(mismatches).toEqual([]);
  });

  it('recognises only the statuses of the life cycle', () => {
    // Prepare
    const candidates = ['READY', 'DELETE_FAILED', 'ready', 'ARCHIVED', ''];
    // Act
    const known = candidates.filter(isStatus);
    // Assess
    expect(known).toEqual(['READY', 'DELETE_FAILED']);
  });
});
