/**
 * What every workflow step shares. A step is a short, idempotent Lambda function: it loads the
 * environment, checks that the execution calling it still owns the environment, does its work,
 * records progress, and classifies failures so that the state machine's Retry and Catch can act:
 *
 * - `TransientError`: throttling, 5xx, network — the ASL retries it with backoff and jitter.
 * - `StepFailed`: anything else — the ASL catches it and compensates. The message is JSON
 *   `{ step, code, message }` so the compensation records the AWS error code honestly.
 * - `NotOwner`: another execution (a DELETE) took the environment over; the ASL ends quietly.
 */
import { errorCode, isTransient } from '../aws/errors';
import { stepSegment } from '../aws/tracing';
import type { EnvironmentRef } from '../domain/naming';
import { isForward, type Status } from '../domain/status';
import { awsQuotaHint } from '../domain/usage';
import type { EnvironmentStore, StoredEnvironment } from '../store/environments';
import { StaleVersionError } from '../store/environments';
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from './contention';

export interface StepEvent {
  environmentId: string;
  /** Name of the execution running this step (it must be the environment's owner). */
  execution: string;
  [key: string]: unknown;
}

export interface StepFailure {
  step: string;
  code: string;
  message: string;
}

export class TransientError extends Error {
  constructor(readonly failure: StepFailure) {
    super(JSON.stringify(failure));
    this.name = 'TransientError';
  }
}

export class StepFailed extends Error {
  constructor(readonly failure: StepFailure) {
    super(JSON.stringify(failure));
    this.name = 'StepFailed';
  }
}

export class NotOwner extends Error {
  constructor(environmentId: string, execution: string) {
    super(`execution ${execution} no longer owns environment ${environmentId}`);
    this.name = 'NotOwner';
  }
}

export function classify(step: string, error: unknown): Error {
  if (error instanceof TransientError || error instanceof StepFailed || error instanceof NotOwner)
    return error;
  const code = errorCode(error) ?? 'InternalError';
  const message = error instanceof Error ? error.message : String(error);
  // An account quota AWS refused on (usage berth did not make): the failure names it.
  const quota = awsQuotaHint(code);
  const failure: StepFailure = { step, code, message: quota ? `${message} (${quota})` : message };
  return isTransient(error) ? new TransientError(failure) : new StepFailed(failure);
}

/** Parses the Cause that Step Functions hands a Catch (`{ errorType, errorMessage }` from Lambda). */
export function failureFromCause(cause: unknown, fallbackStep: string): StepFailure {
  let message: unknown = cause;
  try {
    const parsed = typeof cause === 'string' ? JSON.parse(cause) : cause;
    message = (parsed as { errorMessage?: unknown })?.errorMessage ?? parsed;
    const failure = typeof message === 'string' ? JSON.parse(message) : message;
    const { step, code, message: text } = failure as Partial<StepFailure>;
    if (typeof step === 'string' && typeof code === 'string' && typeof text === 'string') {
      return { step, code, message: text };
    }
  } catch {
    // Not one of ours (a Lambda timeout, States.Runtime…): keep the raw text below.
  }
  return {
    step: fallbackStep,
    code: 'WorkflowError',
    message: typeof message === 'string' ? message : JSON.stringify(message ?? 'unknown failure'),
  };
}

export interface StepContext {
  environment: StoredEnvironment;
  ref: EnvironmentRef;
  store: EnvironmentStore;
}

export interface StepResult<T> {
  /** What the step hands the state machine (placed by the ASL's ResultPath). */
  output: T;
  /** Resource ids to record on the environment, merged into `resources`. */
  resources?: Record<string, string | string[]>;
}

export interface StepDefinition<E extends StepEvent, T> {
  name: string;
  /** For steps run once per item (a Map over services): the item, recorded as `name:item`. */
  instance?: (event: E) => string | undefined;
  /**
   * `track` (default): record start and finish in the environment's progress.
   * `poll`: a readiness check inside a Wait loop — records nothing until it reports done.
   */
  mode?: 'track' | 'poll';
  /** For polls: whether the output means "ready". */
  isDone?: (output: T) => boolean;
  /**
   * Statuses in which the step may act (default: a forward run, `isForward` in shared/domain/status). A step
   * still finishing after its run moved on (a rollback started, a DELETE took over) does nothing.
   */
  during?: readonly Status[];
  /** Total tracked steps of the workflow (for this environment), for the percentage. */
  totalSteps: number | ((environment: StoredEnvironment) => number);
  run: (event: E, context: StepContext) => Promise<StepResult<T>>;
}

export type StepHandler<E extends StepEvent, T> = (event: E) => Promise<T>;

/** Wraps a step: ownership check, progress records, failure classification, its own trace subsegment. */
export function defineStep<E extends StepEvent, T>(
  definition: StepDefinition<E, T>,
  store: () => EnvironmentStore,
): StepHandler<E, T> {
  return (event) =>
    stepSegment(definition.name, { environmentId: event.environmentId, step: definition.name }, async () => {
      const repository = store();
      const environment = await repository.get(event.environmentId);
      if (
        !environment ||
        environment.owner !== event.execution ||
        !(definition.during ? definition.during.includes(environment.status) : isForward(environment.status))
      ) {
        throw new NotOwner(event.environmentId, event.execution);
      }
      const ref = { id: environment.id, name: environment.name, team: environment.team };
      const startedAt = new Date().toISOString();
      const tracked = (definition.mode ?? 'track') === 'track';
      const instance = definition.instance?.(event);
      const stepName = instance ? `${definition.name}:${instance}` : definition.name;
      let current = environment;
      try {
        if (tracked && environment.progress.currentStep !== stepName) {
          current = await recordStart(repository, environment, event, stepName);
        }
        const result = await definition.run(event, { environment: current, ref, store: repository });
        const done = tracked || (definition.isDone?.(result.output) ?? false);
        if (done || result.resources) {
          await recordFinish(
            repository,
            current,
            event,
            { ...definition, name: stepName },
            startedAt,
            done,
            result,
          );
        }
        return result.output;
      } catch (error) {
        if (error instanceof StaleVersionError) throw new NotOwner(event.environmentId, event.execution);
        throw classify(stepName, error);
      }
    });
}

/**
 * Names the step as the current one. Conditional on the version it read, like `recordFinish`: a
 * sibling branch may have recorded its finish since, and writing back the older progress would
 * drop that completion. A lost race reads again.
 */
async function recordStart(
  repository: EnvironmentStore,
  before: StoredEnvironment,
  event: StepEvent,
  stepName: string,
): Promise<StoredEnvironment> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    if (attempt > 0) await pauseBeforeRetry(attempt);
    const latest = attempt === 0 ? before : await repository.get(before.id);
    if (!latest || latest.owner !== event.execution) throw new NotOwner(event.environmentId, event.execution);
    try {
      return await repository.update(
        latest.id,
        { owner: event.execution, version: latest.version },
        { progress: { ...latest.progress, currentStep: stepName } },
      );
    } catch (error) {
      if (!(error instanceof StaleVersionError)) throw error;
    }
  }
  throw new TransientError({
    step: stepName,
    code: 'ProgressContention',
    message: 'could not record progress after repeated concurrent writes',
  });
}

async function recordFinish<E extends StepEvent, T>(
  repository: EnvironmentStore,
  before: StoredEnvironment,
  event: E,
  definition: StepDefinition<E, T>,
  startedAt: string,
  done: boolean,
  result: StepResult<T>,
): Promise<void> {
  // Parallel branches finish at the same time: read, write conditional on the version, and on a
  // lost race read again. Losing to another owner is NotOwner (raised by the caller).
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    if (attempt > 0) await pauseBeforeRetry(attempt);
    const latest = attempt === 0 ? before : await repository.get(before.id);
    if (!latest || latest.owner !== event.execution) throw new NotOwner(event.environmentId, event.execution);
    const completedSteps = latest.progress.completedSteps.filter((entry) => entry.step !== definition.name);
    if (done) completedSteps.push({ step: definition.name, startedAt, finishedAt: new Date().toISOString() });
    const total =
      typeof definition.totalSteps === 'number' ? definition.totalSteps : definition.totalSteps(latest);
    // Never 100 before the workflow's last transition says so.
    const percent = Math.min(99, Math.round((completedSteps.length / Math.max(1, total)) * 100));
    try {
      await repository.update(
        latest.id,
        { owner: event.execution, version: latest.version },
        {
          progress: { ...latest.progress, completedSteps, percent },
          resources: { ...latest.resources, ...result.resources },
        },
        done
          ? { type: 'step-finished', step: definition.name, message: `${definition.name} finished` }
          : undefined,
      );
      return;
    } catch (error) {
      if (!(error instanceof StaleVersionError)) throw error;
    }
  }
  throw new TransientError({
    step: definition.name,
    code: 'ProgressContention',
    message: 'could not record progress after repeated concurrent writes',
  });
}
