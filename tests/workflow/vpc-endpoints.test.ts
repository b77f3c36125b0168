/**
 * `natGateways: none` on the real workflows: berth creates the VPC endpoints the tasks need (the
 * simulated AWS stops a task that cannot reach ECR, S3, Logs or its secrets —
 * packages/aws-sim/tests/vpc-endpoints.test.ts shows the refusal), the services come up healthy,
 * the outputs list the endpoints, and teardown leaves nothing; an image no endpoint serves is refused
 * at request time (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import { names } from '../../shared/domain/naming';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

const ECR_IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.0';
const SECRET = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:shop/db-AbCdEf';
const PARAMETER = 'arn:aws:ssm:us-east-1:000000000000:parameter/shop/api-key';

let stack: WorkflowStack;
let counter = 0;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
});

afterAll(async () => {
  await stack.stop();
});

function team(): { team: string; caller: Caller } {
  counter += 1;
  const name = `ve${process.pid % 10_000}-${counter}`;
  return { team: name, caller: memberOf(name) };
}

/** The team's policy lets its services read the shop/ secrets and parameters (an admin's grant). */
async function create(caller: Caller, body: Record<string, unknown>): Promise<Environment> {
  await stack.grantTeamPolicy(String(body.team), {
    secretPrefixes: { secretsManager: ['shop/'], ssmParameters: ['/shop/'] },
  });
  const outcome = await createEnvironment(stack.deps, caller, body);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id, 120_000);
  return getEnvironment(stack.deps, caller, outcome.environment.id);
}

async function refusalOf(promise: Promise<unknown>): Promise<UseCaseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UseCaseError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('an environment without NAT gateways', () => {
  let caller: Caller;
  let ready: Environment;
  let inventory: Record<string, unknown[]>;

  beforeAll(async () => {
    const owner = team();
    caller = owner.caller;
    ready = await create(caller, {
      name: 'private',
      team: owner.team,
      network: { natGateways: 'none' },
      services: [{ name: 'web', image: ECR_IMAGE, desiredCount: 2, secrets: { DB_PASSWORD: SECRET } }],
    });
    inventory = await stack.inventory(ready.id);
  });

  it('reaches READY with its tasks running and healthy', async () => {
    // Act
    const ecs = new ECSClient({
      endpoint: stack.simulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const ref = { id: ready.id, name: ready.name, team: ready.team };
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster: names.cluster(ref), services: ['web'] }),
    );
    ecs.destroy();

    // Assess
    expect(ready.status).toBe('READY');
    expect(inventory['nat-gateway']).toBeUndefined();
    expect(described.services?.[0]?.runningCount).toBe(2);
  });

  it('lists the endpoints it made in the outputs: ECR, Logs, Secrets Manager and the S3 gateway', () => {
    // Assess
    const endpoints = ready.outputs.vpcEndpoints as Array<{ service: string; type: string; id: string }>;
    expect(endpoints.map((endpoint) => `${endpoint.service}/${endpoint.type}`).sort()).toEqual([
      'ecr.api/Interface',
      'ecr.dkr/Interface',
      'logs/Interface',
      's3/Gateway',
      'secretsmanager/Interface',
    ]);
    expect(endpoints.every((endpoint) => /^vpce-[0-9a-f]{17}$/.test(endpoint.id))).toBe(true);
    expect(inventory['vpc-endpoint']).toHaveLength(5);
  });

  it('prices the interface endpoints in its estimate', () => {
    // Assess: 4 interface endpoints in 2 zones.
    expect(ready.cost?.lines).toContainEqual(
      expect.objectContaining({ item: 'VPC interface endpoints', quantity: 4 * 2 * 730 }),
    );
  });

  it('leaves nothing behind after DELETE', async () => {
    // Act
    await deleteEnvironment(stack.deps, caller, ready.id);
    await stack.settle(ready.id, 120_000);
    const deleted = await getEnvironment(stack.deps, caller, ready.id);

    // Assess
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(ready.id)).toEqual({});
  });
});

it('follows an update that swaps a Secrets Manager secret for an SSM parameter', async () => {
  // Prepare
  const owner = team();
  const ready = await create(owner.caller, {
    name: 'swap',
    team: owner.team,
    network: { natGateways: 'none' },
    services: [{ name: 'web', image: ECR_IMAGE, secrets: { DB_PASSWORD: SECRET } }],
  });

  // Act
  await updateEnvironment(
    stack.deps,
    owner.caller,
    ready.id,
    { services: [{ name: 'web', image: ECR_IMAGE, secrets: { API_KEY: PARAMETER } }] },
    `"${ready.version}"`,
  );
  await stack.settle(ready.id, 120_000);
  const updated = await getEnvironment(stack.deps, owner.caller, ready.id);

  // Assess: the new revision's tasks read the parameter through the new SSM endpoint.
  expect(updated.status).toBe('READY');
  const services = (updated.outputs.vpcEndpoints as Array<{ service: string }>).map(
    (endpoint) => endpoint.service,
  );
  expect(services).toContain('ssm');
  expect(services).not.toContain('secretsmanager');
  await deleteEnvironment(stack.deps, owner.caller, ready.id);
  await stack.settle(ready.id, 120_000);
  expect(await stack.inventory(ready.id)).toEqual({});
});

it('refuses a Docker Hub image without NAT at request time, naming the field', async () => {
  // Prepare
  const owner = team();

  // Act
  const refusal = await refusalOf(
    createEnvironment(stack.deps, owner.caller, {
      name: 'private',
      team: owner.team,
      network: { natGateways: 'none' },
      services: [
        { name: 'web', image: ECR_IMAGE },
        { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
      ],
    }),
  );

  // Assess
  expect(refusal.kind).toBe('unprocessable');
  expect(refusal.errors?.map((issue) => issue.path)).toEqual(['/services/1/image']);
  expect(refusal.errors?.[0]?.message).toContain('natGateways is none');
});
