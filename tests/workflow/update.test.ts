/**
 * The update workflow on the simulated AWS: a rolling image change, a rollout the circuit breaker
 * rolls back, services added and removed, and a DELETE racing a PATCH.
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;
let ecs: ECSClient;
let counter = 0;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  ecs = new ECSClient({
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  ecs.destroy();
  await stack.stop();
});

async function readyEnvironment(): Promise<{ caller: Caller; environment: Environment }> {
  counter += 1;
  const team = `upd${process.pid % 10_000}-${counter}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'app',
    team,
    services: [{ name: 'web', image: 'nginx:1.27', desiredCount: 2 }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  const environment = await getEnvironment(stack.deps, caller, outcome.environment.id);
  expect(environment.status).toBe('READY');
  return { caller, environment };
}

async function patch(caller: Caller, environment: Environment, body: unknown): Promise<Environment> {
  await updateEnvironment(stack.deps, caller, environment.id, body, `"${environment.version}"`);
  await stack.settle(environment.id);
  return getEnvironment(stack.deps, caller, environment.id);
}

async function runningImage(environment: Environment, service: string): Promise<string | undefined> {
  const clusterArn = String(environment.outputs.clusterArn);
  const { services } = await ecs.send(
    new DescribeServicesCommand({ cluster: clusterArn, services: [service] }),
  );
  return services?.[0]?.taskDefinition;
}

async function teardown(caller: Caller, id: string): Promise<void> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);
  expect(await stack.inventory(id)).toEqual({});
}

it('rolls a new image out and returns to READY', async () => {
  const { caller, environment } = await readyEnvironment();
  const before = await runningImage(environment, 'web');

  const updated = await patch(caller, environment, {
    services: [{ name: 'web', image: 'nginx:1.28', desiredCount: 2 }],
  });

  expect(updated.error).toBeUndefined();
  expect(updated.status).toBe('READY');
  expect(updated.spec.services[0]?.image).toBe('nginx:1.28');
  const after = await runningImage(updated, 'web');
  expect(after).not.toBe(before);
  expect(after).toMatch(/:2$/);
  await teardown(caller, environment.id);
});

it('ends UPDATE_FAILED with the reason when the circuit breaker rolls back, the old revision still serving', async () => {
  const { caller, environment } = await readyEnvironment();
  const before = await runningImage(environment, 'web');

  const failed = await patch(caller, environment, {
    services: [{ name: 'web', image: 'example/unhealthy:1', desiredCount: 2 }],
  });

  expect(failed.status).toBe('UPDATE_FAILED');
  expect(failed.error).toMatchObject({ step: 'services-stable', code: 'DeploymentFailed' });
  expect(await runningImage(failed, 'web')).toBe(before);
  await teardown(caller, environment.id);
});

it('adds a service and removes it again', async () => {
  const { caller, environment } = await readyEnvironment();

  const grown = await patch(caller, environment, {
    services: [
      { name: 'web', image: 'nginx:1.27', desiredCount: 2 },
      { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
    ],
  });
  const grownInventory = await stack.inventory(environment.id);
  const shrunk = await patch(caller, grown, {
    services: [{ name: 'web', image: 'nginx:1.27', desiredCount: 2 }],
  });
  const shrunkInventory = await stack.inventory(environment.id);

  expect(grown.status).toBe('READY');
  expect(grownInventory['ecs-service']).toHaveLength(2);
  expect(grownInventory['target-group']).toHaveLength(2);
  expect(shrunk.status).toBe('READY');
  // The removed service may still be draining its tasks; it must no longer be ACTIVE.
  const active = (shrunkInventory['ecs-service'] ?? []).filter(
    (service) => (service as { status?: string }).status === 'ACTIVE',
  );
  expect(active).toHaveLength(1);
  expect(shrunkInventory['target-group']).toHaveLength(1);
  await teardown(caller, environment.id);
});

it('lets one of a racing DELETE and PATCH win; the other gets 409 or 412', async () => {
  const { caller, environment } = await readyEnvironment();

  const results = await Promise.allSettled([
    deleteEnvironment(stack.deps, caller, environment.id),
    updateEnvironment(
      stack.deps,
      caller,
      environment.id,
      { loadBalancer: { idleTimeoutSeconds: 90 } },
      `"${environment.version}"`,
    ),
  ]);

  const won = results.filter((result) => result.status === 'fulfilled');
  const lost = results.filter((result) => result.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  const reason = lost[0]?.status === 'rejected' ? lost[0].reason : undefined;
  expect(reason).toBeInstanceOf(UseCaseError);
  expect(['conflict', 'precondition-failed']).toContain((reason as UseCaseError).kind);
  await stack.settle(environment.id);
  const settled = await getEnvironment(stack.deps, caller, environment.id);
  if (settled.status !== 'DELETED') await teardown(caller, environment.id);
});
