/**
 * shared/aws/endpoints.ts against the simulated EC2: the VPC endpoints of an environment without NAT
 * are created tagged, behind a group that admits 443 from the services, found again instead of
 * duplicated, converged when the plan changes, and deleted by the teardown pass.
 */
import {
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { ec2 } from '@berth/aws-sim/services/ec2';
import {
  describeVpcEndpointStates,
  type EndpointNetwork,
  ensureVpcEndpoints,
  teardownVpcEndpointsPass,
} from '../../shared/aws/endpoints';
import type { TeardownProgress } from '../../shared/aws/teardown';
import { plannedEndpoints } from '../../shared/domain/vpc-endpoints';
import {
  createNetwork,
  environment,
  eventually,
  type SimulatedAws,
  specWith,
  startAws,
} from './simulated-aws';

const ECR_IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.0';
const SECRET = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:shop/db-AbCdEf';

let aws: SimulatedAws;
let client: EC2Client;
let into: EndpointNetwork;

beforeAll(async () => {
  aws = await startAws([ec2]);
  client = new EC2Client({ ...aws.clientConfig, maxAttempts: 3 });
});

afterAll(async () => {
  client.destroy();
  await aws.stop();
});

beforeEach(async () => {
  aws.running.sim.reset();
  const network = await createNetwork(aws);
  for (const attribute of ['EnableDnsSupport', 'EnableDnsHostnames'] as const) {
    await client.send(new ModifyVpcAttributeCommand({ VpcId: network.vpcId, [attribute]: { Value: true } }));
  }
  const tables = await client.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }] }),
  );
  into = {
    vpcId: network.vpcId,
    appSubnetIds: network.subnetIds,
    appRouteTableIds: [tables.RouteTables?.[0]?.RouteTableId ?? ''],
    serviceGroupId: network.securityGroupId,
  };
});

/** The plan of a spec without NAT, with or without a Secrets Manager secret. */
function plan(withSecret: boolean) {
  return plannedEndpoints(
    specWith([{ name: 'web', image: ECR_IMAGE, ...(withSecret ? { secrets: { DB: SECRET } } : {}) }], {
      network: { natGateways: 'none' },
    }),
  );
}

async function endpointsOf(environmentId: string) {
  const answer = await client.send(
    new DescribeVpcEndpointsCommand({
      Filters: [
        { Name: 'tag:berth:environment', Values: [environmentId] },
        { Name: 'vpc-endpoint-state', Values: ['pending', 'available'] },
      ],
    }),
  );
  return answer.VpcEndpoints ?? [];
}

async function teardownUntilDone(environmentId: string): Promise<TeardownProgress[]> {
  const passes: TeardownProgress[] = [];
  await eventually(async () => {
    const pass = await teardownVpcEndpointsPass(environmentId, client);
    passes.push(pass);
    return pass.done ? true : undefined;
  }, 10_000);
  return passes;
}

it('creates the planned endpoints tagged, behind a group that admits HTTPS from the services', async () => {
  // Prepare
  const env = environment();

  // Act
  const made = await ensureVpcEndpoints(env, into, plan(true), client);
  const group = await client.send(
    new DescribeSecurityGroupsCommand({ GroupIds: [made.securityGroupId ?? ''] }),
  );

  // Assess
  expect(made.endpoints.map((endpoint) => endpoint.service)).toEqual([
    'ecr.api',
    'ecr.dkr',
    'logs',
    'secretsmanager',
    's3',
  ]);
  expect(made.allAvailable).toBe(false);
  const tagged = await endpointsOf(env.id);
  expect(tagged.map((endpoint) => endpoint.VpcEndpointId).sort()).toEqual(
    made.endpoints.map((endpoint) => endpoint.id).sort(),
  );
  expect(tagged.every((endpoint) => endpoint.Tags?.some((tag) => tag.Key === 'berth:managed-by'))).toBe(true);
  expect(group.SecurityGroups?.[0]?.IpPermissions).toEqual([
    expect.objectContaining({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      UserIdGroupPairs: [expect.objectContaining({ GroupId: into.serviceGroupId })],
    }),
  ]);
});

it("uses its new security group inside the group's read-after-create window", async () => {
  // Prepare: windows of 500 AWS seconds (half a second of wall time here), longer than the calls
  // between CreateSecurityGroup and the AuthorizeSecurityGroupIngress and CreateVpcEndpoint naming it.
  aws.running.sim.ctx.consistency.enabled = true;
  aws.running.sim.ctx.consistency.windowSeconds = [500, 500];
  const env = environment();

  // Act
  const made = await ensureVpcEndpoints(env, into, plan(false), client);

  // Assess
  expect(made.endpoints.map((endpoint) => endpoint.service)).toEqual(['ecr.api', 'ecr.dkr', 'logs', 's3']);
  expect((await endpointsOf(env.id)).length).toBe(4);
});

it('finds its endpoints again instead of making more, and reports them available once they are', async () => {
  // Prepare
  const env = environment('shop', 'B1B2C3D4');
  const first = await ensureVpcEndpoints(env, into, plan(false), client);
  await eventually(async () => {
    const states = await describeVpcEndpointStates(
      first.endpoints.map((endpoint) => endpoint.id),
      client,
    );
    return states.every((endpoint) => endpoint.state === 'available') ? true : undefined;
  });

  // Act
  const again = await ensureVpcEndpoints(env, into, plan(false), client);

  // Assess
  expect(again.endpoints).toEqual(first.endpoints);
  expect(again.securityGroupId).toBe(first.securityGroupId);
  expect(again.allAvailable).toBe(true);
  expect(await endpointsOf(env.id)).toHaveLength(4);
});

it('deletes an endpoint the plan no longer has (a secret kind dropped by an update)', async () => {
  // Prepare
  const env = environment('shop', 'C1B2C3D4');
  const before = await ensureVpcEndpoints(env, into, plan(true), client);

  // Act
  const after = await ensureVpcEndpoints(env, into, plan(false), client);

  // Assess
  const secrets = before.endpoints.find((endpoint) => endpoint.service === 'secretsmanager');
  expect(after.endpoints.map((endpoint) => endpoint.service)).not.toContain('secretsmanager');
  const [state] = await describeVpcEndpointStates([secrets?.id ?? ''], client);
  // `deleting` for 20–60 AWS seconds (tens of milliseconds here), then `deleted`.
  expect(['deleting', 'deleted']).toContain(state?.state);
});

it('counts an id Describe does not know yet as pending', async () => {
  // Act
  const states = await describeVpcEndpointStates(['vpce-0123456789abcdef0'], client);

  // Assess
  expect(states).toEqual([{ id: 'vpce-0123456789abcdef0', state: 'pending' }]);
});

it('deletes every endpoint of the environment, blocked while they are deleting, then done', async () => {
  // Prepare
  const env = environment('shop', 'D1B2C3D4');
  await ensureVpcEndpoints(env, into, plan(false), client);

  // Act
  const passes = await teardownUntilDone(env.id);

  // Assess
  expect(passes[0]?.done).toBe(false);
  expect(passes[0]?.blocked.map((blocker) => blocker.code)).toEqual(Array(4).fill('VpcEndpointDeleting'));
  expect(passes.at(-1)?.done).toBe(true);
  expect(await endpointsOf(env.id)).toEqual([]);
});

it('makes nothing, and removes what it made, when the plan is empty (a NAT gateway is the way out)', async () => {
  // Prepare
  const env = environment('shop', 'F1B2C3D4');
  await ensureVpcEndpoints(env, into, plan(false), client);

  // Act
  const none = await ensureVpcEndpoints(env, into, [], client);

  // Assess
  expect(none).toEqual({ endpoints: [], allAvailable: true });
  expect(await endpointsOf(env.id)).toEqual([]);
});
