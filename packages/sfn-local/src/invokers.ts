/**
 * The two ways the local endpoint runs a Lambda task:
 * - `lambdaApiInvoker`: through the Lambda invoke API (serverless-offline's Lambda port), with
 *   aws-local-stepfunctions' own Lambda client. The endpoint comes from `AWS_ENDPOINT_URL_LAMBDA`
 *   (the SDK reads it when the client is created), exactly as every other local endpoint does.
 * - `inProcessInvoker`: calls the handler function directly — the natural way for workflow tests.
 *
 * Both fail the same way Step Functions sees a Lambda fail: an error whose `name` is the
 * function's `errorType` (what Retry/Catch `ErrorEquals` match) and whose `message` is the Cause
 * Step Functions reports — the function's error payload as a JSON string
 * (`{"errorType":…,"errorMessage":…,"trace":[…]}`). In process, a handler that runs past its
 * function's timeout fails as Lambda reports it, `Sandbox.Timedout`
 * (docs/aws-facts.md#throttling-at-scale-retry-budgets); serverless-offline enforces no timeout.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type FunctionSpec, functionKeyForName, LOCAL_ACCOUNT_ID } from './definitions';
import { isJsonObject, type JsonValue, toJsonValue } from './json';
import { MAX_TIMER_SECONDS } from './runnable';

/**
 * A Lambda handler as berth writes them: `(event, context) => Promise<result>`. Declared as a
 * method type so handlers with a specific event type can be passed without casts.
 */
export type LambdaHandler = { handle(event: unknown, context: Context): unknown }['handle'];

/** What the engine tells an invoker about the invocation (for the Lambda context object). */
export interface InvocationContext {
  executionArn: string;
  stateName: string;
  timeoutSeconds?: number;
}

export interface TaskInvoker {
  readonly mode: 'lambda-api' | 'in-process';
  /** Invokes a function by its deployed name; rejects with a `TaskFailure` when it fails. */
  invoke(functionName: string, payload: JsonValue, context: InvocationContext): Promise<JsonValue>;
}

/** A failed task as Step Functions sees it: `name` = Error, `message` = Cause. */
export class TaskFailure extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

/**
 * An error Step Functions raises itself that Retry and Catch cannot handle (`States.Runtime`).
 * aws-local-stepfunctions reads the `isRetryable`/`isCatchable` getters by duck typing.
 */
export class UnrecoverableError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

export interface LambdaApiOptions {
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** Invokes functions through the Lambda invoke API (serverless-offline locally). */
export function lambdaApiInvoker(options: LambdaApiOptions = {}): TaskInvoker {
  const awsConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    credentials: {
      accessKeys: {
        accessKeyId: options.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID ?? 'local',
        secretAccessKey: options.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      },
    },
  };
  return {
    mode: 'lambda-api',
    async invoke(functionName, payload) {
      // The package's Lambda client is internal; a one-state machine is how to reach it. That keeps
      // the call inside aws-local-stepfunctions (and its @aws-sdk/client-lambda) while the engine
      // still sees every invocation and can shape errors like Step Functions does.
      const definition = {
        StartAt: 'Invoke',
        States: {
          Invoke: { Type: 'Task', Resource: functionName, TimeoutSeconds: MAX_TIMER_SECONDS, End: true },
        },
      } satisfies StateMachineDefinition;
      const machine = new StateMachine(definition, { validationOptions: { noValidate: true }, awsConfig });
      try {
        return toJsonValue(await machine.run(payload).result);
      } catch (error) {
        throw lambdaApiFailure(error);
      }
    },
  };
}

/**
 * Maps what the package throws to Step Functions' view: a function error keeps its errorType;
 * a Lambda service error becomes `Lambda.<Code>` and a transport error `Lambda.SdkClientException`
 * (the names AWS recommends retrying: docs/aws-facts.md#lambda-task-errors-in-step-functions).
 */
function lambdaApiFailure(error: unknown): Error {
  // ExecutionError wraps the state's error in `cause`.
  const stateError = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(stateError instanceof Error)) return new TaskFailure('Lambda.SdkClientException', String(stateError));
  const functionError = stateError.cause;
  if (isJsonObject(functionError) && typeof functionError.errorType === 'string') {
    return new TaskFailure(functionError.errorType, JSON.stringify(functionError));
  }
  if ('$metadata' in stateError) return new TaskFailure(`Lambda.${stateError.name}`, stateError.message);
  return new TaskFailure('Lambda.SdkClientException', stateError.message);
}

export interface InProcessOptions {
  /** Handlers by function key (`network`) or deployed name (`berth-dev-network`). */
  handlers?: Record<string, LambdaHandler>;
  /**
   * The project's functions (from serverless.yml). Used to map deployed names to keys and, for a
   * key without an explicit handler, to load it lazily from its `handler` path.
   */
  functions?: Record<string, FunctionSpec>;
  /** For definitions not loaded from serverless.yml: `berth-dev-` maps `berth-dev-network` to `network`. */
  functionNamePrefix?: string;
  region?: string;
}

/** Calls handlers in this process; missing ones are imported on first use from serverless.yml paths. */
export function inProcessInvoker(options: InProcessOptions): TaskInvoker {
  const handlers = options.handlers ?? {};
  const functions = options.functions ?? {};
  const region = options.region ?? 'us-east-1';
  const loaded = new Map<string, Promise<LambdaHandler>>();

  const keyFor = (functionName: string): string => {
    const fromSpec = functionKeyForName(functions, functionName);
    if (fromSpec !== undefined) return fromSpec;
    const prefix = options.functionNamePrefix;
    return prefix !== undefined && functionName.startsWith(prefix)
      ? functionName.slice(prefix.length)
      : functionName;
  };

  /** The function's Lambda timeout, when serverless.yml declares the function. */
  const timeoutFor = (functionName: string): number | undefined =>
    functions[keyFor(functionName)]?.timeoutSeconds;

  const handlerFor = (functionName: string): Promise<LambdaHandler> => {
    const key = keyFor(functionName);
    const explicit = handlers[key] ?? handlers[functionName];
    if (explicit !== undefined) return Promise.resolve(explicit);
    const spec = functions[key];
    if (spec === undefined) {
      return Promise.reject(
        new TaskFailure('Lambda.ResourceNotFoundException', `Function not found: ${functionName}`),
      );
    }
    let handler = loaded.get(key);
    if (handler === undefined) {
      handler = importHandler(spec);
      loaded.set(key, handler);
    }
    return handler;
  };

  return {
    mode: 'in-process',
    async invoke(functionName, payload, context) {
      const handler = await handlerFor(functionName);
      // Lambda hands the function a deserialized copy of the payload, never a shared object.
      const event = toJsonValue(payload);
      const timeoutSeconds = timeoutFor(functionName);
      const lambda = lambdaContext(functionName, context, region, timeoutSeconds);
      let result: unknown;
      try {
        result = await withinTimeout(Promise.resolve(handler(event, lambda)), timeoutSeconds, lambda);
      } catch (error) {
        throw error instanceof TaskFailure ? error : functionFailure(error);
      }
      return toJsonValue(result);
    },
  };
}

/**
 * Imports a handler module by path. `import()` works under tsx, and under jest SWC compiles it to
 * `require`, so the same line serves `npm start` and workflow tests.
 */
async function importHandler(spec: FunctionSpec): Promise<LambdaHandler> {
  let moduleExports: unknown;
  try {
    moduleExports = await import(spec.modulePath);
  } catch (error) {
    // The Lambda runtime reports a module that fails to load as Runtime.ImportModuleError.
    const message = error instanceof Error ? error.message : String(error);
    throw new TaskFailure(
      'Runtime.ImportModuleError',
      JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: message }),
    );
  }
  const handler = exportedFunction(moduleExports, spec.exportName);
  if (handler === undefined) {
    const errorMessage = `${spec.handler} is undefined or not exported`;
    throw new TaskFailure(
      'Runtime.HandlerNotFound',
      JSON.stringify({ errorType: 'Runtime.HandlerNotFound', errorMessage }),
    );
  }
  return handler;
}

function exportedFunction(moduleExports: unknown, exportName: string): LambdaHandler | undefined {
  if (typeof moduleExports !== 'object' || moduleExports === null) return undefined;
  const direct: unknown = Reflect.get(moduleExports, exportName);
  if (typeof direct === 'function') return direct as LambdaHandler;
  // CommonJS interop may put the exports under `default`.
  const fallback: unknown = Reflect.get(moduleExports, 'default');
  if (typeof fallback !== 'object' || fallback === null) return undefined;
  const nested: unknown = Reflect.get(fallback, exportName);
  return typeof nested === 'function' ? (nested as LambdaHandler) : undefined;
}

const warnedUnnamedErrors = new Set<string>();

/**
 * A thrown value as the Node.js Lambda runtime reports it: errorType is the error's `name`
 * (`typeof` for non-errors). A subclass that does not set `name` reports `Error` in AWS too, so a
 * Retry on its class name would never match there; we stay faithful and warn instead.
 */
function functionFailure(thrown: unknown): TaskFailure {
  if (!(thrown instanceof Error)) {
    const errorType = typeof thrown;
    return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage: String(thrown), trace: [] }));
  }
  const className = thrown.constructor.name;
  if (thrown.name === 'Error' && className !== 'Error' && !warnedUnnamedErrors.has(className)) {
    warnedUnnamedErrors.add(className);
    console.warn(
      `[local-stepfunctions] ${className} does not set \`name\`: Lambda reports its errorType as "Error", so Retry/Catch on "${className}" will not match`,
    );
  }
  const trace = (thrown.stack ?? '').split('\n');
  return new TaskFailure(
    thrown.name,
    JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message, trace }),
  );
}

/**
 * The handler's result, or Lambda's timeout error once the function's timeout has passed. Lambda
 * then stops the sandbox; a promise cannot be stopped, so a late handler runs on here and its
 * result is dropped (steps are idempotent, so the retried run and the late one agree).
 */
function withinTimeout(
  run: Promise<unknown>,
  timeoutSeconds: number | undefined,
  context: Context,
): Promise<unknown> {
  if (timeoutSeconds === undefined) return run;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // What the Lambda runtime returns (FunctionError Unhandled) for an invocation past its timeout.
      const errorMessage = `RequestId: ${context.awsRequestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
      reject(
        new TaskFailure(SANDBOX_TIMEDOUT, JSON.stringify({ errorType: SANDBOX_TIMEDOUT, errorMessage })),
      );
    }, timeoutSeconds * 1000);
  });
  return Promise.race([run, timedOut]).finally(() => clearTimeout(timer));
}

/** The error type Lambda reports for an invocation that ran past the function's timeout. */
export const SANDBOX_TIMEDOUT = 'Sandbox.Timedout';

function lambdaContext(
  functionName: string,
  invocation: InvocationContext,
  region: string,
  functionTimeoutSeconds: number | undefined,
): Context {
  // The function's own timeout bounds it; without one, the state's TimeoutSeconds or 60 s.
  const deadline = Date.now() + (functionTimeoutSeconds ?? invocation.timeoutSeconds ?? 60) * 1000;
  const unsupported = (): never => {
    throw new Error('context.done/fail/succeed are not supported locally: return or throw instead');
  };
  const executionName = invocation.executionArn.split(':').at(-1) ?? 'local';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${executionName}/${invocation.stateName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
