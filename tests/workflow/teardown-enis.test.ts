/**
 * Teardown against each kind of DependencyViolation: subnets stay blocked by the ENIs AWS releases
 * only after the NAT gateway, the load balancer and the service's tasks are gone. Time scale 0.01
 * (not the 0.0005 of the other workflow tests): a pass then takes a few simulated seconds, so the
 * shorter ENI chains (ALB, tasks) are still running when the first pass reaches the subnets.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

let stack: WorkflowStack;
/** What every teardown pass reported blocked, by environment (`resource code message`). */
const blockers = new Map<string, string[]>();

beforeAll(async () => {
  stack = await startWorkflowStack({
    timeScale: 0.01,
    // Tasks take 2–3 AWS minutes to stop (AWS's range reaches that with a slow shutdown), so their
    // ENIs are still held when the first pass reaches the subnets, however fast the machine runs it.
    simulator: { latency: { taskStopped: [120, 180] } },
    wrap: (functionKey, handler) => async (event, context) => {
      const result = await handler(event, context);
      if (functionKey === 'teardownPass') {
        const environmentId = String(Reflect.get(Object(event), 'environmentId'));
        const blocked: unknown = Reflect.get(Object(result), 'blocked');
        const seen = blockers.get(environmentId) ?? [];
        for (const item of Array.isArray(blocked) ? blocked : []) {
          seen.push(
            ['resource', 'code', 'message'].map((key) => String(Reflect.get(Object(item), key))).join(' '),
          );
        }
        blockers.set(environmentId, seen);
      }
      return result;
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

it('waits out the ENIs of the NAT gateway, the load balancer and the tasks, naming who holds them', async () => {
  const team = `enis${process.pid % 10_000}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'shop',
    team,
    services: [{ name: 'web', image: 'nginx:1.27', desiredCount: 2 }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  const { id } = outcome.environment;
  await stack.settle(id, 120_000);
  expect((await getEnvironment(stack.deps, caller, id)).status).toBe('READY');

  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id, 120_000);

  expect((await getEnvironment(stack.deps, caller, id)).status).toBe('DELETED');
  expect(await stack.inventory(id)).toEqual({});
  const subnetBlocks = (blockers.get(id) ?? []).filter((line) =>
    /^subnet-\S+ DependencyViolation /.test(line),
  );
  const text = subnetBlocks.join('\n');
  expect(text).toMatch(/eni-\S+ \(NAT gateway, /);
  expect(text).toMatch(/eni-\S+ \(load balancer app\/\S+, /);
  expect(text).toMatch(/eni-\S+ \(ECS task, /);
});
