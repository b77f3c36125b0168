/**
 * After a teardown no revision of the environment's task families (its services' and its jobs') is
 * ACTIVE or INACTIVE: each was deregistered and submitted for deletion. ListTaskDefinitions takes the
 * exact family in the simulator as on AWS, so a teardown that lists by a prefix finds nothing to delete.
 */
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import { names } from '../../shared/domain/naming';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

let stack: WorkflowStack;
let ecs: ECSClient;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  // The account's operator, as a person with the console would look.
  ecs = new ECSClient({
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'operator', secretAccessKey: 'operator' },
  });
});

afterAll(async () => {
  ecs.destroy();
  await stack.stop();
});

async function revisionsOf(family: string, status: 'ACTIVE' | 'INACTIVE'): Promise<string[]> {
  const { taskDefinitionArns = [] } = await ecs.send(
    new ListTaskDefinitionsCommand({ familyPrefix: family, status }),
  );
  return taskDefinitionArns;
}

it('leaves no ACTIVE or INACTIVE revision of its service and job families after a teardown', async () => {
  // Prepare: a service and an image job, an update that registers the service's second revision, and
  // the first revision deregistered (as an operator might), so both ACTIVE and INACTIVE ones exist.
  const team = `tdf${process.pid % 10_000}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'shop',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
    jobs: [{ name: 'nightly', image: 'example/report:1.0', trigger: { schedule: 'rate(1 day)' } }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  const id = outcome.environment.id;
  await stack.settle(id);
  const ready = await getEnvironment(stack.deps, caller, id);
  expect(ready.status).toBe('READY');
  await updateEnvironment(
    stack.deps,
    caller,
    id,
    { services: [{ ...ready.spec.services[0], image: 'nginx:1.28' }] },
    `"${ready.version}"`,
  );
  await stack.settle(id);
  expect((await getEnvironment(stack.deps, caller, id)).status).toBe('READY');
  const ref = { id, name: 'shop', team };
  const families = [names.taskFamily(ref, 'web'), names.taskFamily(ref, 'nightly')];
  const [firstWeb] = await revisionsOf(names.taskFamily(ref, 'web'), 'ACTIVE');
  if (!firstWeb) throw new Error('no revision of the web family');
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: firstWeb }));
  const before = await Promise.all(
    families.flatMap((family) => [revisionsOf(family, 'ACTIVE'), revisionsOf(family, 'INACTIVE')]),
  );

  // Act
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id, 120_000);

  // Assess
  expect((await getEnvironment(stack.deps, caller, id)).status).toBe('DELETED');
  expect(before.flat().length).toBeGreaterThanOrEqual(3);
  const after = await Promise.all(
    families.flatMap((family) => [revisionsOf(family, 'ACTIVE'), revisionsOf(family, 'INACTIVE')]),
  );
  expect(after.flat()).toEqual([]);
  // Submitted for deletion, not merely hidden: no task uses them, so ECS no longer knows them.
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: firstWeb })).then(
    () => 'still described',
    (error: Error) => error.name,
  );
  expect(described).toBe('ClientException');
  expect(await stack.inventory(id)).toEqual({});
});
