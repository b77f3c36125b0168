/**
 * The provisioning and teardown workflows: the real ASL on the local Step Functions endpoint, the
 * real step handlers, the simulated AWS with its latency model (scaled down) and DynamoDB Local.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

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

function team(): { team: string; caller: Caller } {
  counter += 1;
  const name = `wf${process.pid % 10_000}-${counter}`;
  return { team: name, caller: memberOf(name) };
}

async function create(caller: Caller, body: Record<string, unknown>): Promise<Environment> {
  const outcome = await createEnvironment(stack.deps, caller, body);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  return getEnvironment(stack.deps, caller, outcome.environment.id);
}

async function destroy(caller: Caller, id: string): Promise<Environment> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);
  return getEnvironment(stack.deps, caller, id);
}

function count(inventory: Record<string, unknown[]>, type: string): number {
  return inventory[type]?.length ?? 0;
}

describe('a Fargate environment with one service', () => {
  let ready: Environment;
  let caller: Caller;
  let inventory: Record<string, unknown[]>;

  beforeAll(async () => {
    const owner = team();
    caller = owner.caller;
    ready = await create(caller, {
      name: 'shop',
      team: owner.team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    inventory = await stack.inventory(ready.id);
  });

  it('reaches READY with outputs a developer can use', () => {
    expect(ready.status).toBe('READY');
    expect(ready.progress.percent).toBe(100);
    expect(ready.outputs.url).toMatch(/^http:\/\/.+/);
    expect(ready.outputs.services).toEqual([
      expect.objectContaining({
        name: 'web',
        url: expect.stringMatching(/^http:\/\//),
        serviceArn: expect.stringContaining(':service/'),
      }),
    ]);
  });

  it('builds three subnet tiers in two zones, one NAT gateway, an ALB and the service', () => {
    expect(count(inventory, 'vpc')).toBe(1);
    expect(count(inventory, 'subnet')).toBe(6);
    expect(count(inventory, 'nat-gateway')).toBe(1);
    expect(count(inventory, 'load-balancer')).toBe(1);
    expect(count(inventory, 'target-group')).toBe(1);
    expect(count(inventory, 'ecs-service')).toBe(1);
  });

  it('tags every resource with its environment, team and berth', () => {
    const resources = Object.values(inventory).flat() as { tags: Record<string, string> }[];
    expect(resources.length).toBeGreaterThan(10);
    for (const resource of resources) {
      expect(resource.tags).toMatchObject({ 'berth:environment': ready.id, 'berth:managed-by': 'berth' });
      expect(resource.tags['berth:team']).toBe(ready.team);
    }
  });

  it('records each completed step with its times', () => {
    const steps = ready.progress.completedSteps.map((entry) => entry.step);
    expect(steps).toEqual(expect.arrayContaining(['allocate-cidr', 'create-network', 'services-stable']));
  });

  it('tears everything down on DELETE and frees the name', async () => {
    const deleted = await destroy(caller, ready.id);

    expect(deleted.error).toBeUndefined();
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(ready.id)).toEqual({});
    const again = await createEnvironment(stack.deps, caller, {
      name: 'shop',
      team: ready.team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    expect(again.kind).toBe('created');
    if (again.kind === 'created') await destroy(caller, again.environment.id);
  });
});

describe('failures', () => {
  it('rolls back to FAILED with the step and AWS error, leaving nothing behind', async () => {
    const { team: name, caller } = team();
    await stack.injectFault({
      service: 'elasticloadbalancing',
      operation: 'CreateLoadBalancer',
      code: 'InvalidConfigurationRequest',
      status: 400,
      count: 100,
    });

    const failed = await create(caller, {
      name: 'broken',
      team: name,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ step: 'create-load-balancer', code: 'InvalidConfigurationRequest' });
    expect(await stack.inventory(failed.id)).toEqual({});
  });

  it('ends FAILED, not stuck rolling back, when the rollback itself fails; a DELETE then clears it', async () => {
    // Prepare: the network step and the rollback's network pass are refused the same read.
    const { team: name, caller } = team();
    await stack.injectFault({
      service: 'ec2',
      operation: 'DescribeVpcs',
      code: 'UnauthorizedOperation',
      status: 403,
      count: 100,
    });

    // Act
    const failed = await create(caller, {
      name: 'stuck',
      team: name,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    await stack.clearFaults();
    const deleted = await destroy(caller, failed.id);

    // Assess
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ step: 'create-network', code: 'UnauthorizedOperation' });
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(failed.id)).toEqual({});
  });

  it('retries a throttled call and still reaches READY', async () => {
    const { team: name, caller } = team();
    await stack.injectFault({
      service: 'ec2',
      operation: 'CreateVpc',
      code: 'RequestLimitExceeded',
      status: 503,
      count: 4,
    });

    const ready = await create(caller, {
      name: 'busy',
      team: name,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });

    expect(ready.status).toBe('READY');
    await destroy(caller, ready.id);
  });
});

describe('an EC2 environment with three services, per-AZ NAT, HTTPS and DNS', () => {
  it('reaches READY with HTTPS URLs on its DNS name, and tears down clean', async () => {
    const { team: name, caller } = team();
    const zone = await createHostedZone('example.com');
    const certificateArn =
      'arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555';
    await stack.grantTeamPolicy(name, {
      hostedZones: [{ hostedZoneId: zone, recordNameSuffixes: ['big.example.com'] }],
      certificates: [certificateArn],
    });
    const ready = await create(caller, {
      name: 'big',
      team: name,
      network: { availabilityZones: 3, natGateways: 'per-az' },
      cluster: {
        capacity: 'EC2',
        ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 3, desiredCapacity: 2 },
      },
      loadBalancer: { certificateArn },
      dns: { hostedZoneId: zone, recordName: 'big.example.com' },
      services: [
        {
          name: 'api',
          image: 'nginx:1.27',
          routing: { pathPatterns: ['/api/*'] },
          placement: { preset: 'az-balanced-spread' },
        },
        {
          name: 'admin',
          image: 'nginx:1.27',
          routing: { pathPatterns: ['/admin/*'] },
          placement: { preset: 'binpack' },
        },
        { name: 'web', image: 'nginx:1.27', placement: { preset: 'one-task-per-host' } },
      ],
    });

    expect(ready.error).toBeUndefined();
    expect(ready.status).toBe('READY');
    expect(ready.outputs.url).toBe('https://big.example.com');
    expect(ready.outputs.services?.map((service) => service.url)).toEqual([
      'https://big.example.com/api/',
      'https://big.example.com/admin/',
      'https://big.example.com/',
    ]);
    const inventory = await stack.inventory(ready.id);
    expect(count(inventory, 'subnet')).toBe(9);
    expect(count(inventory, 'nat-gateway')).toBe(3);
    expect(count(inventory, 'ecs-service')).toBe(3);
    expect(count(inventory, 'autoscaling-group')).toBe(1);

    const deleted = await destroy(caller, ready.id);
    expect(deleted.error).toBeUndefined();
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(ready.id)).toEqual({});
  });
});

describe('an environment without NAT gateways', () => {
  it('skips the NAT wait and reaches READY', async () => {
    const { team: name, caller } = team();

    const ready = await create(caller, {
      name: 'private',
      team: name,
      network: { natGateways: 'none' },
      // Without NAT only ECR images can be pulled (through VPC endpoints: tests/workflow/vpc-endpoints.test.ts).
      services: [{ name: 'web', image: '000000000000.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.0' }],
    });

    expect(ready.status).toBe('READY');
    expect(count(await stack.inventory(ready.id), 'nat-gateway')).toBe(0);
    await destroy(caller, ready.id);
  });
});

describe('DELETE while provisioning', () => {
  it('stops provisioning and leaves nothing behind', async () => {
    const { team: name, caller } = team();
    const outcome = await createEnvironment(stack.deps, caller, {
      name: 'hasty',
      team: name,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    // Let provisioning get going, then pull the plug.
    await new Promise((resolve) => setTimeout(resolve, 150));

    const deleted = await destroy(caller, outcome.environment.id);

    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(outcome.environment.id)).toEqual({});
  });
});

async function createHostedZone(name: string): Promise<string> {
  const { Route53Client, CreateHostedZoneCommand } = await import('@aws-sdk/client-route-53');
  const client = new Route53Client({
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const created = await client.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${counter}` }),
  );
  client.destroy();
  return (created.HostedZone?.Id ?? '').replace('/hostedzone/', '');
}
