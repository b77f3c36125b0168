/**
 * The status changes the workflows make, each conditional on the execution owning the environment
 * and idempotent: a retried transition that already happened is a no-op, so Step Functions may
 * retry any of them.
 */
import type { Status } from '../domain/status';
import type { EnvironmentStore, StoredEnvironment } from '../store/environments';
import { NotOwner, type StepFailure } from './step';

export const TRANSITIONS = {
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

export type TransitionName = keyof typeof TRANSITIONS;

export interface TransitionRequest {
  environmentId: string;
  execution: string;
  transition: TransitionName;
  executionArn?: string;
  error?: StepFailure;
  outputs?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
}

/** Applies a workflow transition; returns the environment as it is afterwards. */
export async function applyTransition(
  store: EnvironmentStore,
  request: TransitionRequest,
): Promise<StoredEnvironment> {
  const environment = await store.get(request.environmentId);
  if (!environment || environment.owner !== request.execution) {
    throw new NotOwner(request.environmentId, request.execution);
  }
  const { from, to } = TRANSITIONS[request.transition];
  const starting = from.includes(to as never);
  // Already done by an earlier attempt of this very step.
  if (environment.status === to && !starting) return environment;
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
    // Success answers the last failure: it no longer describes the environment.
    if (to === 'READY') changes.error = undefined;
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
  return store.update(
    environment.id,
    { owner: request.execution, version: environment.version, status: environment.status },
    changes,
    event,
  );
}
