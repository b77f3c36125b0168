/**
 * The workflow stack of tests/support outside jest: its own DynamoDB Local (behind a counting
 * proxy), the simulated AWS and the local Step Functions engine with the real step handlers in
 * process, each handler timed so that Lambda GB-seconds can be priced.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SimResource } from '@berth/aws-sim/kernel';
import type { StartOptions } from '@berth/aws-sim/server';
import { createTable, type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb';
import { createEnvironment } from '../../shared/app/create';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { TEST_TABLE } from '../support/dynamodb';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
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
  const outcome = await createEnvironment(stack.deps, callerFor(team), {
    name,
    team,
    network: { natGateways: 'single' },
    cluster: { capacity: 'FARGATE' },
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment.id;
}
