import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { classify, failureFromCause, type StepFailure } from '../../shared/workflow/step';
import { applyTransition, type TransitionName } from '../../shared/workflow/transitions';
import { hasJobs } from '../../shared/workflow/update';

interface RecordStatusEvent {
  environmentId: string;
  execution: string;
  transition: TransitionName;
  executionArn?: string;
  /** From a Catch: `{ Error, Cause }` as Step Functions hands it over. */
  failure?: { Error?: string; Cause?: unknown };
  /** A failure the workflow itself established (e.g. teardown gave up on a blocked resource). */
  error?: StepFailure;
  outputs?: Record<string, unknown>;
}

/** Moves the environment to the status a workflow has reached (idempotent; owner-checked). */
export const handler = async (event: RecordStatusEvent) => {
  try {
    const error =
      event.error ??
      (event.failure ? failureFromCause(event.failure.Cause, event.failure.Error ?? 'workflow') : undefined);
    const environment = await applyTransition(
      stepStore(),
      {
        environmentId: event.environmentId,
        execution: event.execution,
        transition: event.transition,
        ...(event.executionArn ? { executionArn: event.executionArn } : {}),
        ...(error ? { error } : {}),
        ...(event.outputs ? { outputs: event.outputs } : {}),
      },
      statusNotifier(),
    );
    // What later states branch and map on: the service names, whether a DNS record and jobs are wanted.
    return {
      status: environment.status,
      services: environment.spec.services.map((service) => service.name),
      dns: environment.spec.dns !== undefined,
      // Jobs to ensure, or recorded ones an update dropped and the jobs step removes.
      jobs: hasJobs(environment),
      // An update continues from what provisioning built.
      ...(event.transition === 'begin-update' && environment.runtime ? { runtime: environment.runtime } : {}),
    };
  } catch (error) {
    throw classify(`record-status:${event.transition}`, error);
  }
};
