/**
 * The local Step Functions endpoint: the AWS JSON 1.0 protocol on 127.0.0.1, so the real
 * `@aws-sdk/client-sfn` (with `AWS_ENDPOINT_URL_SFN`) talks to it unchanged.
 *
 * Wire format: `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON body;
 * answers `application/x-amz-json-1.0`; timestamps are epoch seconds; errors are HTTP 400 with
 * `{"__type": "<Code>", "message": "…"}` (the SDK takes the error name from `__type`).
 * Extra: `GET /_local/executions/{executionArn}/stats` answers the execution's statistics as
 * plain JSON (see engine.ts for how they are counted).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadServerlessProject, type ServerlessProject } from './definitions';
import { type ExecutionDescription, SfnError, StepFunctionsEngine } from './engine';
import type { HistoryEvent } from './history';
import { inProcessInvoker, type LambdaHandler, lambdaApiInvoker, type TaskInvoker } from './invokers';
import { isJsonObject, type JsonObject, type JsonValue, toJsonValue } from './json';

export interface StartStepFunctionsOptions {
  /** Default 8083; 0 picks a free port (tests). */
  port?: number;
  /** State machines to register, in addition to those of `serverlessYmlPath`. */
  definitions?: Array<{ name: string; definition: JsonObject }>;
  /** Registers every state machine of this serverless.yml (and knows its functions). */
  serverlessYmlPath?: string;
  /** Stage for `${sls:stage}` and function names; default `dev`. */
  stage?: string;
  /**
   * How Task states run their Lambda: `lambda-api` (default; the Lambda invoke API at
   * `AWS_ENDPOINT_URL_LAMBDA`, i.e. serverless-offline), `in-process` (call handlers directly:
   * `handlers` first, then lazily imported from serverless.yml handler paths), or any TaskInvoker.
   */
  invoke?: 'lambda-api' | 'in-process' | TaskInvoker;
  /** In-process handlers by function key (`network`) or deployed name. */
  handlers?: Record<string, LambdaHandler>;
  /** Multiplies Wait and Retry intervals; default `LOCAL_TIME_SCALE`, else 1. */
  timeScale?: number;
  region?: string;
  /**
   * IAM for the API: given the caller's access key, the operation and its input, a refusal message
   * (answered as AWS does, `AccessDeniedException`) or undefined to let the call through. The local
   * stack passes the simulated AWS's evaluator; without it every caller may call everything.
   */
  authorize?: (call: {
    accessKeyId: string | undefined;
    operation: string;
    input: JsonObject;
  }) => string | undefined;
}

export interface LocalStepFunctions {
  url: string;
  port: number;
  engine: StepFunctionsEngine;
  close(): Promise<void>;
}

/** Starts the endpoint; resolves once it listens. */
export async function startStepFunctions(
  options: StartStepFunctionsOptions = {},
): Promise<LocalStepFunctions> {
  const stage = options.stage ?? 'dev';
  const region = options.region ?? 'us-east-1';
  const project =
    options.serverlessYmlPath === undefined
      ? undefined
      : loadServerlessProject(options.serverlessYmlPath, { stage, region });
  const engine = new StepFunctionsEngine({
    invoker: chooseInvoker(options, project, stage, region),
    timeScale: options.timeScale,
    region,
  });
  for (const machine of project?.stateMachines ?? []) engine.createStateMachine(machine);
  for (const machine of options.definitions ?? []) engine.createStateMachine(machine);

  const server = createServer((request, response) => {
    handle(engine, request, response, options.authorize).catch((error: unknown) => {
      sendJson(response, 500, { __type: 'InternalFailure', message: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8083, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    engine,
    close: () =>
      new Promise<void>((resolve, reject) => {
        engine.stopAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function chooseInvoker(
  options: StartStepFunctionsOptions,
  project: ServerlessProject | undefined,
  stage: string,
  region: string,
): TaskInvoker {
  const invoke = options.invoke ?? 'lambda-api';
  if (typeof invoke !== 'string') return invoke;
  if (invoke === 'lambda-api') return lambdaApiInvoker({ region });
  return inProcessInvoker({
    handlers: options.handlers,
    functions: project?.functions,
    // Without serverless.yml the names still follow `<service>-<stage>-<key>`.
    functionNamePrefix: `${project?.service ?? 'berth'}-${stage}-`,
    region,
  });
}

/** One API operation: the parsed request body in, the response body out (Dates become epoch seconds). */
type Operation = (engine: StepFunctionsEngine, body: JsonObject) => object;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (engine, body) =>
    engine.startExecution({
      stateMachineArn: requiredString(body, 'stateMachineArn'),
      name: optionalString(body, 'name'),
      input: optionalString(body, 'input'),
    }),
  DescribeExecution: (engine, body) =>
    describeExecutionWire(engine.describeExecution(requiredString(body, 'executionArn'))),
  StopExecution: (engine, body) =>
    engine.stopExecution({
      executionArn: requiredString(body, 'executionArn'),
      error: optionalString(body, 'error'),
      cause: optionalString(body, 'cause'),
    }),
  ListExecutions: (engine, body) => {
    const page = engine.listExecutions({
      stateMachineArn: requiredString(body, 'stateMachineArn'),
      statusFilter: optionalString(body, 'statusFilter'),
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
    });
    return { executions: page.items, nextToken: page.nextToken };
  },
  GetExecutionHistory: (engine, body) => {
    const page = engine.getExecutionHistory({
      executionArn: requiredString(body, 'executionArn'),
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
      reverseOrder: body.reverseOrder === true,
      includeExecutionData: body.includeExecutionData !== false,
    });
    return { events: page.items.map(historyEventWire), nextToken: page.nextToken };
  },
  ListStateMachines: (engine, body) => {
    const page = engine.listStateMachines({
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
    });
    return { stateMachines: page.items, nextToken: page.nextToken };
  },
  DescribeStateMachine: (engine, body) =>
    engine.describeStateMachine(requiredString(body, 'stateMachineArn')),
  CreateStateMachine: (engine, body) =>
    engine.createStateMachine({
      name: requiredString(body, 'name'),
      definition: requiredString(body, 'definition'),
      roleArn: optionalString(body, 'roleArn'),
    }),
};

async function handle(
  engine: StepFunctionsEngine,
  request: IncomingMessage,
  response: ServerResponse,
  authorize: StartStepFunctionsOptions['authorize'],
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const stats = /^\/_local\/executions\/([^/]+)\/stats$/.exec(url.pathname);
  if (request.method === 'GET' && stats?.[1] !== undefined) {
    respond(response, () => engine.getExecutionStats(decodeURIComponent(stats[1] ?? '')));
    return;
  }
  const target = request.headers['x-amz-target'];
  const operationName = typeof target === 'string' ? target.replace(/^AWSStepFunctions\./, '') : '';
  const operation = OPERATIONS[operationName];
  if (request.method !== 'POST' || operation === undefined) {
    sendJson(response, 400, {
      __type: 'UnknownOperationException',
      message: `Unknown operation ${String(target)}`,
    });
    return;
  }
  const text = await readBody(request);
  let body: JsonValue;
  try {
    body = text === '' ? {} : toJsonValue(JSON.parse(text));
  } catch {
    sendJson(response, 400, { __type: 'SerializationException', message: 'Request body is not valid JSON' });
    return;
  }
  const input = isJsonObject(body) ? body : {};
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(request.headers.authorization ?? '')?.[1];
  const refusal = authorize?.({ accessKeyId, operation: operationName, input });
  if (refusal !== undefined) {
    sendJson(response, 400, { __type: 'AccessDeniedException', message: refusal });
    return;
  }
  respond(response, () => operation(engine, input));
}

/** Runs an operation and answers its result, or its Step Functions error as `__type`. */
function respond(response: ServerResponse, operation: () => unknown): void {
  try {
    sendJson(response, 200, operation());
  } catch (error) {
    if (!(error instanceof SfnError)) throw error;
    const status = error.code === 'ExecutionDoesNotExist' && response.req.method === 'GET' ? 404 : 400;
    sendJson(response, status, { __type: error.code, message: error.message });
  }
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(toWire(value));
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(body);
}

/** JSON 1.0 timestamps are epoch seconds; undefined members are left out. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .map(([key, member]) => [key, toWire(member)]),
    );
  }
  return value;
}

function describeExecutionWire(description: ExecutionDescription): Record<string, unknown> {
  return {
    ...description,
    inputDetails: { included: true },
    outputDetails: description.output === undefined ? undefined : { included: true },
  };
}

function historyEventWire(event: HistoryEvent): Record<string, unknown> {
  const { detailsKey, details, ...rest } = event;
  return detailsKey === undefined ? rest : { ...rest, [detailsKey]: details };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

function requiredString(body: JsonObject, member: string): string {
  const value = body[member];
  if (typeof value !== 'string')
    throw new SfnError('ValidationException', `${member} is required and must be a string`);
  return value;
}

function optionalString(body: JsonObject, member: string): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SfnError('ValidationException', `${member} must be a string`);
  return value;
}

function optionalNumber(body: JsonObject, member: string): number | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new SfnError('ValidationException', `${member} must be a number`);
  return value;
}
