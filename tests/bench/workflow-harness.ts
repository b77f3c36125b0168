/**
 * The workflow stack of tests/support outside jest: its own DynamoDB Local (behind a counting
 * proxy), the simulated AWS and the local Step Functions engine with the real step handlers in
 * process, each handler timed so that Lambda GB-seconds can be priced. `startApiFrontDoor` adds
 * the real POST /environments handler in front of it, so creations are admitted (or refused) at
 * request time exactly as the API does it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SimResource } from '@berth/aws-sim/kernel';
import type { StartOptions } from '@berth/aws-sim/server';
import { loadServerlessProject } from '@berth/sfn-local/definitions';
import { runWithCredentials } from '../../local/credential-scope.mjs';
import { createTable, type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb';
import { createEnvironment } from '../../shared/app/create';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { TEST_TABLE } from '../support/dynamodb';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { bundle, type Lambda, syntheticContext, syntheticEvent } from './api';
import { type DynamoDbCounter, startDynamoDbCounter } from './dynamodb-counter';

export interface Invocation {
  functionKey: string;
  durationMs: number;
  /** Simulated time the invocation started and ended (the simulator's clock). */
  simStart: number;
  simEnd: number;
  /** A poll step's verdict (`ready` in its output), if it gave one. */
  ready?: boolean;
  /** What a teardown pass reported still blocked (`resource code`), if it reported anything. */
  blocked?: string[];
}

export interface BenchWorkflowStack {
  stack: WorkflowStack;
  dynamodb: DynamoDbCounter;
  invocations: Invocation[];
  /** Simulated AWS calls by `service:operation` (GET /_local/calls). */
  awsCalls(): Promise<Map<string, number>>;
  /** The execution that currently owns the environment (provision, update or teardown). */
  ownerExecutionArn(environmentId: string): Promise<string>;
  /** Live simulated resources of a type carrying the environment's tag, as the objects the simulator holds. */
  resources<T extends SimResource>(type: string, environmentId: string): T[];
  stop(): Promise<void>;
}

export async function startBenchWorkflowStack(options: {
  timeScale: number;
  simulator?: StartOptions;
}): Promise<BenchWorkflowStack> {
  const local: DynamoDbLocal = await startDynamoDbLocal({ port: 0 });
  const dynamodb = await startDynamoDbCounter(local.endpoint);
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await createTable(client, TEST_TABLE);
  client.destroy();
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  const invocations: Invocation[] = [];
  const clock: { now(): number } = { now: () => Number.NaN };
  const stack = await startWorkflowStack({
    timeScale: options.timeScale,
    ...(options.simulator ? { simulator: options.simulator } : {}),
    wrap: (functionKey, handler) => async (event, context) => {
      const started = performance.now();
      const simStart = clock.now();
      let ready: boolean | undefined;
      let blocked: string[] | undefined;
      try {
        const result = await handler(event, context);
        const verdict: unknown =
          typeof result === 'object' && result !== null ? Reflect.get(result, 'ready') : undefined;
        if (typeof verdict === 'boolean') ready = verdict;
        const blockers: unknown =
          typeof result === 'object' && result !== null ? Reflect.get(result, 'blocked') : undefined;
        if (Array.isArray(blockers) && blockers.length > 0)
          blocked = blockers.map((blocker: unknown) =>
            typeof blocker === 'object' && blocker !== null
              ? `${String(Reflect.get(blocker, 'resource'))} ${String(Reflect.get(blocker, 'code'))}: ${String(Reflect.get(blocker, 'message'))}`
              : String(blocker),
          );
        return result;
      } finally {
        invocations.push({
          functionKey,
          durationMs: performance.now() - started,
          simStart,
          simEnd: clock.now(),
          ...(ready === undefined ? {} : { ready }),
          ...(blocked === undefined ? {} : { blocked }),
        });
      }
    },
  });
  clock.now = () => stack.simulator.sim.clock.now();
  return {
    stack,
    dynamodb,
    invocations,
    async awsCalls() {
      const response = await fetch(`${stack.simulator.url}/_local/calls`);
      const body = (await response.json()) as { calls: Record<string, Record<string, { count: number }>> };
      const calls = new Map<string, number>();
      for (const [service, operations] of Object.entries(body.calls)) {
        for (const [operation, counter] of Object.entries(operations)) {
          calls.set(`${service}:${operation}`, counter.count);
        }
      }
      return calls;
    },
    async ownerExecutionArn(environmentId) {
      const environment = await stack.store.get(environmentId);
      const owner = environment?.owner;
      if (!owner) throw new Error(`environment ${environmentId} has no owner`);
      const kind = owner.includes('-teardown-')
        ? 'teardown'
        : owner.includes('-update-')
          ? 'update'
          : 'provision';
      return stack.stepFunctions.engine.executionArn(`berth-test-${kind}`, owner);
    },
    resources<T extends SimResource>(type: string, environmentId: string): T[] {
      return stack.simulator.sim.store
        .list<T>(type)
        .filter((resource) => resource.tags['berth:environment'] === environmentId);
    },
    async stop() {
      await stack.stop();
      await dynamodb.close();
      await local.stop();
      delete process.env.DYNAMODB_ENDPOINT;
    },
  };
}

/** Calls made between two snapshots of `awsCalls()`. */
export function callsBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const made = new Map<string, number>();
  for (const [key, count] of after) {
    const delta = count - (before.get(key) ?? 0);
    if (delta > 0) made.set(key, delta);
  }
  return made;
}

export function totalOf(calls: Map<string, number>): number {
  return [...calls.values()].reduce((sum, count) => sum + count, 0);
}

export function callerFor(team: string): Caller {
  return memberOf(team, 'bench');
}

/** Starts provisioning a one-service Fargate environment with a single NAT gateway; returns its id. */
export async function requestEnvironment(stack: WorkflowStack, team: string, name: string): Promise<string> {
  const outcome = await createEnvironment(stack.deps, callerFor(team), benchSpec(team, name));
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment.id;
}

/** What the API answered: the HTTP status and the parsed body (problem+json or the environment). */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Wall milliseconds from the request to the answer. */
  ms: number;
}

/** One Lambda container of the create function: its own copy of the bundle, SDK clients and caches. */
export type ApiContainer = Lambda;

export interface ApiFrontDoor {
  /**
   * `count` fresh containers, loaded before the requests are timed: on AWS concurrent cold starts run
   * side by side on separate CPUs, here they would queue on the same two cores.
   */
  containers(count: number): ApiContainer[];
  /**
   * POST /environments as a member of `team` in `container`; a handler that runs out of time answers
   * 504. `concurrent` requests in flight share this one process (the simulator, the local engine and
   * every workflow's steps run on its event loop), so each is given the function's timeout that many
   * times over: on AWS each request has a container and CPU of its own.
   */
  createEnvironment(
    container: ApiContainer,
    team: string,
    body: unknown,
    concurrent?: number,
  ): Promise<ApiAnswer>;
  close(): void;
}

const SERVERLESS_YML = resolve(__dirname, '..', '..', 'serverless.yml');
const STAGE = 'test';

/**
 * The real POST /environments handler (functions/api/create-environment.ts) bundled as serverless.yml
 * bundles it, signing as the createEnvironment function's own role, with the stack's endpoints and
 * state machines. Every request loads the bundle afresh: on AWS concurrent requests land in separate
 * containers, each with cold SDK clients and caches (the account-quota reader's among them).
 */
/** How long berth reuses a read of the account's quotas, in AWS seconds (ACCOUNT_QUOTA_CACHE_SECONDS's default). */
export const QUOTA_READ_REUSED_AWS_SECONDS = 60;

export async function startApiFrontDoor(bench: BenchWorkflowStack, timeScale: number): Promise<ApiFrontDoor> {
  const { stack } = bench;
  const project = loadServerlessProject(SERVERLESS_YML, { stage: STAGE });
  const fn = project.functions.createEnvironment;
  if (!fn?.role) throw new Error('serverless.yml: createEnvironment has no role of its own');
  const credentials = stack.simulator.sim.iam.issueCredentials(fn.role, fn.deployedName);
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SFN: stack.stepFunctions.url,
    AWS_ENDPOINT_URL_SERVICE_QUOTAS: stack.simulator.url,
    // The shared read of the quotas ages in wall time: 60 AWS seconds, scaled like everything else.
    ACCOUNT_QUOTA_CACHE_SECONDS: String(QUOTA_READ_REUSED_AWS_SECONDS * timeScale),
    // serverless.yml builds these from the stage; the local engine names its machines the same way.
    ...Object.fromEntries(
      ['provision', 'teardown', 'update'].map((kind) => [
        `${kind.toUpperCase()}_STATE_MACHINE_ARN`,
        stack.stepFunctions.engine.stateMachineArn(`berth-${STAGE}-${kind}`),
      ]),
    ),
  });
  const folder = mkdtempSync(join(tmpdir(), 'berth-bench-api-'));
  const outfile = require.resolve(await bundle('functions/api/create-environment.ts', folder));
  const freshContainer = (): Lambda => {
    delete require.cache[outfile];
    const loaded: unknown = Reflect.get(require(outfile) as object, 'handler');
    if (typeof loaded !== 'function') throw new Error('create-environment exports no handler');
    return loaded as Lambda;
  };
  return {
    containers: (count) => Array.from({ length: count }, freshContainer),
    async createEnvironment(handler, team, body, concurrent = 1) {
      const started = performance.now();
      // The function's own timeout (serverless.yml), counted from the request as Lambda counts it.
      const deadline = started + fn.timeoutSeconds * 1000 * Math.max(1, concurrent);
      const context = {
        ...syntheticContext(fn.deployedName),
        getRemainingTimeInMillis: () => Math.max(0, deadline - performance.now()),
      };
      try {
        const answer = await runWithCredentials(credentials, () =>
          handler(syntheticEvent('POST', '/environments', '/environments', { teams: [team], body }), context),
        );
        const parsed: unknown = answer.body ? JSON.parse(answer.body) : {};
        return {
          status: answer.statusCode,
          body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {},
          ms: performance.now() - started,
        };
      } catch (error) {
        // middy gives up just before the function's timeout; API Gateway then answers 504.
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return { status: 504, body: { detail: message }, ms: performance.now() - started };
      }
    },
    close() {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The spec every benchmark creation asks for: one Fargate service behind a single NAT gateway. */
export function benchSpec(team: string, name: string): Record<string, unknown> {
  return {
    name,
    team,
    network: { natGateways: 'single' },
    cluster: { capacity: 'FARGATE' },
    services: [{ name: 'web', image: 'nginx:1.27' }],
  };
}
