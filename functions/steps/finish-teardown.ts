import { requireEnv } from '../../shared/config';
import { CidrAllocator } from '../../shared/store/cidr';
import { statusNotifier } from '../../shared/wiring/status-notifier';
import { documentClient, environmentStore as stepStore } from '../../shared/wiring/table';
import { classify, type StepEvent } from '../../shared/workflow/step';
import { applyTransition } from '../../shared/workflow/transitions';
import type { Blocked } from './teardown';

const allocator = new CidrAllocator(documentClient(), requireEnv('TABLE_NAME'));

interface FinishTeardownEvent extends StepEvent {
  /** `deleted` after a DELETE, `rolled-back` after a failed create; `*-failed` when blocked too long. */
  transition: 'deleted' | 'delete-failed' | 'rolled-back';
  teardown?: { ready: boolean; blocked?: Blocked[] };
}

/**
 * Ends a teardown: with nothing left, frees the CIDR (and, after a DELETE, the name) and records the
 * final status; when resources stayed blocked past the bound, names the first blocker honestly.
 */
export const handler = async (event: FinishTeardownEvent) => {
  try {
    const store = stepStore();
    const clean = event.teardown?.ready === true;
    if (clean) await allocator.release(event.environmentId);
    const blocker = event.teardown?.blocked?.[0];
    const transition = !clean && event.transition === 'deleted' ? 'delete-failed' : event.transition;
    const environment = await applyTransition(
      store,
      {
        environmentId: event.environmentId,
        execution: event.execution,
        transition,
        // A rollback keeps the error that caused it; what it could not delete shows in the events.
        ...(clean || transition === 'rolled-back'
          ? {}
          : {
              error: {
                step: 'teardown',
                code: blocker?.code ?? 'TeardownIncomplete',
                message: blocker
                  ? `${blocker.resource} is still blocked: ${blocker.message}`
                  : 'resources were left after the teardown bound; DELETE again to resume',
              },
            }),
      },
      statusNotifier(),
    );
    // Nothing of a clean teardown is left in AWS, after a DELETE or a rolled-back create alike: what
    // it held of the account's quotas is free again (once; the item records the release).
    if (clean) await store.releaseAccountUsage(environment);
    if (environment.status === 'DELETED') {
      await store.releaseName(environment);
      // Idempotent: the environment item records the release, so a retried step gives nothing twice.
      await store.releaseUsage(environment);
    }
    return { status: environment.status };
  } catch (error) {
    throw classify('finish-teardown', error);
  }
};
