/**
 * Status events end to end: the API's and the workflows' status changes as the simulated
 * EventBridge received them (`GET /_local/events?bus=`), with the real ASL and step handlers.
 * Exactly one distinct event per transition, in order, also when a step is retried after its write.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import { type StatusEvent, statusEventSchema } from '../../shared/domain/status-event-schema';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { EVENT_BUS, startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;
let counter = 0;
/** Environments whose READY step "crashes" once right after its work, as a lost Lambda answer. */
const crashAfterReady = new Set<string>();

beforeAll(async () => {
  stack = await startWorkflowStack({
    timeScale: 0.0005,
    wrap: (key, handler) => async (event, context) => {
      const result = await handler(event, context);
      const environmentId = (event as { environmentId?: unknown }).environmentId;
      if (
        key === 'recordReady' &&
        typeof environmentId === 'string' &&
        crashAfterReady.delete(environmentId)
      ) {
        const lost = new Error('the answer was lost after the work was done');
        // What the ASL retries; the retry finds READY already recorded.
        lost.name = 'TransientError';
        throw lost;
      }
      return result;
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

afterEach(async () => {
  await stack.clearFaults();
});

function team(): { team: string; caller: Caller } {
  counter += 1;
  const name = `ev${process.pid % 10_000}-${counter}`;
  return { team: name, caller: memberOf(name) };
}

interface Published {
  eventBusName: string;
  delivered: boolean;
  source: string;
  detailType: string;
  detail: StatusEvent;
  time: string;
}

/** Every status event of one environment the bus received, in the order it received them. */
async function published(environmentId: string): Promise<Published[]> {
  const response = await fetch(`${stack.simulator.url}/_local/events?bus=${encodeURIComponent(EVENT_BUS)}`);
  const body = (await response.json()) as { events: Published[] };
  return body.events
    .filter((event) => (event.detail as { environmentId?: unknown }).environmentId === environmentId)
    .map((event) => ({ ...event, detail: statusEventSchema.parse(event.detail) }));
}

async function provision(caller: Caller, body: Record<string, unknown>): Promise<string> {
  const outcome = await createEnvironment(stack.deps, caller, body);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  return outcome.environment.id;
}

async function destroy(caller: Caller, id: string): Promise<void> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);
}

describe('an environment provisioned and deleted', () => {
  let events: Published[];
  let id: string;
  let outputs: unknown;

  beforeAll(async () => {
    const owner = team();
    id = await provision(owner.caller, {
      name: 'shop',
      team: owner.team,
      ticket: 'OPS-1234',
      callbackUrl: 'https://hooks.example.com/berth',
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    outputs = (await getEnvironment(stack.deps, owner.caller, id)).outputs;
    await destroy(owner.caller, id);
    events = await published(id);
  });

  it('publishes exactly one event per status change, in order', () => {
    expect(events.map((event) => [event.detail.previousStatus, event.detail.status])).toEqual([
      [null, 'REQUESTED'],
      ['REQUESTED', 'PROVISIONING'],
      ['PROVISIONING', 'READY'],
      ['READY', 'DELETING'],
      ['DELETING', 'DELETED'],
    ]);
  });

  it('gives each event a unique id made of the environment and its version', () => {
    const ids = events.map((event) => event.detail.id);
    const versions = ids.map((eventId) => Number(eventId.slice(`${id}:`.length)));

    expect(new Set(ids).size).toBe(5);
    expect(ids.every((eventId) => eventId.startsWith(`${id}:`))).toBe(true);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions[0]).toBe(1);
  });

  it('publishes on the berth bus as source berth, detail-type berth.environment', () => {
    for (const event of events) {
      expect(event).toMatchObject({
        eventBusName: EVENT_BUS,
        delivered: true,
        source: 'berth',
        detailType: 'berth.environment',
      });
    }
  });

  it('carries the team, name, ticket and callbackUrl on every event', () => {
    for (const { detail } of events) {
      expect(detail).toMatchObject({
        environmentId: id,
        name: 'shop',
        ticket: 'OPS-1234',
        callbackUrl: 'https://hooks.example.com/berth',
      });
    }
  });

  it('carries the outputs on READY only', () => {
    const withOutputs = events.filter((event) => event.detail.outputs !== undefined);

    expect(withOutputs.map((event) => event.detail.status)).toEqual(['READY']);
    expect(withOutputs[0]?.detail.outputs).toEqual(outputs);
    expect(withOutputs[0]?.detail.outputs?.url).toMatch(/^http:\/\//);
  });
});

describe('other life cycles', () => {
  it('publishes UPDATING from the API and READY from the update workflow', async () => {
    const owner = team();
    const id = await provision(owner.caller, {
      name: 'grow',
      team: owner.team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    const ready = await getEnvironment(stack.deps, owner.caller, id);

    await updateEnvironment(
      stack.deps,
      owner.caller,
      id,
      { services: [{ name: 'web', image: 'nginx:1.28' }] },
      `"${ready.version}"`,
    );
    await stack.settle(id);

    const events = await published(id);
    expect(events.map((event) => [event.detail.previousStatus, event.detail.status])).toEqual([
      [null, 'REQUESTED'],
      ['REQUESTED', 'PROVISIONING'],
      ['PROVISIONING', 'READY'],
      ['READY', 'UPDATING'],
      ['UPDATING', 'READY'],
    ]);
    expect(events[3]?.detail.step).toBeUndefined();
    expect(events[4]?.detail.step).toBe('updated');
    await destroy(owner.caller, id);
  });

  it('publishes ROLLING_BACK and then FAILED with the step and AWS error of a failed create', async () => {
    const owner = team();
    await stack.injectFault({
      service: 'elasticloadbalancing',
      operation: 'CreateLoadBalancer',
      code: 'InvalidConfigurationRequest',
      status: 400,
      count: 100,
    });

    const id = await provision(owner.caller, {
      name: 'broken',
      team: owner.team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });

    const events = await published(id);
    expect(events.map((event) => event.detail.status)).toEqual([
      'REQUESTED',
      'PROVISIONING',
      'ROLLING_BACK',
      'FAILED',
    ]);
    expect(events[3]?.detail.error).toMatchObject({
      step: 'create-load-balancer',
      code: 'InvalidConfigurationRequest',
    });
    expect(events[3]?.detail.outputs).toBeUndefined();
  });
});

describe('retries', () => {
  it('publishes the same event again, never a second id, when a step is retried after its write', async () => {
    const owner = team();
    const outcome = await createEnvironment(stack.deps, owner.caller, {
      name: 'crashy',
      team: owner.team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    crashAfterReady.add(outcome.environment.id);
    await stack.settle(outcome.environment.id);

    const events = await published(outcome.environment.id);
    const ready = events.filter((event) => event.detail.status === 'READY');

    expect(crashAfterReady.has(outcome.environment.id)).toBe(false);
    expect(ready).toHaveLength(2);
    expect(ready[1]?.detail).toEqual(ready[0]?.detail);
    expect(new Set(events.map((event) => event.detail.id)).size).toBe(3);
    await destroy(owner.caller, outcome.environment.id);
  });

  it('retries the step until EventBridge takes the event, without changing the status twice', async () => {
    const owner = team();
    // Three failures exhaust the SDK's own attempts, so the step fails and Step Functions retries it.
    await stack.injectFault({
      service: 'events',
      operation: 'PutEvents',
      code: 'InternalFailure',
      status: 500,
      count: 3,
      match: '\\"status\\":\\"READY\\"',
    });

    const id = await provision(owner.caller, {
      name: 'flaky',
      team: owner.team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });

    const environment = await getEnvironment(stack.deps, owner.caller, id);
    const events = await published(id);
    expect(await stack.installedFaults()).toEqual([]);
    expect(environment.status).toBe('READY');
    expect(events.map((event) => event.detail.status)).toEqual(['REQUESTED', 'PROVISIONING', 'READY']);
    expect(events[2]?.detail.id).toBe(`${id}:${environment.version}`);
    await destroy(owner.caller, id);
  });
});
