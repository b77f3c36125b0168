/**
 * Turns an Amazon States Language definition into the one aws-local-stepfunctions actually runs.
 *
 * Why a rewrite: the package's per-run overrides cannot express berth's time scale faithfully.
 * - `waitTimeOverrides` is one fixed number of milliseconds per state name, so a `SecondsPath` or
 *   `TimestampPath` wait (value known only at run time) cannot be scaled with it. Every Wait state
 *   therefore becomes a Task state served by a local handler: `Parameters` hands it the input and
 *   the resolved `SecondsPath`/`TimestampPath` (the package's own JSONPath evaluation), the handler
 *   sleeps `seconds × timeScale` and returns the input unchanged. InputPath, OutputPath and
 *   Next/End are kept, so the data flow is exactly a Wait's.
 * - `retryIntervalOverrides` is one fixed interval per retrier, which loses BackoffRate. Instead
 *   each retrier's `IntervalSeconds` (default 1) and `MaxDelaySeconds` are multiplied by the time
 *   scale in the definition; the package then applies BackoffRate, MaxAttempts and FULL jitter to the
 *   scaled numbers exactly as Step Functions does to the real ones.
 * - The package's Pass state tests `if (Result)`, so `Result: 0` (or false, "", null) passes the
 *   input through instead. Such a Pass becomes a Task whose local handler returns the Result;
 *   InputPath, Parameters, ResultPath and OutputPath behave the same on both state types.
 * Not scaled: Task `TimeoutSeconds` (handlers run in real time) and the execution's top-level
 * `TimeoutSeconds` (scaling it would time out executions whose Lambdas take real time).
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { allNamedStates, functionNameFromArn } from './definitions';
import { cloneJsonObject, isJsonObject, type JsonObject, type JsonValue } from './json';

/** How the engine serves one Task state (after the rewrite, every Task state has one). */
export type TaskKind =
  /** `Resource` is a function name: the payload goes to the function, its result is the state's. */
  | { kind: 'lambda'; functionName: string; timeoutSeconds?: number; insideMap: boolean }
  /** `arn:aws:states:::lambda:invoke`: FunctionName/Payload come from Parameters, result is wrapped. */
  | { kind: 'lambda-invoke'; timeoutSeconds?: number; insideMap: boolean }
  /** A rewritten Wait state. */
  | { kind: 'wait'; wait: WaitSpec }
  /** A rewritten Pass state whose `Result` is falsy (0, false, "", null): the result to return. */
  | { kind: 'pass-result'; result: JsonValue }
  /** Any other integration (`.sync`, `.waitForTaskToken`, SDK integrations): fails when it runs. */
  | { kind: 'unsupported'; resource: string };

/** Where a rewritten Wait state's duration comes from. */
export type WaitSpec =
  | { source: 'Seconds'; seconds: number }
  | { source: 'Timestamp'; timestamp: string }
  | { source: 'SecondsPath' }
  | { source: 'TimestampPath' };

export interface RunnableDefinition {
  /** The rewritten definition, to be run with validation off (it was validated before the rewrite). */
  definition: StateMachineDefinition;
  /** State name → how to serve it. State names are unique across the whole machine. */
  tasks: Map<string, TaskKind>;
}

/** The resource every rewritten Wait state carries; only the local handler ever sees it. */
export const LOCAL_WAIT_RESOURCE = 'berth:local:wait';
export const LOCAL_PASS_RESOURCE = 'berth:local:pass';
export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';

/** Largest timer Node can arm (2^31-1 ms, ~24.8 days); longer timeouts fire immediately. */
export const MAX_TIMER_SECONDS = 2_147_483;

/**
 * Checks a definition the way CreateStateMachine would: the package's ASL validation (ARNs not
 * checked, since local resources are function names) plus unique state names across the whole
 * machine (Step Functions rejects duplicates; the local handlers are keyed by state name).
 * Throws an Error whose message lists the problems.
 */
export function validateDefinition(definition: JsonObject): void {
  if (typeof definition.StartAt !== 'string' || !isJsonObject(definition.States)) {
    throw new Error('definition needs StartAt and States');
  }
  new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const seen = new Set<string>();
  for (const [name] of allNamedStates(definition)) {
    if (seen.has(name)) throw new Error(`duplicate state name: ${name}`);
    seen.add(name);
  }
}

/** Rewrites a validated definition for a given time scale (see the module comment). */
export function prepareRunnable(definition: JsonObject, timeScale: number): RunnableDefinition {
  const rewritten = cloneJsonObject(definition);
  const tasks = new Map<string, TaskKind>();
  const insideMap = statesInsideMap(rewritten);
  for (const [name, state] of allNamedStates(rewritten)) {
    scaleRetriers(state, timeScale);
    if (state.Type === 'Wait') {
      tasks.set(name, { kind: 'wait', wait: rewriteWait(state) });
    } else if (state.Type === 'Pass' && 'Result' in state && !state.Result) {
      tasks.set(name, { kind: 'pass-result', result: state.Result ?? null });
      state.Type = 'Task';
      state.Resource = LOCAL_PASS_RESOURCE;
      delete state.Result;
    } else if (state.Type === 'Task') {
      tasks.set(name, classifyTask(state, insideMap.has(name)));
      // Step Functions sets no Task timeout unless the definition does, so a Lambda task ends with its
      // function's own timeout (invokers.ts); the package's default of 60 s would cut a slow step off as
      // States.Timeout, which AWS never reports there (docs/aws-facts.md#throttling-at-scale-retry-budgets).
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      }
    }
  }
  return { definition: rewritten as unknown as StateMachineDefinition, tasks };
}

function classifyTask(state: JsonObject, insideMap: boolean): TaskKind {
  if (typeof state.Resource !== 'string')
    return { kind: 'unsupported', resource: JSON.stringify(state.Resource) };
  const resource = state.Resource;
  const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  if (resource === LAMBDA_INVOKE_RESOURCE) return { kind: 'lambda-invoke', timeoutSeconds, insideMap };
  // A registered definition may name a Lambda by ARN; serverless-offline only knows names.
  const functionName = functionNameFromArn(resource) ?? (resource.startsWith('arn:') ? undefined : resource);
  if (functionName === undefined) return { kind: 'unsupported', resource };
  return { kind: 'lambda', functionName, timeoutSeconds, insideMap };
}

/** Mutates a Wait state into the equivalent locally handled Task state. */
function rewriteWait(state: JsonObject): WaitSpec {
  let spec: WaitSpec;
  const parameters: JsonObject = { 'input.$': '$' };
  if (typeof state.Seconds === 'number') {
    spec = { source: 'Seconds', seconds: state.Seconds };
  } else if (typeof state.Timestamp === 'string') {
    spec = { source: 'Timestamp', timestamp: state.Timestamp };
  } else if (typeof state.SecondsPath === 'string') {
    spec = { source: 'SecondsPath' };
    parameters['seconds.$'] = state.SecondsPath;
  } else if (typeof state.TimestampPath === 'string') {
    spec = { source: 'TimestampPath' };
    parameters['timestamp.$'] = state.TimestampPath;
  } else {
    throw new Error('a Wait state needs Seconds, Timestamp, SecondsPath or TimestampPath');
  }
  for (const field of ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath']) delete state[field];
  state.Type = 'Task';
  state.Resource = LOCAL_WAIT_RESOURCE;
  state.Parameters = parameters;
  // The package times Task states out after 60 s by default; a Wait must not be cut short.
  state.TimeoutSeconds = MAX_TIMER_SECONDS;
  return spec;
}

function scaleRetriers(state: JsonObject, timeScale: number): void {
  if (!Array.isArray(state.Retry)) return;
  for (const retrier of state.Retry) {
    if (!isJsonObject(retrier)) continue;
    // Step Functions' default IntervalSeconds is 1; it must be written out to be scaled.
    const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
    retrier.IntervalSeconds = interval * timeScale;
    if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds *= timeScale;
  }
}

/** Names of the states that run inside a Map processor (possibly many at once). */
function statesInsideMap(definition: JsonObject): Set<string> {
  const names = new Set<string>();
  for (const [, state] of allNamedStates(definition)) {
    if (state.Type !== 'Map') continue;
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isJsonObject(processor)) for (const [name] of allNamedStates(processor)) names.add(name);
  }
  return names;
}
