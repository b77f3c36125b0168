/**
 * Starting and stopping the workflows. Execution names are derived from the environment id, so a
 * retried start is idempotent: Step Functions returns the running execution for the same name and
 * input, and answers ExecutionAlreadyExists once it has closed (AWS StartExecution documentation).
 */
import { type SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';

export type WorkflowKind = 'provision' | 'teardown' | 'update';

export interface WorkflowStarter {
  start(kind: WorkflowKind, executionName: string, input: Record<string, unknown>): Promise<string>;
  stop(kind: WorkflowKind, executionName: string, cause: string): Promise<void>;
}

export interface StateMachineArns {
  provision: string;
  teardown: string;
  update: string;
}

export function executionArn(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

export class StepFunctionsStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly arns: StateMachineArns,
  ) {}

  async start(kind: WorkflowKind, executionName: string, input: Record<string, unknown>): Promise<string> {
    try {
      const result = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.arns[kind],
          name: executionName,
          input: JSON.stringify(input),
        }),
      );
      return result.executionArn ?? executionArn(this.arns[kind], executionName);
    } catch (error) {
      // Already started by an earlier attempt that has since closed: that attempt was this one.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
        return executionArn(this.arns[kind], executionName);
      }
      throw error;
    }
  }

  async stop(kind: WorkflowKind, executionName: string, cause: string): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({ executionArn: executionArn(this.arns[kind], executionName), cause }),
      );
    } catch (error) {
      // Never started, or already finished: nothing left to stop.
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return;
      throw error;
    }
  }
}

/** Execution names: ≤ 80 characters of letters, digits, `-` and `_`. */
export const executionNames = {
  provision: (environmentId: string) => environmentId,
  teardown: (environmentId: string, version: number) => `${environmentId}-teardown-${version}`,
  update: (environmentId: string, version: number) => `${environmentId}-update-${version}`,
};
