/**
 * The teardown workflow's edges: a delete AWS refuses for good, a resource that stays blocked past
 * the bound, and DELETE repeated — on the real ASL, step handlers, simulated AWS and DynamoDB Local.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

let stack: WorkflowStack;
let counter = 0;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
});

afterAll(async () => {
  await stack.stop();
});

afterEach(async () => {
  await stack.clearFaults();
});

async function readyEnvironment(): Promise<{ caller: Caller; environment: Environment }> {
  counter += 1;
  const team = `td${process.pid % 10_000}-${counter}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'shop',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  const environment = await getEnvironment(stack.deps, caller, outcome.environment.id);
  if (environment.status !== 'READY') throw new Error(`expected READY, got ${environment.status}`);
  return { caller, environment };
}

async function destroy(caller: Caller, id: string, timeoutMs = 120_000): Promise<Environment> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id, timeoutMs);
  return getEnvironment(stack.deps, caller, id);
}

function teardownExecutions(environmentId: string): string[] {
  const { items } = stack.stepFunctions.engine.listExecutions({
    stateMachineArn: stack.stepFunctions.engine.stateMachineArn('berth-test-teardown'),
    maxResults: 1000,
  });
  return items.filter((item) => item.name.startsWith(`${environmentId}-teardown-`)).map((item) => item.name);
}

it('ends DELETE_FAILED naming the AWS error when a delete is refused for good; DELETE again resumes', async () => {
  const { caller, environment } = await readyEnvironment();
  await stack.injectFault({
    service: 'elasticloadbalancing',
    operation: 'DeleteLoadBalancer',
    code: 'AccessDenied',
    status: 403,
    count: 1000,
  });

  const failed = await destroy(caller, environment.id);

  expect(failed.status).toBe('DELETE_FAILED');
  expect(failed.error).toMatchObject({ step: 'teardown', code: 'AccessDenied' });
  // What does not depend on the ALB went on being deleted around it until the refusal.
  expect(Object.keys(await stack.inventory(environment.id))).toContain('load-balancer');

  await stack.clearFaults();
  const deleted = await destroy(caller, environment.id);

  expect(deleted.status).toBe('DELETED');
  expect(deleted.error).toBeUndefined();
  expect(await stack.inventory(environment.id)).toEqual({});
  expect(teardownExecutions(environment.id)).toHaveLength(2);
});

it('ends DELETE_FAILED naming the blocking resource when it stays blocked past the bound', async () => {
  const { caller, environment } = await readyEnvironment();
  const vpcId = environment.outputs.vpcId;
  await stack.injectFault({
    service: 'ec2',
    operation: 'DeleteVpc',
    code: 'DependencyViolation',
    status: 400,
    message: `The vpc '${vpcId}' has dependencies and cannot be deleted.`,
    count: 100_000,
  });

  // Every one of the bound's passes runs in full (each area, each pass), so this takes a while.
  const blocked = await destroy(caller, environment.id, 330_000);

  expect(blocked.status).toBe('DELETE_FAILED');
  expect(blocked.error).toMatchObject({ step: 'teardown', code: 'DependencyViolation' });
  expect(blocked.error?.message).toContain(String(vpcId));
  // Everything but the VPC (and what AWS deletes with it) is gone already.
  expect(Object.keys(await stack.inventory(environment.id))).toEqual(['vpc']);

  await stack.clearFaults();
  const deleted = await destroy(caller, environment.id);

  expect(deleted.status).toBe('DELETED');
  expect(await stack.inventory(environment.id)).toEqual({});
}, 480_000);

it('starts one teardown however often DELETE is repeated', async () => {
  const { caller, environment } = await readyEnvironment();

  const answers = await Promise.all(
    Array.from({ length: 5 }, () => deleteEnvironment(stack.deps, caller, environment.id)),
  );
  expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill('DELETING'));
  await stack.settle(environment.id, 120_000);
  const again = await deleteEnvironment(stack.deps, caller, environment.id);

  expect(again.status).toBe('DELETED');
  expect(teardownExecutions(environment.id)).toHaveLength(1);
  expect(await stack.inventory(environment.id)).toEqual({});
});
