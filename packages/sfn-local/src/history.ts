/**
 * Turns aws-local-stepfunctions' event log into Step Functions execution history
 * (GetExecutionHistory's `HistoryEvent` shape: id, previousEventId, timestamp, type, details), and
 * counts what the per-execution statistics need.
 *
 * Mapping (one package event may give several history events, as in AWS):
 * - StateEntered → `<Type>StateEntered`; a Lambda task adds LambdaFunctionScheduled + Started
 *   (`lambda:invoke` tasks: TaskScheduled + TaskStarted); Parallel adds ParallelStateStarted,
 *   Map adds MapStateStarted.
 * - StateRetried → the re-invocation: LambdaFunctionScheduled + Started again (AWS has no
 *   "retried" event; a retry shows as Failed followed by a new Scheduled).
 * - StateFailed → LambdaFunctionFailed / LambdaFunctionTimedOut / TaskFailed, ParallelStateFailed,
 *   MapStateFailed. StateExited → LambdaFunctionSucceeded (if the last attempt succeeded),
 *   Parallel/MapStateSucceeded, then `<Type>StateExited`.
 * - Map iterations → MapIterationStarted/Succeeded/Failed; Parallel branch events have no AWS
 *   counterpart and are dropped.
 * Rewritten Wait and Pass states (see runnable.ts) are reported as what they are in the ASL.
 *
 * Known approximations: previousEventId is simply the preceding event's id (AWS links events of
 * one branch); events of nested machines reach the root log a few microtasks late, so they may
 * interleave slightly differently from AWS; the input/output of Lambda events inside a Map
 * processor are omitted, because concurrent iterations of one state cannot be told apart.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { LOCAL_ACCOUNT_ID } from './definitions';
import type { JsonObject, JsonValue } from './json';
import type { TaskKind } from './runnable';

/** One entry of aws-local-stepfunctions' event log (the package does not export the type). */
export type PackageEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  /** The `…EventDetails` member's name and value, e.g. `stateEnteredEventDetails`. */
  detailsKey?: string;
  details?: JsonObject;
}

/** One function invocation as the task handler saw it (payload in, result out). */
export interface InvocationRecord {
  payload: JsonValue;
  result?: JsonValue;
}

const NOT_TRUNCATED = { truncated: false };

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  /** Every state entered (nested ones included) plus every retry: what AWS bills as transitions. */
  stateTransitions = 0;
  retries = 0;
  /** Invocations the task handlers made but the log has not yet reported, per state name. */
  private readonly unreported = new Map<string, InvocationRecord[]>();
  /** Invocations reported as scheduled whose outcome is pending, per state (+ Map index). */
  private readonly inFlight = new Map<string, InvocationRecord>();

  constructor(
    private readonly tasks: Map<string, TaskKind>,
    private readonly region: string,
    private readonly roleArn: string,
  ) {}

  /** Called by the task handler, synchronously, when it invokes a function. */
  noteInvocation(stateName: string, record: InvocationRecord): void {
    const queue = this.unreported.get(stateName) ?? [];
    queue.push(record);
    this.unreported.set(stateName, queue);
  }

  /** Appends one history event; ids start at 1. */
  append(type: string, timestamp: number, detailsKey?: string, details?: JsonObject): void {
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      timestamp: new Date(timestamp),
      type,
      detailsKey,
      details,
    });
  }

  /** Translates one package event (see the module comment for the mapping). */
  record(event: PackageEvent): void {
    const at = event.timestamp;
    switch (event.type) {
      case 'ExecutionStarted':
        this.append('ExecutionStarted', at, 'executionStartedEventDetails', {
          input: JSON.stringify(event.input),
          inputDetails: NOT_TRUNCATED,
          roleArn: this.roleArn,
        });
        return;
      case 'ExecutionSucceeded':
        this.append('ExecutionSucceeded', at, 'executionSucceededEventDetails', {
          output: JSON.stringify(event.output),
          outputDetails: NOT_TRUNCATED,
        });
        return;
      case 'ExecutionFailed':
        this.append(
          'ExecutionFailed',
          at,
          'executionFailedEventDetails',
          errorDetails(event.Error, event.Cause),
        );
        return;
      case 'ExecutionTimeout':
        this.append('ExecutionTimedOut', at, 'executionTimedOutEventDetails', {
          error: 'States.Timeout',
          cause: 'The execution ran longer than its TimeoutSeconds',
        });
        return;
      case 'ExecutionAborted':
        // The engine records the abort itself when StopExecution is called (with error and cause).
        return;
      case 'StateEntered':
        this.stateTransitions += 1;
        this.stateEntered(event.state.name, event.state.type, event.state.input, at, event.index);
        return;
      case 'StateRetried':
        this.stateTransitions += 1;
        this.retries += 1;
        this.scheduleInvocation(event.state.name, at, event.index);
        return;
      case 'StateFailed':
        this.stateFailed(event.state.name, event.state.type, event.Error, event.Cause, at, event.index);
        return;
      case 'StateExited':
        this.stateExited(event.state.name, event.state.type, event.state.output ?? null, at, event.index);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        this.append(event.type, at, key, { name: event.parentState.name, index: event.index });
        return;
      }
      default:
        // StateCaught and Parallel branch events have no history event of their own in AWS.
        return;
    }
  }

  private stateEntered(name: string, type: string, input: JsonValue, at: number, index?: number): void {
    this.append(`${this.displayType(name, type)}StateEntered`, at, 'stateEnteredEventDetails', {
      name,
      input: JSON.stringify(input),
      inputDetails: NOT_TRUNCATED,
    });
    if (type === 'Parallel') this.append('ParallelStateStarted', at);
    if (type === 'Map') this.append('MapStateStarted', at);
    this.scheduleInvocation(name, at, index);
  }

  private scheduleInvocation(name: string, at: number, index?: number): void {
    const task = this.tasks.get(name);
    if (task === undefined || (task.kind !== 'lambda' && task.kind !== 'lambda-invoke')) return;
    // No pending record means the state failed before invoking (e.g. a Parameters path error).
    const record = this.unreported.get(name)?.shift();
    if (record === undefined) return;
    this.inFlight.set(inFlightKey(name, index), record);
    const timeout: JsonObject =
      task.timeoutSeconds === undefined ? {} : { timeoutInSeconds: task.timeoutSeconds };
    const input: JsonObject = task.insideMap
      ? {}
      : { input: JSON.stringify(record.payload), inputDetails: NOT_TRUNCATED };
    if (task.kind === 'lambda') {
      const resource = `arn:aws:lambda:${this.region}:${LOCAL_ACCOUNT_ID}:function:${task.functionName}`;
      this.append('LambdaFunctionScheduled', at, 'lambdaFunctionScheduledEventDetails', {
        resource,
        ...input,
        ...timeout,
      });
      this.append('LambdaFunctionStarted', at);
    } else {
      const parameters: JsonObject = task.insideMap ? {} : { parameters: JSON.stringify(record.payload) };
      this.append('TaskScheduled', at, 'taskScheduledEventDetails', {
        ...LAMBDA_INVOKE,
        region: this.region,
        ...parameters,
        ...timeout,
      });
      this.append('TaskStarted', at, 'taskStartedEventDetails', { ...LAMBDA_INVOKE });
    }
  }

  private stateFailed(
    name: string,
    type: string,
    error: string,
    cause: unknown,
    at: number,
    index?: number,
  ): void {
    const details = errorDetails(error, cause);
    if (type === 'Parallel') this.append('ParallelStateFailed', at);
    if (type === 'Map') this.append('MapStateFailed', at);
    const key = inFlightKey(name, index);
    if (!this.inFlight.delete(key)) return;
    const task = this.tasks.get(name);
    if (task?.kind === 'lambda-invoke') {
      this.append('TaskFailed', at, 'taskFailedEventDetails', { ...LAMBDA_INVOKE, ...details });
    } else if (error === 'States.Timeout') {
      this.append('LambdaFunctionTimedOut', at, 'lambdaFunctionTimedOutEventDetails', details);
    } else {
      this.append('LambdaFunctionFailed', at, 'lambdaFunctionFailedEventDetails', details);
    }
  }

  private stateExited(name: string, type: string, output: JsonValue, at: number, index?: number): void {
    const key = inFlightKey(name, index);
    const record = this.inFlight.get(key);
    if (record !== undefined) {
      this.inFlight.delete(key);
      const task = this.tasks.get(name);
      const insideMap = task !== undefined && 'insideMap' in task && task.insideMap;
      const result: JsonObject = insideMap
        ? {}
        : { output: JSON.stringify(record.result ?? null), outputDetails: NOT_TRUNCATED };
      if (task?.kind === 'lambda-invoke') {
        this.append('TaskSucceeded', at, 'taskSucceededEventDetails', { ...LAMBDA_INVOKE, ...result });
      } else {
        this.append('LambdaFunctionSucceeded', at, 'lambdaFunctionSucceededEventDetails', result);
      }
    }
    if (type === 'Parallel') this.append('ParallelStateSucceeded', at);
    if (type === 'Map') this.append('MapStateSucceeded', at);
    this.append(`${this.displayType(name, type)}StateExited`, at, 'stateExitedEventDetails', {
      name,
      output: JSON.stringify(output),
      outputDetails: NOT_TRUNCATED,
    });
  }

  /** Rewritten Wait and Pass states run as Task states; history shows what they are in the ASL. */
  private displayType(name: string, type: string): string {
    const kind = this.tasks.get(name)?.kind;
    if (kind === 'wait') return 'Wait';
    if (kind === 'pass-result') return 'Pass';
    return type;
  }
}

const LAMBDA_INVOKE = { resourceType: 'lambda', resource: 'invoke' };

function inFlightKey(name: string, index: number | undefined): string {
  return index === undefined ? name : `${name}#${index}`;
}

function errorDetails(error: string | undefined, cause: unknown): JsonObject {
  const details: JsonObject = {};
  if (error !== undefined) details.error = error;
  if (cause !== undefined && cause !== null)
    details.cause = typeof cause === 'string' ? cause : JSON.stringify(cause);
  return details;
}
