/**
 * The network module against the simulated EC2: what a provisioned network looks like, that every
 * `ensure*` is idempotent, the NAT modes, and that teardown passes end with nothing left.
 */
import {
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type IpPermission,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { errorCode, isTransient, ReadAfterCreateLag } from '../../shared/aws/errors';
import {
  closeUnusedServicePorts,
  describeNatGateways,
  ensureInternetGateway,
  ensureNatGateways,
  ensureRouteTables,
  ensureSecurityGroups,
  ensureSubnets,
  ensureVpc,
  findNetwork,
  listAvailabilityZones,
  type NetworkResources,
  type NetworkSpec,
  openServicePorts,
  provisionNetwork,
  replaceFailedNatGateway,
  routeAppSubnetsThroughNat,
  TAG_PART,
  teardownNetworkPass,
} from '../../shared/aws/network';
import { readAfterCreate } from '../../shared/aws/read-after-create';
import type { Blocker } from '../../shared/aws/teardown';
import { planSubnets } from '../../shared/domain/cidr';
import type { EnvironmentRef } from '../../shared/domain/naming';
import { type SimulatedEc2, startSimulatedEc2, waitAwsSeconds } from './simulated-ec2';

let counter = 0;
function newEnvironment(): EnvironmentRef {
  counter += 1;
  return {
    id: `env-01JNETWORKTEST${String(counter).padStart(12, '0')}`,
    name: `net${counter}`,
    team: 'platform',
  };
}

function networkSpec(overrides: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    cidr: 'auto',
    availabilityZones: 2,
    natGateways: 'single',
    allowedIngressCidrs: ['0.0.0.0/0'],
    ...overrides,
  };
}

/** Polls NAT gateways the way the workflow does (Wait → describe → Choice), then routes through them. */
async function waitForNatAndRoute(
  sim: SimulatedEc2,
  env: EnvironmentRef,
  network: NetworkResources,
): Promise<void> {
  const ids = network.natGateways.map((nat) => nat.id);
  for (let round = 0; round < 60; round++) {
    const states = await describeNatGateways(ids, sim.client);
    if (states.every((status) => status.state === 'available')) break;
    await waitAwsSeconds(15);
  }
  await routeAppSubnetsThroughNat(env, network.routeTables.app, ids, sim.client);
}

/** Teardown passes until done, as the teardown workflow loops; returns every blocker seen on the way. */
async function tearDown(
  sim: SimulatedEc2,
  environmentId: string,
): Promise<{ passes: number; blockers: Blocker[] }> {
  const blockers: Blocker[] = [];
  for (let passes = 1; passes <= 80; passes++) {
    const result = await teardownNetworkPass(environmentId, sim.client);
    blockers.push(...result.blocked);
    if (result.done) return { passes, blockers };
    await waitAwsSeconds(20);
  }
  throw new Error(
    `teardown of ${environmentId} not done after 80 passes: ${JSON.stringify(blockers.slice(-5))}`,
  );
}

async function routeTable(sim: SimulatedEc2, id: string): Promise<RouteTable> {
  const { RouteTables = [] } = await sim.client.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }));
  const [table] = RouteTables;
  if (!table) throw new Error(`no route table ${id}`);
  return table;
}

function defaultRoute(table: RouteTable) {
  return table.Routes?.find((route) => route.DestinationCidrBlock === '0.0.0.0/0');
}

async function ingressOf(sim: SimulatedEc2, groupId: string): Promise<string[]> {
  const { SecurityGroups = [] } = await sim.client.send(
    new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }),
  );
  const permissions: IpPermission[] = SecurityGroups[0]?.IpPermissions ?? [];
  return permissions
    .flatMap((permission) => [
      ...(permission.IpRanges ?? []).map(
        (range) => `${permission.FromPort}-${permission.ToPort} ${range.CidrIp}`,
      ),
      ...(permission.UserIdGroupPairs ?? []).map(
        (pair) => `${permission.FromPort}-${permission.ToPort} ${pair.GroupId}`,
      ),
    ])
    .sort();
}

/**
 * Resources still carrying the environment tag, except NAT gateways in state `deleted`: AWS (and the
 * simulator) keep listing those for about an hour, and they cost nothing.
 */
async function leftovers(sim: SimulatedEc2, environmentId: string): Promise<Record<string, string[]>> {
  const left: Record<string, string[]> = {};
  for (const [type, resources] of Object.entries(sim.tagged(environmentId))) {
    let ids = resources.map((resource) => resource.id);
    if (type === 'nat-gateway') {
      const states = await describeNatGateways(ids, sim.client);
      ids = states.filter((status) => status.state !== 'deleted').map((status) => status.id);
    }
    if (ids.length > 0) left[type] = ids;
  }
  return left;
}

function countOf(resources: Record<string, unknown[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(resources).map(([type, list]) => [type, list.length]));
}

describe('network provisioning', () => {
  let sim: SimulatedEc2;
  beforeAll(async () => {
    sim = await startSimulatedEc2();
  });
  afterAll(async () => {
    await sim.close();
  });
  // An empty account for each test: AWS's default quotas allow 5 VPCs, the default VPC included.
  beforeEach(() => {
    sim.running.sim.reset();
  });

  it('builds three subnet tiers in the zones, routed public → IGW, app → NAT, database nowhere', async () => {
    const env = newEnvironment();
    const network = await provisionNetwork(env, networkSpec(), '10.20.0.0/16', [8080], sim.client);
    await waitForNatAndRoute(sim, env, network);

    const plan = planSubnets('10.20.0.0/16', 2);
    const { Subnets = [] } = await sim.client.send(
      new DescribeSubnetsCommand({
        SubnetIds: [...network.subnets.public, ...network.subnets.app, ...network.subnets.database],
      }),
    );
    const subnetOf = (id: string | undefined) => Subnets.find((subnet) => subnet.SubnetId === id);
    for (const tier of ['public', 'app', 'database'] as const) {
      expect(network.subnets[tier].map((id) => subnetOf(id)?.CidrBlock)).toEqual(plan[tier]);
      expect(network.subnets[tier].map((id) => subnetOf(id)?.AvailabilityZone)).toEqual(network.zones);
    }
    expect(network.zones).toHaveLength(2);

    const publicTable = await routeTable(sim, network.routeTables.public);
    expect(defaultRoute(publicTable)?.GatewayId).toBe(network.internetGatewayId);
    expect(publicTable.Associations?.map((association) => association.SubnetId).sort()).toEqual(
      [...network.subnets.public].sort(),
    );

    const [nat] = network.natGateways;
    expect(network.natGateways).toHaveLength(1);
    for (const [zone, id] of network.routeTables.app.entries()) {
      const table = await routeTable(sim, id);
      expect(defaultRoute(table)?.NatGatewayId).toBe(nat?.id);
      expect(table.Associations?.map((association) => association.SubnetId)).toEqual([
        network.subnets.app[zone],
      ]);
    }

    const databaseTable = await routeTable(sim, network.routeTables.database);
    expect(databaseTable.Routes?.map((route) => route.GatewayId)).toEqual(['local']);
  });

  it('opens the ALB to the allowed CIDRs, services to the ALB only, databases to services only', async () => {
    const env = newEnvironment();
    const spec = networkSpec({
      natGateways: 'none',
      allowedIngressCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
    });
    const { securityGroups } = await provisionNetwork(env, spec, '10.21.0.0/20', [8080, 9090], sim.client);

    expect(await ingressOf(sim, securityGroups.alb)).toEqual(
      [
        '443-443 198.51.100.7/32',
        '443-443 203.0.113.0/24',
        '80-80 198.51.100.7/32',
        '80-80 203.0.113.0/24',
      ].sort(),
    );
    expect(await ingressOf(sim, securityGroups.service)).toEqual(
      [`8080-8080 ${securityGroups.alb}`, `9090-9090 ${securityGroups.alb}`].sort(),
    );
    expect(await ingressOf(sim, securityGroups.database)).toEqual(
      [`3306-3306 ${securityGroups.service}`, `5432-5432 ${securityGroups.service}`].sort(),
    );
  });

  it('converges the ALB rules when the allowed CIDRs change', async () => {
    const env = newEnvironment();
    const vpcId = await ensureVpc(env, '10.22.0.0/20', sim.client);
    await ensureSecurityGroups(env, vpcId, [80], ['203.0.113.0/24'], sim.client);

    const groups = await ensureSecurityGroups(env, vpcId, [80], ['192.0.2.0/24'], sim.client);

    expect(await ingressOf(sim, groups.alb)).toEqual(['443-443 192.0.2.0/24', '80-80 192.0.2.0/24']);
  });

  it('tags every resource at creation, never afterwards', async () => {
    const env = newEnvironment();
    const before = sim.calls().CreateTags ?? 0;
    const network = await provisionNetwork(
      env,
      networkSpec({ natGateways: 'per-az' }),
      '10.23.0.0/16',
      [80],
      sim.client,
    );

    const tagged = sim.tagged(env.id);
    const ids = (type: string) => (tagged[type] ?? []).map((resource) => resource.id).sort();
    expect(sim.calls().CreateTags ?? 0).toBe(before);
    expect(ids('vpc')).toEqual([network.vpcId]);
    expect(ids('subnet')).toEqual(
      [...network.subnets.public, ...network.subnets.app, ...network.subnets.database].sort(),
    );
    expect(ids('internet-gateway')).toEqual([network.internetGatewayId]);
    expect(ids('route-table')).toEqual(
      [network.routeTables.public, ...network.routeTables.app, network.routeTables.database].sort(),
    );
    expect(ids('security-group')).toEqual(Object.values(network.securityGroups).sort());
    expect(ids('nat-gateway')).toEqual(network.natGateways.map((nat) => nat.id).sort());
    expect(ids('elastic-ip')).toEqual(network.natGateways.map((nat) => nat.allocationId).sort());
    for (const resources of Object.values(tagged)) {
      for (const resource of resources) {
        expect(resource.tags).toMatchObject({ 'berth:team': 'platform', 'berth:managed-by': 'berth' });
        expect(resource.tags[TAG_PART]).toEqual(expect.any(String));
        expect(resource.tags.Name).toBe(`berth-${env.name}-${resource.tags[TAG_PART]}`);
      }
    }
  });

  it('creates nothing new when every ensure runs a second time', async () => {
    const env = newEnvironment();
    const zones = await listAvailabilityZones(3, sim.client);
    const plan = planSubnets('10.24.0.0/18', 3);
    const runAll = async () => {
      const vpcId = await ensureVpc(env, '10.24.0.0/18', sim.client);
      const subnets = await ensureSubnets(env, vpcId, plan, zones, sim.client);
      const internetGatewayId = await ensureInternetGateway(env, vpcId, sim.client);
      const routeTables = await ensureRouteTables(env, vpcId, subnets, internetGatewayId, sim.client);
      const securityGroups = await ensureSecurityGroups(env, vpcId, [80], ['0.0.0.0/0'], sim.client);
      const natGateways = await ensureNatGateways(env, 'per-az', subnets.public, sim.client);
      await waitAwsSeconds(5);
      await routeAppSubnetsThroughNat(
        env,
        routeTables.app,
        natGateways.map((nat) => nat.id),
        sim.client,
      );
      return { vpcId, subnets, internetGatewayId, routeTables, securityGroups, natGateways };
    };
    const first = await runAll();
    const inventory = countOf(sim.tagged(env.id));
    const callsBefore = sim.calls();

    const second = await runAll();

    expect(second).toEqual(first);
    expect(countOf(sim.tagged(env.id))).toEqual(inventory);
    const callsAfter = sim.calls();
    const mutatingCalls = Object.keys(callsAfter).filter(
      (operation) =>
        /^(Create|Allocate|Attach|Associate|Authorize|Revoke|Replace|Delete)/.test(operation) &&
        (callsAfter[operation] ?? 0) !== (callsBefore[operation] ?? 0),
    );
    expect(mutatingCalls).toEqual([]);
  });

  it('with natGateways none creates no NAT gateway, no address and no default route for the app tier', async () => {
    const env = newEnvironment();
    const network = await provisionNetwork(
      env,
      networkSpec({ natGateways: 'none' }),
      '10.25.0.0/20',
      [80],
      sim.client,
    );
    await routeAppSubnetsThroughNat(env, network.routeTables.app, [], sim.client);

    expect(network.natGateways).toEqual([]);
    expect(sim.tagged(env.id)['nat-gateway']).toBeUndefined();
    expect(sim.tagged(env.id)['elastic-ip']).toBeUndefined();
    for (const id of network.routeTables.app) expect(defaultRoute(await routeTable(sim, id))).toBeUndefined();
  });

  it('with natGateways per-az routes each zone through the NAT gateway in its own public subnet', async () => {
    const env = newEnvironment();
    const spec = networkSpec({ natGateways: 'per-az', availabilityZones: 3 });
    const network = await provisionNetwork(env, spec, '10.26.0.0/16', [80], sim.client);
    await waitForNatAndRoute(sim, env, network);

    expect(network.natGateways.map((nat) => nat.subnetId)).toEqual(network.subnets.public);
    expect(new Set(network.natGateways.map((nat) => nat.allocationId)).size).toBe(3);
    for (const [zone, id] of network.routeTables.app.entries()) {
      expect(defaultRoute(await routeTable(sim, id))?.NatGatewayId).toBe(network.natGateways[zone]?.id);
    }
  });

  it('refuses to route a route table that is not the environment’s', async () => {
    const owner = newEnvironment();
    const network = await provisionNetwork(owner, networkSpec(), '10.27.0.0/20', [80], sim.client);
    const stranger = newEnvironment();

    const attempt = routeAppSubnetsThroughNat(
      stranger,
      network.routeTables.app,
      [network.natGateways[0]?.id ?? ''],
      sim.client,
    );

    await expect(attempt).rejects.toThrow(/is not one of environment/);
  });
});

describe('service ports', () => {
  let sim: SimulatedEc2;
  let vpcId: string;
  beforeAll(async () => {
    sim = await startSimulatedEc2();
    // One VPC for the suite: each test's environment has its own groups in it.
    vpcId = await ensureVpc(newEnvironment(), '10.23.0.0/20', sim.client);
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.running.sim.faults.clear();
  });

  it('opens a new service port to the ALB group only, keeping the ports already open', async () => {
    const env = newEnvironment();
    const groups = await ensureSecurityGroups(env, vpcId, [80], ['0.0.0.0/0'], sim.client);

    await openServicePorts(env, groups, [80, 8080], sim.client);
    const authorizations = sim.calls().AuthorizeSecurityGroupIngress ?? 0;
    await openServicePorts(env, groups, [8080, 80], sim.client);

    expect(await ingressOf(sim, groups.service)).toEqual([`80-80 ${groups.alb}`, `8080-8080 ${groups.alb}`]);
    expect(sim.calls().AuthorizeSecurityGroupIngress ?? 0).toBe(authorizations);
  });

  it('opens the ports one by one when the batch meets InvalidPermission.Duplicate', async () => {
    const env = newEnvironment();
    const groups = await ensureSecurityGroups(env, vpcId, [80], ['0.0.0.0/0'], sim.client);
    const before = sim.calls().AuthorizeSecurityGroupIngress ?? 0;
    // What AWS answers when a concurrent run added one of the batch's rules: the whole call fails.
    sim.running.sim.faults.add([
      {
        operation: 'AuthorizeSecurityGroupIngress',
        code: 'InvalidPermission.Duplicate',
        status: 400,
        count: 1,
      },
    ]);

    await openServicePorts(env, groups, [80, 8080, 9090], sim.client);

    expect((sim.calls().AuthorizeSecurityGroupIngress ?? 0) - before).toBe(3);
    expect(await ingressOf(sim, groups.service)).toEqual(
      [`80-80 ${groups.alb}`, `8080-8080 ${groups.alb}`, `9090-9090 ${groups.alb}`].sort(),
    );
  });

  it('counts a port a concurrent run opened first as open', async () => {
    const env = newEnvironment();
    const groups = await ensureSecurityGroups(env, vpcId, [80], ['0.0.0.0/0'], sim.client);

    const runs = await Promise.allSettled([
      openServicePorts(env, groups, [80, 8080], sim.client),
      openServicePorts(env, groups, [80, 8080], sim.client),
    ]);

    expect(runs.map((run) => run.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await ingressOf(sim, groups.service)).toEqual([`80-80 ${groups.alb}`, `8080-8080 ${groups.alb}`]);
  });

  it('closes only the ports no service uses, and leaves the ALB and database groups alone', async () => {
    const env = newEnvironment();
    const groups = await ensureSecurityGroups(env, vpcId, [80, 8080], ['203.0.113.0/24'], sim.client);

    await closeUnusedServicePorts(env, groups, [8080, 9090], sim.client);
    const revocations = sim.calls().RevokeSecurityGroupIngress ?? 0;
    await closeUnusedServicePorts(env, groups, [8080, 9090], sim.client);

    // 9090 is not opened by a close: that is create-routing's part, before the rollout.
    expect(await ingressOf(sim, groups.service)).toEqual([`8080-8080 ${groups.alb}`]);
    expect(sim.calls().RevokeSecurityGroupIngress ?? 0).toBe(revocations);
    expect(await ingressOf(sim, groups.alb)).toEqual(['443-443 203.0.113.0/24', '80-80 203.0.113.0/24']);
    expect(await ingressOf(sim, groups.database)).toEqual(
      [`3306-3306 ${groups.service}`, `5432-5432 ${groups.service}`].sort(),
    );
  });

  it('closes the ports one by one when the batch meets InvalidPermission.NotFound', async () => {
    const env = newEnvironment();
    const groups = await ensureSecurityGroups(env, vpcId, [80, 8080, 9090], ['0.0.0.0/0'], sim.client);
    const before = sim.calls().RevokeSecurityGroupIngress ?? 0;
    // What AWS answers when a concurrent run revoked one of the batch's rules: nothing is revoked.
    sim.running.sim.faults.add([
      { operation: 'RevokeSecurityGroupIngress', code: 'InvalidPermission.NotFound', status: 400, count: 1 },
    ]);

    await closeUnusedServicePorts(env, groups, [9090], sim.client);

    expect((sim.calls().RevokeSecurityGroupIngress ?? 0) - before).toBe(3);
    expect(await ingressOf(sim, groups.service)).toEqual([`9090-9090 ${groups.alb}`]);
  });

  it('counts a port a concurrent run closed first as closed', async () => {
    const env = newEnvironment();
    const groups = await ensureSecurityGroups(env, vpcId, [80, 8080, 9090], ['0.0.0.0/0'], sim.client);

    const runs = await Promise.allSettled([
      closeUnusedServicePorts(env, groups, [9090], sim.client),
      closeUnusedServicePorts(env, groups, [9090], sim.client),
    ]);

    expect(runs.map((run) => run.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await ingressOf(sim, groups.service)).toEqual([`9090-9090 ${groups.alb}`]);
  });
});

describe('NAT gateway states', () => {
  let sim: SimulatedEc2;
  beforeAll(async () => {
    // NAT gateways stay invisible to Describe for 30 AWS seconds after creation (eventual consistency).
    sim = await startSimulatedEc2({ natGatewayVisible: [30, 30], natGatewayAvailable: [60, 60] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('reports a NAT gateway Describe does not know yet as pending, then available', async () => {
    const env = newEnvironment();
    const network = await provisionNetwork(env, networkSpec(), '10.30.0.0/20', [80], sim.client);
    const ids = network.natGateways.map((nat) => nat.id);

    expect(await describeNatGateways(ids, sim.client)).toEqual([{ id: ids[0], state: 'pending' }]);
    await waitAwsSeconds(90);
    expect(await describeNatGateways(ids, sim.client)).toEqual([{ id: ids[0], state: 'available' }]);
  });

  it('returns the same NAT gateway when ensureNatGateways is retried before Describe sees it', async () => {
    const env = newEnvironment();
    const vpcId = await ensureVpc(env, '10.31.0.0/20', sim.client);
    const zones = await listAvailabilityZones(2, sim.client);
    const subnets = await ensureSubnets(env, vpcId, planSubnets('10.31.0.0/20', 2), zones, sim.client);
    await ensureInternetGateway(env, vpcId, sim.client);

    const first = await ensureNatGateways(env, 'single', subnets.public, sim.client);
    const retried = await ensureNatGateways(env, 'single', subnets.public, sim.client);

    expect(retried).toEqual(first);
    expect(sim.ofType('nat-gateway').filter((nat) => nat.tags['berth:environment'] === env.id)).toHaveLength(
      1,
    );
  });
});

describe('network teardown', () => {
  let sim: SimulatedEc2;
  beforeAll(async () => {
    // ENIs of deleted NAT gateways linger 300 AWS seconds: subnets answer DependencyViolation meanwhile.
    // The ENI outlives its NAT gateway by 3,000 AWS seconds (3 s here), longer than a pass takes on a
    // loaded machine, so the subnet is still blocked on the second pass.
    sim = await startSimulatedEc2({ natGatewayDeleted: [40, 40], eniRelease: [3000, 3000] });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function provisioned(natGateways: NetworkSpec['natGateways'], cidr: string): Promise<EnvironmentRef> {
    const env = newEnvironment();
    const network = await provisionNetwork(env, networkSpec({ natGateways }), cidr, [8080], sim.client);
    await waitForNatAndRoute(sim, env, network);
    return env;
  }

  it.each(['none', 'single', 'per-az'] as const)(
    'leaves nothing tagged behind (NAT gateways %s)',
    async (mode) => {
      const env = await provisioned(mode, `10.4${['none', 'single', 'per-az'].indexOf(mode)}.0.0/16`);
      const vpcIds = (sim.tagged(env.id).vpc ?? []).map((vpc) => vpc.id);

      await tearDown(sim, env.id);

      expect(await leftovers(sim, env.id)).toEqual({});
      expect(await findNetwork(env.id, sim.client)).toMatchObject({
        vpcs: [],
        subnets: [],
        natGateways: [],
        addresses: [],
      });
      expect(vpcIds).toHaveLength(1);
    },
  );

  it('retries subnets blocked by a draining NAT ENI in later passes, naming the ENI', async () => {
    const env = await provisioned('single', '10.50.0.0/16');

    const { passes, blockers } = await tearDown(sim, env.id);

    expect(passes).toBeGreaterThan(2);
    expect(blockers).toContainEqual(expect.objectContaining({ code: 'NatGatewayDeleting' }));
    const subnetBlock = blockers.find(
      (blocker) => blocker.code === 'DependencyViolation' && blocker.resource.startsWith('subnet-'),
    );
    expect(subnetBlock?.message).toMatch(/eni-\S+ \(NAT gateway, (in-use|available)\)/);
    expect(await leftovers(sim, env.id)).toEqual({});
    expect(sim.ofType('network-interface')).toEqual([]);
  });

  it('is done at once when nothing exists, and safe to run again', async () => {
    const env = newEnvironment();

    await expect(teardownNetworkPass(env.id, sim.client)).resolves.toEqual({ done: true, blocked: [] });
    await expect(teardownNetworkPass(env.id, sim.client)).resolves.toEqual({ done: true, blocked: [] });
  });

  it('cleans up a provisioning that stopped half-way (VPC and subnets only)', async () => {
    const env = newEnvironment();
    const vpcId = await ensureVpc(env, '10.51.0.0/20', sim.client);
    await ensureSubnets(
      env,
      vpcId,
      planSubnets('10.51.0.0/20', 2),
      await listAvailabilityZones(2, sim.client),
      sim.client,
    );

    const { passes } = await tearDown(sim, env.id);

    expect(passes).toBe(1);
    expect(await leftovers(sim, env.id)).toEqual({});
  });
});

describe('read-after-create consistency', () => {
  let sim: SimulatedEc2;

  beforeAll(async () => {
    // Natural NAT failures off: only the windows below make one fail.
    sim = await startSimulatedEc2({ natGatewayAvailable: [60, 60] });
  });

  afterAll(async () => {
    await sim.close();
  });

  beforeEach(() => {
    // An empty account each time (the default quotas allow 5 VPCs, the default one included).
    sim.running.sim.reset();
    // Every new id unknown to calls naming it for 150 AWS seconds (150 ms here).
    sim.running.sim.ctx.consistency.enabled = true;
    sim.running.sim.ctx.consistency.windowSeconds = [150, 150];
  });

  /** An EC2 client of its own, so that what one test's client has created is not known to another's. */
  function freshClient(): EC2Client {
    return new EC2Client({
      endpoint: sim.running.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }

  it('builds the whole network although every new id is refused for a while', async () => {
    // Prepare
    const env = newEnvironment();
    const client = freshClient();
    const refusedBefore = sim.running.sim.callCounts().calls.ec2?.ModifyVpcAttribute?.failed ?? 0;

    // Act
    const network = await provisionNetwork(env, networkSpec(), '10.60.0.0/20', [8080], client);

    // Assess: the windows were met (calls refused with NotFound) and every piece exists.
    expect(sim.running.sim.callCounts().calls.ec2?.ModifyVpcAttribute?.failed ?? 0).toBeGreaterThan(
      refusedBefore,
    );
    expect(countOf(sim.tagged(env.id))).toMatchObject({
      vpc: 1,
      subnet: 6,
      'internet-gateway': 1,
      'route-table': 4,
      'security-group': 3,
      'elastic-ip': 1,
      'nat-gateway': 1,
    });
    expect(network.natGateways).toHaveLength(1);
    client.destroy();
  });

  it('waits for a new Elastic IP before handing it to the NAT gateway, which becomes available', async () => {
    // Prepare
    const env = newEnvironment();
    const client = freshClient();
    const network = await provisionNetwork(env, networkSpec(), '10.61.0.0/20', [8080], client);

    // Act
    await waitAwsSeconds(200);
    const states = await describeNatGateways(
      network.natGateways.map((nat) => nat.id),
      client,
    );

    // Assess
    expect(states.map((state) => state.state)).toEqual(['available']);
    client.destroy();
  });

  it('keeps a NotFound for an id this client did not create permanent', async () => {
    // Prepare: a VPC another client made a moment ago, inside a window far longer than the test.
    sim.running.sim.ctx.consistency.enabled = true;
    sim.running.sim.ctx.consistency.windowSeconds = [100_000, 100_000];
    const env = newEnvironment();
    const other = freshClient();
    const client = freshClient();
    const zones = await listAvailabilityZones(2, client);
    const { Vpc } = await other.send(new CreateVpcCommand({ CidrBlock: '10.62.0.0/20' }));

    // Act
    const refused = await ensureSubnets(
      env,
      Vpc?.VpcId ?? '',
      planSubnets('10.62.0.0/20', 2),
      zones,
      client,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: refused at once, as a real failure.
    expect(refused).toMatchObject({ name: 'InvalidVpcID.NotFound' });
    expect(isTransient(refused)).toBe(false);
    other.destroy();
    client.destroy();
  });

  it('gives up after its pauses with a transient ReadAfterCreateLag that keeps AWS’s code', async () => {
    // Prepare: windows far longer than two short pauses.
    sim.running.sim.ctx.consistency.enabled = true;
    sim.running.sim.ctx.consistency.windowSeconds = [100_000, 100_000];
    const env = newEnvironment();
    const client = readAfterCreate(freshClient(), { pausesMs: [5, 5] });

    // Act
    const failure = await ensureVpc(env, '10.63.0.0/20', client).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(ReadAfterCreateLag);
    expect(errorCode(failure)).toBe('InvalidVpcID.NotFound');
    expect(isTransient(failure)).toBe(true);
    client.destroy();
  });

  it('replaces a failed NAT gateway once: the failed one deleted, a new one tagged in its place', async () => {
    // Prepare: a NAT gateway that ends failed.
    const env = newEnvironment();
    const client = freshClient();
    sim.running.sim.ctx.latency.natGatewayFailureRate = 1;
    const network = await provisionNetwork(env, networkSpec(), '10.64.0.0/20', [8080], client);
    const [failed] = network.natGateways;
    if (!failed) throw new Error('no NAT gateway');
    await waitAwsSeconds(70);
    const [before] = await describeNatGateways([failed.id], client);
    sim.running.sim.ctx.latency.natGatewayFailureRate = 0;

    // Act
    const replacement = await replaceFailedNatGateway(env, 0, failed, [failed.id], client);
    const again = await replaceFailedNatGateway(env, 0, failed, [failed.id], client);
    await waitAwsSeconds(70);

    // Assess
    expect(before).toMatchObject({ state: 'failed', failureCode: 'InternalError' });
    expect(again).toBe(replacement);
    expect(replacement).not.toBe(failed.id);
    const states = await describeNatGateways([failed.id, replacement], client);
    expect(states.map((state) => state.state)).toEqual([
      expect.stringMatching(/^(deleting|deleted)$/),
      'available',
    ]);
    const tagged = sim.ofType('nat-gateway').find((nat) => nat.id === replacement);
    expect(tagged?.tags).toMatchObject({ 'berth:environment': env.id, [TAG_PART]: 'nat-0' });
    client.destroy();
  });
});

describe('isTransient', () => {
  const awsError = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it.each([
    ['RequestLimitExceeded', 503],
    ['ThrottlingException', 400],
    ['InternalError', 500],
    ['Unavailable', 503],
  ])('treats %s (%d) as transient', (name, status) => {
    expect(isTransient(awsError(name, status))).toBe(true);
  });

  it.each([
    ['DependencyViolation', 400],
    ['InvalidParameterValue', 400],
    ['UnauthorizedOperation', 403],
  ])('treats %s (%d) as a real failure', (name, status) => {
    expect(isTransient(awsError(name, status))).toBe(false);
  });
});
