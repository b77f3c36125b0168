/** Test doubles at the Step Functions boundary, and a helper to read a use case's failure. */
import { UseCaseError } from '../../shared/app/errors';
import type { WorkflowKind, WorkflowStarter } from '../../shared/workflow/executions';

/** A WorkflowStarter that records what the use cases start and stop instead of calling Step Functions. */
export class RecordingWorkflows implements WorkflowStarter {
  readonly started: { kind: WorkflowKind; name: string; input: Record<string, unknown> }[] = [];
  readonly stopped: { kind: WorkflowKind; name: string }[] = [];
  /** Refuse the next start, as Step Functions does when it is unavailable. */
  failNextStart = false;

  async start(kind: WorkflowKind, name: string, input: Record<string, unknown>): Promise<string> {
    if (this.failNextStart) {
      this.failNextStart = false;
      throw new Error('Step Functions unavailable');
    }
    // Step Functions itself is idempotent by name: a second start of the same name is the same run.
    if (!this.started.some((run) => run.kind === kind && run.name === name))
      this.started.push({ kind, name, input });
    return `arn:aws:states:us-east-1:000000000000:execution:berth-test-${kind}:${name}`;
  }

  async stop(kind: WorkflowKind, name: string): Promise<void> {
    this.stopped.push({ kind, name });
  }
}

/** The UseCaseError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<UseCaseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UseCaseError) return error;
    throw error;
  }
  throw new Error('expected the use case to fail');
}
