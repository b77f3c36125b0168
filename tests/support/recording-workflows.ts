/** A WorkflowStarter that records what the use cases start and stop instead of calling Step Functions. */
import type { WorkflowKind, WorkflowStarter } from '../../shared/workflow/executions';

export class RecordingWorkflows implements WorkflowStarter {
  readonly started: { kind: WorkflowKind; name: string; input: Record<string, unknown> }[] = [];
  readonly stopped: { kind: WorkflowKind; name: string }[] = [];

  async start(kind: WorkflowKind, name: string, input: Record<string, unknown>): Promise<string> {
    // Step Functions itself is idempotent by name: a second start of the same name is the same run.
    if (!this.started.some((run) => run.kind === kind && run.name === name))
      this.started.push({ kind, name, input });
    return `arn:aws:states:us-east-1:000000000000:execution:berth-test-${kind}:${name}`;
  }

  async stop(kind: WorkflowKind, name: string): Promise<void> {
    this.stopped.push({ kind, name });
  }
}
