/**
 * In-memory Step Functions: state machines and their executions, with the API semantics berth
 * relies on (docs/aws-facts.md#step-functions-execution-names). Each execution
 * runs on aws-local-stepfunctions; every Task state is served by a local handler (runnable.ts), so
 * the engine sees every Lambda invocation and every Wait.
 *
 * Statistics per execution (`getExecutionStats`), read by the benchmarks:
 * - stateTransitions: states entered, at every nesting level (Parallel branches, Map iterations),
 *   plus one per retry — what AWS bills as state transitions ("retries count").
 * - lambdaInvocations: function invocations the task handlers made, retries included (a task that
 *   fails twice and then succeeds counts 3). Wait states are not invocations.
 * - retries: Retry attempts taken (the package's StateRetried events), at any level.
 * - durationMs: stopDate − startDate in wall-clock ms (up to now while RUNNING).
 *
 * API input rules and `SfnError` are in api-input.ts, Wait timing in waits.ts.
 */
import { randomUUID } from 'node:crypto';
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import {
  assertArn,
  assertValidName,
  decodeToken,
  encodeToken,
  errorCause,
  pageSize,
  parseDefinition,
  parseExecutionInput,
  SfnError,
} from './api-input';
import { functionNameFromArn, LOCAL_ACCOUNT_ID } from './definitions';
import { type HistoryEvent, HistoryRecorder, type InvocationRecord, type PackageEvent } from './history';
import { type TaskInvoker, UnrecoverableError } from './invokers';
import { isJsonObject, type JsonObject, type JsonValue, toJsonValue } from './json';
import {
  LAMBDA_INVOKE_RESOURCE,
  prepareRunnable,
  type RunnableDefinition,
  type TaskKind,
  validateDefinition,
  type WaitSpec,
} from './runnable';
import { sleep, waitSeconds } from './waits';

export { SfnError } from './api-input';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

const STATUSES: readonly string[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export interface EngineOptions {
  invoker: TaskInvoker;
  /** Multiplies every Wait and Retry interval; default `LOCAL_TIME_SCALE`, else 1. */
  timeScale?: number;
  region?: string;
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: 'ACTIVE';
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  creationDate: Date;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionStats {
  stateTransitions: number;
  lambdaInvocations: number;
  retries: number;
  durationMs: number;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

interface MachineRecord {
  arn: string;
  name: string;
  definition: JsonObject;
  definitionText: string;
  roleArn: string;
  creationDate: Date;
  runnable: RunnableDefinition;
}

interface ExecutionRecord {
  description: ExecutionDescription;
  /** Order of creation, for ListExecutions (newest first) and its page tokens. */
  sequence: number;
  recorder: HistoryRecorder;
  lambdaInvocations: number;
  abortController: AbortController;
  abortRun?: () => void;
  closed: Promise<void>;
  markClosed: () => void;
}

const DEFAULT_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/berth-local-stepfunctions`;

export class StepFunctionsEngine {
  readonly timeScale: number;
  readonly region: string;
  private readonly invoker: TaskInvoker;
  private readonly machines = new Map<string, MachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private sequence = 0;

  constructor(options: EngineOptions) {
    this.invoker = options.invoker;
    this.region = options.region ?? 'us-east-1';
    this.timeScale = options.timeScale ?? timeScaleFromEnvironment();
    if (!(this.timeScale > 0) || !Number.isFinite(this.timeScale))
      throw new RangeError('time scale must be > 0');
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;
  }

  executionArn(stateMachineName: string, executionName: string): string {
    return `arn:aws:states:${this.region}:${LOCAL_ACCOUNT_ID}:execution:${stateMachineName}:${executionName}`;
  }

  /**
   * Registers a state machine (CreateStateMachine). Same name with the same definition returns the
   * existing one; a different definition is `StateMachineAlreadyExists`; an invalid one is
   * `InvalidDefinition`.
   */
  createStateMachine(input: { name: string; definition: JsonObject | string; roleArn?: string }): {
    stateMachineArn: string;
    creationDate: Date;
  } {
    assertValidName(input.name, 'state machine');
    const definition = parseDefinition(input.definition);
    const definitionText = JSON.stringify(definition);
    const arn = this.stateMachineArn(input.name);
    const existing = this.machines.get(arn);
    if (existing !== undefined) {
      if (existing.definitionText === definitionText) {
        return { stateMachineArn: arn, creationDate: existing.creationDate };
      }
      throw new SfnError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    try {
      validateDefinition(definition);
    } catch (error) {
      throw new SfnError('InvalidDefinition', error instanceof Error ? error.message : String(error));
    }
    const record: MachineRecord = {
      arn,
      name: input.name,
      definition,
      definitionText,
      roleArn: input.roleArn ?? DEFAULT_ROLE_ARN,
      creationDate: new Date(),
      runnable: prepareRunnable(definition, this.timeScale),
    };
    this.machines.set(arn, record);
    return { stateMachineArn: arn, creationDate: record.creationDate };
  }

  describeStateMachine(stateMachineArn: string): StateMachineDescription {
    const machine = this.machine(stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: machine.creationDate,
    };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): Page<{
    stateMachineArn: string;
    name: string;
    type: 'STANDARD';
    creationDate: Date;
  }> {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const start = input.nextToken === undefined ? 0 : decodeToken(input.nextToken);
    const size = pageSize(input.maxResults);
    const items = all.slice(start, start + size).map((m) => ({
      stateMachineArn: m.arn,
      name: m.name,
      type: 'STANDARD' as const,
      creationDate: m.creationDate,
    }));
    return { items, nextToken: start + size < all.length ? encodeToken(start + size) : undefined };
  }

  /**
   * StartExecution. Same name and same input while that execution runs → the same execution;
   * once it has closed, or with another input → `ExecutionAlreadyExists` (docs/aws-facts.md#step-functions-execution-names).
   */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.machine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    assertValidName(name, 'execution');
    const inputText = input.input ?? '{}';
    const parsedInput = parseExecutionInput(inputText);
    const arn = this.executionArn(machine.name, name);
    const existing = this.executions.get(arn);
    if (existing !== undefined) {
      const { status, input: existingInput, startDate } = existing.description;
      if (status === 'RUNNING' && existingInput === inputText) return { executionArn: arn, startDate };
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    let markClosed = (): void => {};
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    const record: ExecutionRecord = {
      description: {
        executionArn: arn,
        stateMachineArn: machine.arn,
        name,
        status: 'RUNNING',
        startDate: new Date(),
        input: inputText,
      },
      sequence: ++this.sequence,
      recorder: new HistoryRecorder(machine.runnable.tasks, this.region, machine.roleArn),
      lambdaInvocations: 0,
      abortController: new AbortController(),
      closed,
      markClosed,
    };
    this.executions.set(arn, record);
    this.launch(machine, record, parsedInput);
    return { executionArn: arn, startDate: record.description.startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return { ...this.execution(executionArn).description };
  }

  /** StopExecution: a running execution ends ABORTED at once; a closed one is left as it is. */
  stopExecution(input: { executionArn: string; error?: string; cause?: string }): { stopDate: Date } {
    const record = this.execution(input.executionArn);
    if (record.description.status === 'RUNNING') {
      this.close(record, { status: 'ABORTED', error: input.error, cause: input.cause });
      record.recorder.append(
        'ExecutionAborted',
        Date.now(),
        'executionAbortedEventDetails',
        errorCause(input),
      );
      record.abortController.abort();
      record.abortRun?.();
    }
    return { stopDate: record.description.stopDate ?? new Date() };
  }

  /** ListExecutions of one state machine, newest first, optionally by status. */
  listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }): Page<Omit<ExecutionDescription, 'input' | 'output' | 'error' | 'cause'>> {
    const machine = this.machine(input.stateMachineArn);
    if (input.statusFilter !== undefined && !STATUSES.includes(input.statusFilter)) {
      throw new SfnError('ValidationException', `Invalid statusFilter: ${input.statusFilter}`);
    }
    const before = input.nextToken === undefined ? Number.POSITIVE_INFINITY : decodeToken(input.nextToken);
    const matching = [...this.executions.values()]
      .filter((e) => e.description.stateMachineArn === machine.arn && e.sequence < before)
      .filter((e) => input.statusFilter === undefined || e.description.status === input.statusFilter)
      .sort((a, b) => b.sequence - a.sequence);
    const page = matching.slice(0, pageSize(input.maxResults));
    const last = page.at(-1);
    const items = page.map(({ description: d }) => ({
      executionArn: d.executionArn,
      stateMachineArn: d.stateMachineArn,
      name: d.name,
      status: d.status,
      startDate: d.startDate,
      stopDate: d.stopDate,
    }));
    const more = last !== undefined && matching.length > page.length;
    return { items, nextToken: more ? encodeToken(last.sequence) : undefined };
  }

  /** GetExecutionHistory: events by id (or reversed), paginated by the last id returned. */
  getExecutionHistory(input: {
    executionArn: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }): Page<HistoryEvent> {
    const events = this.execution(input.executionArn).recorder.events;
    const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken);
    const ordered = input.reverseOrder ? [...events].reverse() : events;
    const remaining =
      after === undefined
        ? ordered
        : ordered.filter((e) => (input.reverseOrder ? e.id < after : e.id > after));
    const page = remaining.slice(0, pageSize(input.maxResults));
    const last = page.at(-1);
    const items = input.includeExecutionData === false ? page.map(withoutExecutionData) : page;
    const more = last !== undefined && remaining.length > page.length;
    return { items, nextToken: more ? encodeToken(last.id) : undefined };
  }

  getExecutionStats(executionArn: string): ExecutionStats {
    const record = this.execution(executionArn);
    const { startDate, stopDate } = record.description;
    return {
      stateTransitions: record.recorder.stateTransitions,
      lambdaInvocations: record.lambdaInvocations,
      retries: record.recorder.retries,
      durationMs: (stopDate ?? new Date()).getTime() - startDate.getTime(),
    };
  }

  /** Resolves with the description once the execution has closed (any terminal status). */
  async waitForExecution(executionArn: string, timeoutMs = 30_000): Promise<ExecutionDescription> {
    const record = this.execution(executionArn);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([record.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.describeExecution(executionArn);
  }

  /** Aborts every running execution (server shutdown). */
  stopAll(): void {
    for (const record of this.executions.values()) {
      if (record.description.status === 'RUNNING') {
        this.stopExecution({ executionArn: record.description.executionArn, error: 'Local.Shutdown' });
      }
    }
  }

  private launch(machine: MachineRecord, record: ExecutionRecord, input: JsonValue): void {
    const stateMachine = new StateMachine(machine.runnable.definition, {
      validationOptions: { noValidate: true },
    });
    const taskResourceLocalHandlers: NonNullable<
      NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']
    > = {};
    for (const [stateName, task] of machine.runnable.tasks) {
      taskResourceLocalHandlers[stateName] = (taskInput) =>
        this.serveTask(record, stateName, task, taskInput);
    }
    const { executionArn, name } = record.description;
    const run = stateMachine.run(input, {
      overrides: { taskResourceLocalHandlers },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: machine.roleArn },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    record.abortRun = run.abort;
    const consumed = this.consume(record, run.eventLogs);
    // The outcome normally comes from the event log (so status and history agree); the result
    // promise is the fallback should the log end without a terminal event.
    void Promise.allSettled([run.result, consumed]).then(([result]) => {
      if (record.description.status !== 'RUNNING') return;
      if (result.status === 'fulfilled') {
        this.close(record, { status: 'SUCCEEDED', output: JSON.stringify(result.value) });
      } else {
        const failure = stateErrorOf(result.reason);
        this.close(record, { status: 'FAILED', error: failure.name, cause: failure.message });
      }
    });
  }

  private async consume(record: ExecutionRecord, events: AsyncGenerator<PackageEvent>): Promise<void> {
    for await (const event of events) {
      // After StopExecution the execution is closed; whatever the run still reports is dropped.
      if (record.description.status !== 'RUNNING') return;
      record.recorder.record(event);
      if (event.type === 'ExecutionSucceeded') {
        this.close(record, { status: 'SUCCEEDED', output: JSON.stringify(event.output) });
      } else if (event.type === 'ExecutionFailed') {
        const cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
        this.close(record, { status: 'FAILED', error: event.Error, cause });
      } else if (event.type === 'ExecutionTimeout') {
        this.close(record, { status: 'TIMED_OUT', error: 'States.Timeout' });
      }
    }
  }

  private close(
    record: ExecutionRecord,
    outcome: { status: ExecutionStatus; output?: string; error?: string; cause?: string },
  ): void {
    const description = record.description;
    description.status = outcome.status;
    description.stopDate = new Date();
    if (outcome.output !== undefined) description.output = outcome.output;
    if (outcome.error !== undefined) description.error = outcome.error;
    if (outcome.cause !== undefined) description.cause = outcome.cause;
    record.markClosed();
  }

  /** The local handler behind one Task state (see runnable.ts for why Waits are Tasks here). */
  private async serveTask(record: ExecutionRecord, stateName: string, task: TaskKind, input: JsonValue) {
    const signal = record.abortController.signal;
    switch (task.kind) {
      case 'wait':
        return this.serveWait(task.wait, input, signal);
      case 'pass-result':
        return task.result;
      case 'unsupported':
        throw new UnrecoverableError(
          'States.Runtime',
          `The local endpoint cannot run resource ${task.resource}`,
        );
      case 'lambda':
        return this.invoke(record, stateName, task.functionName, input, task.timeoutSeconds);
      case 'lambda-invoke':
        return this.serveLambdaInvoke(record, stateName, input, task.timeoutSeconds);
    }
  }

  private async invoke(
    record: ExecutionRecord,
    stateName: string,
    functionName: string,
    payload: JsonValue,
    timeoutSeconds: number | undefined,
  ): Promise<JsonValue> {
    // An aborted run may still reach its next task before the package notices; do not invoke it.
    if (record.abortController.signal.aborted) return null;
    const invocation: InvocationRecord = { payload };
    record.lambdaInvocations += 1;
    record.recorder.noteInvocation(stateName, invocation);
    const context = { executionArn: record.description.executionArn, stateName, timeoutSeconds };
    invocation.result = await this.invoker.invoke(functionName, payload, context);
    return invocation.result;
  }

  /** `arn:aws:states:::lambda:invoke`: FunctionName and Payload in, the Invoke response out. */
  private async serveLambdaInvoke(
    record: ExecutionRecord,
    stateName: string,
    input: JsonValue,
    timeoutSeconds: number | undefined,
  ): Promise<JsonValue> {
    const functionName = isJsonObject(input) ? input.FunctionName : undefined;
    if (typeof functionName !== 'string') {
      throw new UnrecoverableError(
        'States.Runtime',
        `${LAMBDA_INVOKE_RESOURCE} needs Parameters.FunctionName`,
      );
    }
    const name = functionNameFromArn(functionName) ?? functionName;
    const payload = isJsonObject(input) && input.Payload !== undefined ? input.Payload : {};
    const result = await this.invoke(record, stateName, name, payload, timeoutSeconds);
    return {
      ExecutedVersion: '$LATEST',
      Payload: result,
      SdkHttpMetadata: { HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: randomUUID() },
      StatusCode: 200,
    };
  }

  /** Sleeps the Wait's duration × timeScale; returns the (InputPath-processed) input unchanged. */
  private async serveWait(wait: WaitSpec, input: JsonValue, signal: AbortSignal): Promise<JsonValue> {
    const parameters = isJsonObject(input) ? input : {};
    await sleep(waitSeconds(wait, parameters) * 1000 * this.timeScale, signal);
    return toJsonValue(parameters.input);
  }

  private machine(stateMachineArn: string): MachineRecord {
    assertArn(stateMachineArn, 'stateMachine');
    const machine = this.machines.get(stateMachineArn);
    if (machine === undefined) {
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return machine;
  }

  private execution(executionArn: string): ExecutionRecord {
    assertArn(executionArn, 'execution');
    const record = this.executions.get(executionArn);
    if (record === undefined) {
      throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return record;
  }
}

/** `LOCAL_TIME_SCALE` (e.g. 0.01: a 180 s wait takes 1.8 s), else 1. */
export function timeScaleFromEnvironment(): number {
  const raw = process.env.LOCAL_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!(scale > 0)) throw new RangeError(`LOCAL_TIME_SCALE must be a positive number, got ${raw}`);
  return scale;
}

function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  if (event.details === undefined) return event;
  const { input: _input, output: _output, ...rest } = event.details;
  return { ...event, details: rest };
}

/** The state error inside what `run().result` rejects with (ExecutionError wraps it in `cause`). */
function stateErrorOf(reason: unknown): Error {
  if (reason instanceof Error && reason.cause instanceof Error) return reason.cause;
  return reason instanceof Error ? reason : new Error(String(reason));
}
