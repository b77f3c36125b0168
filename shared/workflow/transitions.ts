/**
 * The status changes the workflows make, each conditional on the execution owning the environment
 * and idempotent: a retried transition that already happened writes nothing, so Step Functions may
 * retry any of them.
 *
 * Each status change is published as a status event after its write succeeded. A publish that fails
 * throws `TransientError`: the step's Retry runs the transition again, which finds the status
 * already reached and publishes the same event again (same id, `<environmentId>:<version>`), so
 * consumers dedupe copies by id and never see a second distinct event for one transition.
 */

import type { StatusNotifier } from '../app/ports';
import { errorCode } from '../aws/errors';
import type { Status } from '../domain/status';
import { statusEventOf } from '../domain/status-event';
import { type EnvironmentStore, StaleVersionError, type StoredEnvironment } from '../store/environments';
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from './contention';
import { NotOwner, type StepFailure, TransientError } from './step';

/** The named transitions the workflows record (the status graph itself is in shared/domain/status). */
export const WORKFLOW_TRANSITIONS = {
  'begin-provisioning': { from: ['REQUESTED'], to: 'PROVISIONING' },
  provisioned: { from: ['PROVISIONING'], to: 'READY' },
  'rolling-back': { from: ['PROVISIONING'], to: 'ROLLING_BACK' },
  'rolled-back': { from: ['ROLLING_BACK'], to: 'FAILED' },
  'begin-update': { from: ['UPDATING'], to: 'UPDATING' },
  updated: { from: ['UPDATING'], to: 'READY' },
  'update-failed': { from: ['UPDATING'], to: 'UPDATE_FAILED' },
  'begin-teardown': { from: ['DELETING'], to: 'DELETING' },
  deleted: { from: ['DELETING'], to: 'DELETED' },
  'delete-failed': { from: ['DELETING'], to: 'DELETE_FAILED' },
} as const satisfies Record<string, { from: readonly Status[]; to: Status }>;

export type TransitionName = keyof typeof WORKFLOW_TRANSITIONS;

export interface TransitionRequest {
  environmentId: string;
  execution: string;
  transition: TransitionName;
  executionArn?: string;
  error?: StepFailure;
  outputs?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
}

/**
 * Applies a workflow transition; returns the environment as it is afterwards. Progress writes of
 * parallel branches (or of a step still finishing when a branch failed) can bump the version
 * between the read and the conditional write: such a lost race is read again and retried. The step
 * passes the store and notifier it built (shared/wiring).
 */
export async function applyTransition(
  store: EnvironmentStore,
  request: TransitionRequest,
  notifier: StatusNotifier,
): Promise<StoredEnvironment> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await applyTransitionOnce(store, request, notifier);
    } catch (error) {
      if (!(error instanceof StaleVersionError)) throw error;
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new TransientError({
          step: `record-status:${request.transition}`,
          code: 'ProgressContention',
          message: 'the environment kept changing while its status was being recorded',
        });
      }
      await pauseBeforeRetry(attempt);
    }
  }
}

async function applyTransitionOnce(
  store: EnvironmentStore,
  request: TransitionRequest,
  notifier: StatusNotifier,
): Promise<StoredEnvironment> {
  const environment = await store.get(request.environmentId);
  if (!environment || environment.owner !== request.execution) {
    throw new NotOwner(request.environmentId, request.execution);
  }
  const { from, to } = WORKFLOW_TRANSITIONS[request.transition];
  const starting = from.includes(to as never);
  // Already done by an earlier attempt of this very step, whose event may not have gone out: publish
  // it again. Nothing of this execution writes between a transition and its retry, so the version
  // (and the event id) is the one the first attempt wrote; `from` has one status per transition.
  if (environment.status === to && !starting) {
    await announceTransition(notifier, environment, from[0], request.transition);
    return environment;
  }
  if (!(from as readonly Status[]).includes(environment.status)) {
    throw new NotOwner(request.environmentId, request.execution);
  }
  // A run starting in the status its request already set (UPDATING, DELETING) changes no status.
  const changes: Partial<StoredEnvironment> = environment.status === to ? {} : { status: to };
  if (request.executionArn) changes.executionArn = request.executionArn;
  if (request.outputs) changes.outputs = { ...environment.outputs, ...request.outputs };
  if (request.error) changes.error = request.error;
  if (request.runtime) changes.runtime = request.runtime;
  if (starting || to === 'PROVISIONING') {
    // A new run starts with a clean slate of progress; the last error stays visible until it succeeds.
    changes.progress = { percent: 0, completedSteps: [] };
  }
  if (to === 'READY' || to === 'DELETED') {
    changes.progress = { ...environment.progress, currentStep: undefined, percent: 100 };
    // Success answers the last failure: it no longer describes the environment (its events keep it).
    changes.error = undefined;
  }
  const event =
    environment.status === to
      ? { type: 'step-started' as const, step: request.transition, message: `${request.execution} started` }
      : {
          type: 'status-changed' as const,
          status: to,
          message: request.error
            ? `${to}: ${request.error.code} in ${request.error.step}: ${request.error.message}`
            : `${environment.status} → ${to}`,
        };
  const updated = await store.update(
    environment.id,
    { owner: request.execution, version: environment.version, status: environment.status },
    changes,
    event,
  );
  if (updated.status !== environment.status) {
    await announceTransition(notifier, updated, environment.status, request.transition);
  }
  return updated;
}

/** Publishes the event of a recorded transition; a failure is transient (see the module comment). */
async function announceTransition(
  notifier: StatusNotifier,
  environment: StoredEnvironment,
  previousStatus: Status,
  transition: TransitionName,
): Promise<void> {
  try {
    await notifier.publish(statusEventOf(environment, { previousStatus, step: transition }));
  } catch (error) {
    throw new TransientError({
      step: `transition:${transition}`,
      code: errorCode(error) ?? 'StatusEventNotPublished',
      message: error instanceof Error ? error.message : String(error),
    });
  }
}
