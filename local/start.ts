/**
 * The local stack (`npm start`): DynamoDB Local with the table, the simulated AWS, the local Step
 * Functions endpoint, the local token issuer, then serverless-offline serving serverless.yml's API.
 * Handlers reach every service through AWS_ENDPOINT_URL_<SERVICE>; a variable already set wins for
 * its service (point it at LocalStack, moto or a real account) and that local component is skipped.
 *
 * `startLocalStack(options)` starts the identical stack for tests (ports 0 → free ports).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type RunningSimulator,
  type StartOptions as SimulatorStartOptions,
  startSimulator,
} from '@berth/aws-sim/server';
import { dynamodbGate } from '@berth/aws-sim/services/dynamodb-gate';
import { services as registeredServices } from '@berth/aws-sim/services/index';
import { LOCAL_ACCOUNT_ID } from '@berth/sfn-local/definitions';
import { timeScaleFromEnvironment } from '@berth/sfn-local/engine';
import { startStepFunctions } from '@berth/sfn-local/server';
import { LOCAL_AUDIENCE, LOCAL_KEY_DIR, LOCAL_PORT, startJwksServer } from './auth';
import {
  assertPortsFree,
  captureOutput,
  createTable,
  DEFAULT_SERVERLESS_YML,
  findFreePort,
  startDynamoDbLocal,
  waitUntilAnswering,
} from './dynamodb';
import { type CredentialsByFunction, issueFunctionCredentials } from './function-identities';
import { storeSigningSecrets } from './signing-secrets';
import { stepFunctionsAuthorizer } from './step-functions-iam';

const ROOT = resolve(__dirname, '..');
const OSLS_BIN = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
/** Gives each function's invocations the credentials of its own role (see local/offline-preload.mjs). */
const OFFLINE_PRELOAD = join(ROOT, 'local', 'offline-preload.mjs');
const DEFAULT_REGION = 'us-east-1';
/** serverless-offline bundles every function with esbuild before it listens; slow on a busy machine. */
const OFFLINE_READY_TIMEOUT_MS = 180_000;
const OFFLINE_STOP_TIMEOUT_MS = 10_000;

/** The services the simulated AWS answers for, by their AWS_ENDPOINT_URL_<SERVICE> suffix. */
export const SIMULATED_SERVICES = [
  'EC2',
  'ELASTIC_LOAD_BALANCING_V2',
  'ECS',
  'CLOUDWATCH_LOGS',
  'AUTO_SCALING',
  'SSM',
  'ROUTE_53',
  'SCHEDULER',
  'SQS',
  'PIPES',
  'EVENTBRIDGE',
  'STS',
  'IAM',
  'SERVICE_QUOTAS',
] as const;

export interface LocalStackOptions {
  /** serverless stage: names the table (`berth-<stage>`) and state machines; default `dev`. */
  stage?: string;
  /** Ports: the defaults are those of `npm start`; 0 picks a free port. */
  httpPort?: number;
  lambdaPort?: number;
  /** serverless-offline opens these only for websocket/ALB events; set so stacks never collide. */
  websocketPort?: number;
  albPort?: number;
  dynamodbPort?: number;
  awsPort?: number;
  stepFunctionsPort?: number;
  authPort?: number;
  /** Base environment (default `process.env`): its AWS_ENDPOINT_URL_* and credentials win. */
  env?: NodeJS.ProcessEnv;
  /** Multiplies simulated AWS durations and Step Functions waits; default LOCAL_TIME_SCALE, else 1. */
  timeScale?: number;
  /** More simulator settings (rate limits, faults, seed…). */
  simulator?: Omit<SimulatorStartOptions, 'port' | 'timeScale'>;
  /** Echo serverless-offline's output (routes, requests, handler logs); default false. */
  verbose?: boolean;
  /** One line per component once it is ready; default silent. */
  log?: (line: string) => void;
  serverlessYmlPath?: string;
}

export interface LocalStack {
  apiUrl: string;
  stage: string;
  tableName: string;
  /** AWS_ENDPOINT_URL_<SERVICE> values handed to the functions, by service (`DYNAMODB`, `SFN`…). */
  endpoints: Record<string, string>;
  auth: { issuer: string; audience: string; jwksUrl: string };
  /** The simulated AWS this call started (none when every simulated service's endpoint was preset). */
  simulator?: RunningSimulator;
  /** Stops everything this call started, in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

interface Started {
  name: string;
  stop(): Promise<void>;
}

/** Starts the whole local stack; on any failure stops what did start and rethrows. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started: Started[] = [];
  const stopAll = async () => {
    for (const component of started.splice(0).reverse()) {
      await component.stop().catch((error: unknown) => {
        process.stderr.write(`stopping ${component.name} failed: ${String(error)}\n`);
      });
    }
  };
  try {
    return { ...(await startComponents(options, started)), stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startComponents(
  options: LocalStackOptions,
  started: Started[],
): Promise<Omit<LocalStack, 'stop'>> {
  const base = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const stage = options.stage ?? 'dev';
  const tableName = `berth-${stage}`;
  const serverlessYmlPath = options.serverlessYmlPath ?? DEFAULT_SERVERLESS_YML;
  const region = base.AWS_REGION ?? base.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  const timeScale = options.timeScale ?? timeScaleFromEnvironment();
  const preset = (service: string) => base[`AWS_ENDPOINT_URL_${service}`] || undefined;
  const endpoints: Record<string, string> = {};

  const requested = requestedPorts(options, base);
  const [httpPort, lambdaPort, websocketPort, albPort] = await Promise.all([
    portOf(requested.httpPort),
    portOf(requested.lambdaPort),
    portOf(requested.websocketPort),
    portOf(requested.albPort),
  ]);
  await assertPortsFree([httpPort, lambdaPort]);

  const dynamodb = async () => {
    let endpoint = preset('DYNAMODB');
    if (endpoint === undefined) {
      const local = await startDynamoDbLocal({ port: options.dynamodbPort ?? 8000 });
      started.push({ name: 'DynamoDB Local', stop: local.stop });
      endpoint = local.endpoint;
    }
    const client = new DynamoDBClient({ endpoint, region, credentials: credentialsOf(base) });
    try {
      await createTable(client, tableName, serverlessYmlPath);
    } finally {
      client.destroy();
    }
    endpoints.DYNAMODB = endpoint;
    log(
      `✔ DynamoDB          ${endpoint} (table ${tableName}${preset('DYNAMODB') ? ', preset endpoint' : ''})`,
    );
  };

  let functionCredentials: CredentialsByFunction | undefined;
  let runningSimulator: RunningSimulator | undefined;
  let functionsDynamoDbEndpoint: string | undefined;
  const simulatedAws = async () => {
    const missing = SIMULATED_SERVICES.filter((service) => preset(service) === undefined);
    if (missing.length === 0) return;
    // The functions reach DynamoDB through the simulator's IAM gate, which forwards to the table's endpoint.
    const upstream = endpoints.DYNAMODB;
    const simulator = await startSimulator({
      ...options.simulator,
      port: options.awsPort ?? 4566,
      timeScale,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      ...(upstream ? { services: [...registeredServices, dynamodbGate({ upstream })] } : {}),
    });
    if (upstream) functionsDynamoDbEndpoint = simulator.url;
    started.push({ name: 'simulated AWS', stop: () => simulator.close() });
    runningSimulator = simulator;
    for (const service of missing) endpoints[service] = simulator.url;
    // Each function signs as its own role, read from this serverless.yml, and the simulator holds it to it.
    functionCredentials = await issueFunctionCredentials(simulator.sim, serverlessYmlPath, stage);
    // The functions read their signing secrets from SSM, as on AWS.
    if (missing.includes('SSM')) {
      await storeSigningSecrets({
        endpoint: simulator.url,
        region,
        credentials: credentialsOf(base),
        environment: base,
        stage,
      });
    }
    log(
      `✔ simulated AWS     ${simulator.url} (${simulator.sim.serviceNames().join(', ')}; time scale ${timeScale})`,
    );
  };

  const issuer = async () => {
    const jwks = await startJwksServer({
      port: options.authPort ?? LOCAL_PORT,
      dir: join(ROOT, LOCAL_KEY_DIR),
    });
    started.push({ name: 'local issuer', stop: () => jwks.close() });
    log(`✔ local issuer      ${jwks.issuer} (JWKS ${jwks.jwksUrl})`);
    return { issuer: jwks.issuer, audience: LOCAL_AUDIENCE, jwksUrl: jwks.jwksUrl };
  };

  for (const service of SIMULATED_SERVICES) {
    const url = preset(service);
    if (url !== undefined) endpoints[service] = url;
  }
  // The simulated AWS gates the functions' table calls, so it starts once DynamoDB answers.
  const [auth] = await Promise.all([issuer(), dynamodb().then(simulatedAws)]);

  // The Lambda invoke API of serverless-offline: Step Functions tasks call functions through it.
  endpoints.LAMBDA = preset('LAMBDA') ?? `http://127.0.0.1:${lambdaPort}`;
  const stepFunctionsEndpoint = preset('SFN');
  if (stepFunctionsEndpoint === undefined) {
    // aws-local-stepfunctions' Lambda client (in this process) reads AWS_ENDPOINT_URL_LAMBDA, so it
    // is set here for the stack's lifetime; one stack per process.
    const restoreLambdaEndpoint = setProcessEnv('AWS_ENDPOINT_URL_LAMBDA', endpoints.LAMBDA);
    const stepFunctions = await startStepFunctions({
      port: options.stepFunctionsPort ?? 8083,
      serverlessYmlPath,
      stage,
      region,
      timeScale,
      invoke: 'lambda-api',
      ...(runningSimulator ? { authorize: stepFunctionsAuthorizer(runningSimulator.sim.iam) } : {}),
    }).catch((error: unknown) => {
      restoreLambdaEndpoint();
      throw error;
    });
    started.push({
      name: 'Step Functions',
      stop: async () => {
        await stepFunctions.close();
        restoreLambdaEndpoint();
      },
    });
    endpoints.SFN = stepFunctions.url;
    const machines = stepFunctions.engine
      .listStateMachines({ maxResults: 100 })
      .items.map((machine) => machine.name);
    log(`✔ Step Functions    ${stepFunctions.url} (${machines.join(', ')}; tasks → ${endpoints.LAMBDA})`);
  } else {
    endpoints.SFN = stepFunctionsEndpoint;
  }

  const workFolder = `.esbuild/offline-${httpPort}`;
  const environment: NodeJS.ProcessEnv = {
    ...base,
    ...credentialsEnvironment(base),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // serverless.yml builds the state-machine ARNs from it instead of asking STS.
    AWS_ACCOUNT_ID: base.AWS_ACCOUNT_ID ?? LOCAL_ACCOUNT_ID,
    ...Object.fromEntries(
      Object.entries(endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url]),
    ),
    ...(functionsDynamoDbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: functionsDynamoDbEndpoint } : {}),
    AUTH_ISSUER: auth.issuer,
    AUTH_AUDIENCE: auth.audience,
    AUTH_JWKS_URL: auth.jwksUrl,
    // Each stack bundles into its own folder: serverless-esbuild deletes its folder on exit.
    BERTH_ESBUILD_WORK_FOLDER: workFolder,
    ...(functionCredentials ? { BERTH_FUNCTION_CREDENTIALS: JSON.stringify(functionCredentials) } : {}),
  };
  const offline = await startServerlessOffline({
    stage,
    httpPort,
    lambdaPort,
    websocketPort,
    albPort,
    environment,
    verbose: options.verbose ?? false,
    serverlessYmlPath,
  });
  started.push({
    name: 'serverless-offline',
    stop: async () => {
      await offline.stop();
      // serverless-esbuild removes its work folder only on a clean osls exit, not on SIGTERM.
      rmSync(join(ROOT, workFolder), { recursive: true, force: true });
    },
  });
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  log(`✔ serverless-offline ${apiUrl} (stage ${stage}; Lambda invoke API ${endpoints.LAMBDA})`);

  return {
    apiUrl,
    stage,
    tableName,
    endpoints,
    auth,
    ...(runningSimulator ? { simulator: runningSimulator } : {}),
  };
}

interface OfflineOptions {
  stage: string;
  httpPort: number;
  lambdaPort: number;
  websocketPort: number;
  albPort: number;
  environment: NodeJS.ProcessEnv;
  verbose: boolean;
  serverlessYmlPath: string;
}

/** Runs `osls offline start` in its own process group, so that stopping it also stops esbuild. */
async function startServerlessOffline(options: OfflineOptions): Promise<Started> {
  const args = [
    '--import',
    OFFLINE_PRELOAD,
    OSLS_BIN,
    'offline',
    'start',
    '--stage',
    options.stage,
    '--host',
    '127.0.0.1',
    '--noPrependStageInUrl',
    // A function's first call loads its bundle; on a loaded laptop or CI machine that alone can pass
    // the 10 s Lambda timeout serverless.yml sets for AWS, and serverless-offline would answer 504
    // for what is only a slow local cold start.
    '--noTimeout',
    // Handlers run in serverless-offline's own process, as warm Lambda containers would: its default
    // starts a worker thread, with a cold module load, for every concurrent call beyond the idle ones
    // (2.5 s p99 at 32 clients in BENCHMARKS.md before this). Every function gets the provider's
    // environment plus its own keys, which no two functions set differently, so sharing
    // process.env is safe.
    '--useInProcess',
    '--httpPort',
    String(options.httpPort),
    '--lambdaPort',
    String(options.lambdaPort),
    '--websocketPort',
    String(options.websocketPort),
    '--albPort',
    String(options.albPort),
  ];
  const child = spawn(process.execPath, args, {
    cwd: resolve(options.serverlessYmlPath, '..'),
    env: options.environment,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child, options.verbose ? (chunk) => process.stdout.write(chunk) : undefined);
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopGroup(child);
  };
  try {
    await waitUntilAnswering(`http://127.0.0.1:${options.httpPort}/`, {
      name: 'serverless-offline',
      child,
      output,
      timeoutMs: OFFLINE_READY_TIMEOUT_MS,
    });
    await waitUntilAnswering(`http://127.0.0.1:${options.lambdaPort}/`, {
      name: 'serverless-offline (Lambda port)',
      child,
      output,
      timeoutMs: OFFLINE_READY_TIMEOUT_MS,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: 'serverless-offline', stop };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // A negative pid signals the whole process group (osls, its workers, the esbuild service).
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM to the group (serverless-offline shuts its servers down), SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), OFFLINE_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
  // Workers or esbuild may outlive the group leader for a moment.
  killGroup(child, 'SIGKILL');
}

/** The serverless-offline ports asked for, before 0 becomes a free port. */
export interface RequestedPorts {
  httpPort: number;
  lambdaPort: number;
  websocketPort: number;
  albPort: number;
}

/**
 * The one place serverless-offline's ports are decided: an explicit option wins, then `PORT` in the
 * environment for the API port (README: `PORT=3310 npm start`), then the `npm start` defaults.
 */
export function requestedPorts(options: LocalStackOptions, env: NodeJS.ProcessEnv): RequestedPorts {
  return {
    httpPort: options.httpPort ?? portFromEnvironment(env, 'PORT') ?? 3000,
    lambdaPort: options.lambdaPort ?? 3002,
    websocketPort: options.websocketPort ?? 3001,
    albPort: options.albPort ?? 3003,
  };
}

/** An unset or empty variable is no choice; anything but a port number is a mistake worth stopping for. */
function portFromEnvironment(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) {
    throw new Error(`${name} must be a port number from 0 to 65535 (0 picks a free port), got "${raw}"`);
  }
  return port;
}

async function portOf(requested: number): Promise<number> {
  return requested === 0 ? findFreePort() : requested;
}

/** Real credentials in the environment are kept; otherwise dummy ones (local services accept any). */
function credentialsEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (base.AWS_ACCESS_KEY_ID && base.AWS_SECRET_ACCESS_KEY) return {};
  return { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: undefined };
}

function credentialsOf(base: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } {
  const environment = { ...base, ...credentialsEnvironment(base) };
  return {
    accessKeyId: environment.AWS_ACCESS_KEY_ID ?? 'test',
    secretAccessKey: environment.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
}

/** Sets a variable of this process unless it is already set; returns how to undo that. */
function setProcessEnv(name: string, value: string): () => void {
  if (process.env[name] !== undefined) return () => {};
  process.env[name] = value;
  return () => {
    if (process.env[name] === value) delete process.env[name];
  };
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let stack: LocalStack | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping the local stack…`);
    // Interrupted while starting: exiting runs the 'exit' hooks that kill serverless-offline's
    // process group and DynamoDB Local; the in-process servers end with this process.
    if (stack === undefined) process.exit(0);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  log('Starting the berth local stack…');
  stack = await startLocalStack({ log, verbose: process.env.BERTH_VERBOSE === '1' });
  log('');
  log(`berth is running locally (stage ${stack.stage}).`);
  log(`  API:    ${stack.apiUrl}   e.g. curl ${stack.apiUrl}/health`);
  log('  Token:  TOKEN=$(npm run -s token -- --team <team>)');
  log(`          curl -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}/environments`);
  log('  serverless-offline output: BERTH_VERBOSE=1 npm start');
  log('  Ctrl-C stops everything.');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
