/**
 * Crash and re-run: every step of provisioning and teardown executed twice in a row (as when a
 * Lambda finishes its work but its answer is lost and Step Functions retries it) gives the same
 * environment as running it once: nothing created twice, nothing left after teardown.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;
const invocations = new Map<string, number>();

beforeAll(async () => {
  stack = await startWorkflowStack({
    timeScale: 0.0005,
    wrap: (key, handler) => async (event, context) => {
      invocations.set(key, (invocations.get(key) ?? 0) + 1);
      await handler(event, context);
      return handler(event, context);
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

it('provisions exactly one of everything and tears it all down when every step runs twice', async () => {
  const team = `rerun${process.pid % 10_000}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'twice',
    team,
    network: { availabilityZones: 3, natGateways: 'per-az' },
    services: [
      { name: 'web', image: 'nginx:1.27' },
      { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
    ],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  const { id } = outcome.environment;

  await stack.settle(id);
  const ready = await getEnvironment(stack.deps, caller, id);
  const inventory = await stack.inventory(id);

  expect(ready.error).toBeUndefined();
  expect(ready.status).toBe('READY');
  expect(invocations.get('createNetwork')).toBeGreaterThanOrEqual(1);
  const counts = Object.fromEntries(Object.entries(inventory).map(([type, items]) => [type, items.length]));
  expect(counts).toMatchObject({
    vpc: 1,
    subnet: 9,
    'internet-gateway': 1,
    'nat-gateway': 3,
    'load-balancer': 1,
    listener: 1,
    'target-group': 2,
    'ecs-cluster': 1,
    'ecs-service': 2,
    'log-group': 2,
  });

  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);

  expect((await getEnvironment(stack.deps, caller, id)).status).toBe('DELETED');
  expect(await stack.inventory(id)).toEqual({});
});
