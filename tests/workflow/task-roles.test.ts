/**
 * Task roles from services[].iam through the real workflows on the simulated AWS (issue #16,
 * per-environment identities): provisioning creates berth-<environment id>-task-<service> under the
 * stage's boundary, tagged, with exactly the declared statements, and the service's task definition
 * names it; an update that drops a service's iam deletes its role once the rollout is stable and one
 * that adds iam creates one; teardown deletes what is left. A statement naming another team's resource
 * is refused before anything is written.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import { names } from '../../shared/domain/naming';
import { TASK_ROLE_POLICY_NAME } from '../../shared/domain/task-roles';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/berth-test-task-boundary`;

let stack: WorkflowStack;
let iam: IAMClient;
let ecs: ECSClient;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  const config = {
    endpoint: stack.simulator.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  iam = new IAMClient(config);
  ecs = new ECSClient(config);
});

afterAll(async () => {
  iam.destroy();
  ecs.destroy();
  await stack.stop();
});

const team = `troles${process.pid % 10_000}`;
const caller = memberOf(team);
const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${team}_${name}`;
const apiStatements = [
  { actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'], resources: [queue('orders')] },
  {
    actions: ['dynamodb:GetItem'],
    resources: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${team}_reports`],
  },
];

async function settled(id: string): Promise<Environment> {
  await stack.settle(id, 150_000);
  return getEnvironment(stack.deps, caller, id);
}

/** The role as the simulated IAM answers it, or the error name when there is none. */
async function roleOf(roleName: string) {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const { PolicyDocument = '' } = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: TASK_ROLE_POLICY_NAME }),
    );
    return {
      boundary: Role?.PermissionsBoundary?.PermissionsBoundaryArn,
      tags: Object.fromEntries((Role?.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
      policy: JSON.parse(decodeURIComponent(PolicyDocument)) as unknown,
    };
  } catch (error) {
    return (error as Error).name;
  }
}

/** The task role of the task definition the service runs. */
async function runningTaskRole(environment: Environment, service: string): Promise<string | undefined> {
  const { services } = await ecs.send(
    new DescribeServicesCommand({ cluster: String(environment.outputs.clusterArn), services: [service] }),
  );
  const { taskDefinition } = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: services?.[0]?.taskDefinition }),
  );
  return taskDefinition?.taskRoleArn;
}

it("creates, re-scopes and deletes a service's task role with the environment, under the boundary", async () => {
  // Prepare / Act: provision api (with iam) and web (without).
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'roles',
    team,
    tags: { 'cost-center': 'cc-7' },
    services: [
      {
        name: 'api',
        image: 'nginx:1.27',
        routing: { pathPatterns: ['/api/*'] },
        iam: { statements: apiStatements },
      },
      { name: 'web', image: 'nginx:1.27' },
    ],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  const ready = await settled(outcome.environment.id);

  // Assess: READY; the api role read back from IAM; the task definition names it; web has none.
  expect([ready.status, ready.error]).toEqual(['READY', undefined]);
  const apiRole = names.taskRole(ready, 'api');
  expect(await roleOf(apiRole)).toEqual({
    boundary: BOUNDARY,
    tags: expect.objectContaining({
      'berth:environment': ready.id,
      'berth:team': team,
      'berth:managed-by': 'berth',
      'cost-center': 'cc-7',
    }),
    policy: {
      Version: '2012-10-17',
      Statement: apiStatements.map(({ actions, resources }) => ({
        Effect: 'Allow',
        Action: actions,
        Resource: resources,
      })),
    },
  });
  expect(await runningTaskRole(ready, 'api')).toBe(`arn:aws:iam::${ACCOUNT}:role/${apiRole}`);
  expect(await runningTaskRole(ready, 'web')).toBeUndefined();
  expect(await roleOf(names.taskRole(ready, 'web'))).toBe('NoSuchEntityException');

  // Act: api drops its iam, web gains one.
  const webStatements = [
    { actions: ['sns:Publish'], resources: [`arn:aws:sns:${REGION}:${ACCOUNT}:${team}_events`] },
  ];
  await updateEnvironment(
    stack.deps,
    caller,
    ready.id,
    {
      services: [
        { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
        { name: 'web', image: 'nginx:1.27', iam: { statements: webStatements } },
      ],
    },
    `"${ready.version}"`,
  );
  const updated = await settled(ready.id);

  // Assess: the api role is gone once stable and its service runs without one; web runs as its new role.
  expect([updated.status, updated.error]).toEqual(['READY', undefined]);
  expect(await roleOf(apiRole)).toBe('NoSuchEntityException');
  expect(await runningTaskRole(updated, 'api')).toBeUndefined();
  const webRole = names.taskRole(updated, 'web');
  expect(await roleOf(webRole)).toEqual(
    expect.objectContaining({
      boundary: BOUNDARY,
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: webStatements[0]?.resources }],
      },
    }),
  );
  expect(await runningTaskRole(updated, 'web')).toBe(`arn:aws:iam::${ACCOUNT}:role/${webRole}`);

  // Act / Assess: teardown deletes the web role with everything else.
  await deleteEnvironment(stack.deps, caller, ready.id);
  const deleted = await settled(ready.id);
  expect([deleted.status, deleted.error]).toEqual(['DELETED', undefined]);
  expect(await roleOf(webRole)).toBe('NoSuchEntityException');
  expect(await stack.inventory(ready.id)).toEqual({});
});

it("refuses a statement naming another team's resource with 422 at its pointer, writing nothing", async () => {
  // Act
  const refusal = await createEnvironment(stack.deps, caller, {
    name: 'greedy',
    team,
    services: [
      {
        name: 'api',
        image: 'nginx:1.27',
        iam: {
          statements: [
            {
              actions: ['sqs:SendMessage'],
              resources: [queue('a'), `arn:aws:sqs:${REGION}:${ACCOUNT}:billing_orders`],
            },
          ],
        },
      },
    ],
  }).then(
    () => undefined,
    (error: unknown) => error,
  );

  // Assess
  expect(refusal).toBeInstanceOf(UseCaseError);
  expect(refusal).toMatchObject({
    kind: 'unprocessable',
    errors: [{ path: '/services/0/iam/statements/0/resources/1', rule: 'taskRoleResources' }],
  });
  const { items } = await stack.store.list({ teams: [team], limit: 50 });
  expect(items.map((environment) => environment.name)).not.toContain('greedy');
});
