/**
 * EC2's read-after-create windows (refusals with AWS's NotFound codes, then success), the NAT gateway
 * that ends `failed` when it is created inside its address's or internet gateway's window, the ELB
 * refusal right after AttachInternetGateway, the control-API switch, and EC2's per-API throttling.
 */
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type RunningSimulator, startSimulator } from '../src/server';
import { ec2 as ec2Service } from '../src/services/ec2';
import { elbv2 as elbv2Service } from '../src/services/elbv2';

/** 1 AWS second = 1 ms; the windows below are 1,000 AWS seconds, so 1 s of wall time (slow machines too). */
const TIME_SCALE = 0.001;
const WINDOW_SECONDS: [number, number] = [1000, 1000];
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let simulator: RunningSimulator;
let ec2: EC2Client;
let elbv2: ElasticLoadBalancingV2Client;

beforeAll(async () => {
  simulator = await startSimulator({
    port: 0,
    timeScale: TIME_SCALE,
    seed: 5,
    services: [ec2Service, elbv2Service],
    consistency: { windowSeconds: WINDOW_SECONDS },
    latency: { natGatewayAvailable: [50, 50] },
  });
  const config = { endpoint: simulator.url, region: 'us-east-1', credentials, maxAttempts: 1 };
  ec2 = new EC2Client(config);
  elbv2 = new ElasticLoadBalancingV2Client(config);
});

afterAll(async () => {
  ec2.destroy();
  elbv2.destroy();
  await simulator.close();
});

beforeEach(async () => {
  simulator.sim.reset();
  await control('PUT', '/_local/consistency', { enabled: true, windowSeconds: WINDOW_SECONDS });
});

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('the call succeeded');
}

/** Waits until every window opened so far has passed. */
function windowsPass(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS[1] * 1000 * TIME_SCALE + 20));
}

async function newVpc(): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  return Vpc?.VpcId ?? '';
}

describe('read-after-create windows', () => {
  it('answers InvalidVpcID.NotFound to ModifyVpcAttribute on a new VPC, then succeeds', async () => {
    // Prepare
    const vpcId = await newVpc();
    const modify = () =>
      ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));

    // Act
    const early = await refusal(modify());
    await windowsPass();
    const later = await modify();

    // Assess
    expect(early).toEqual({ code: 'InvalidVpcID.NotFound', message: `The vpc ID '${vpcId}' does not exist` });
    expect(later.$metadata.httpStatusCode).toBe(200);
  });

  it('shows the new VPC to a filtered Describe while a Describe naming its id refuses', async () => {
    // Prepare
    const vpcId = await newVpc();

    // Act
    const filtered = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    const named = await refusal(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })));

    // Assess
    expect(filtered.Vpcs?.map((vpc) => vpc.VpcId)).toEqual([vpcId]);
    expect(named.code).toBe('InvalidVpcID.NotFound');
  });

  it('answers each kind of new id with its own NotFound code and message', async () => {
    // Prepare: a VPC and a subnet whose windows have passed.
    const vpcId = await newVpc();
    await windowsPass();
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }));
    const subnetId = Subnet?.SubnetId ?? '';
    const subnetAnswer = await refusal(
      ec2.send(
        new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } }),
      ),
    );
    await windowsPass();

    // Act: each create, then at once a call naming the new id.
    const { GroupId = '' } = await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web' }),
    );
    const groupAnswer = await refusal(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
        }),
      ),
    );
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const routeTableId = RouteTable?.RouteTableId ?? '';
    const tableAnswer = await refusal(
      ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId })),
    );
    const { AllocationId = '' } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const addressAnswer = await refusal(
      ec2.send(new DescribeAddressesCommand({ AllocationIds: [AllocationId] })),
    );
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    const gatewayId = InternetGateway?.InternetGatewayId ?? '';
    const gatewayAnswer = await refusal(
      ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId })),
    );

    // Assess
    expect([subnetAnswer, groupAnswer, tableAnswer, addressAnswer, gatewayAnswer]).toEqual([
      { code: 'InvalidSubnetID.NotFound', message: `The subnet ID '${subnetId}' does not exist` },
      { code: 'InvalidGroup.NotFound', message: `The security group '${GroupId}' does not exist` },
      { code: 'InvalidRouteTableID.NotFound', message: `The routeTable ID '${routeTableId}' does not exist` },
      { code: 'InvalidAllocationID.NotFound', message: `The allocation ID '${AllocationId}' does not exist` },
      {
        code: 'InvalidInternetGatewayID.NotFound',
        message: `The internetGateway ID '${gatewayId}' does not exist`,
      },
    ]);
  });

  it('answers the same calls once the windows have passed', async () => {
    // Prepare
    const vpcId = await newVpc();
    await windowsPass();
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await windowsPass();

    // Act
    const associated = await ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: RouteTable?.RouteTableId, SubnetId: Subnet?.SubnetId }),
    );
    const attached = await ec2.send(
      new AttachInternetGatewayCommand({
        InternetGatewayId: InternetGateway?.InternetGatewayId,
        VpcId: vpcId,
      }),
    );

    // Assess
    expect(associated.AssociationId).toMatch(/^rtbassoc-/);
    expect(attached.$metadata.httpStatusCode).toBe(200);
  });

  it('accepts a launch template naming a new security group (its data is not validated at create)', async () => {
    // Prepare
    const vpcId = await newVpc();
    await windowsPass();
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'nodes', Description: 'nodes' }),
    );

    // Act
    const { LaunchTemplate } = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'nodes',
        LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', SecurityGroupIds: [GroupId ?? ''] },
      }),
    );

    // Assess
    expect(LaunchTemplate?.LaunchTemplateId).toMatch(/^lt-/);
  });

  it('keeps a NotFound for an id that never existed, windows or not', async () => {
    // Act
    const answer = await refusal(
      ec2.send(
        new ModifyVpcAttributeCommand({ VpcId: 'vpc-0123456789abcdef0', EnableDnsSupport: { Value: true } }),
      ),
    );

    // Assess
    expect(answer.code).toBe('InvalidVpcID.NotFound');
  });
});

describe('NAT gateways inside the windows', () => {
  /** A VPC with a visible subnet and, unless `attachGateway` is false, an attached internet gateway. */
  async function publicSubnet(): Promise<{ vpcId: string; subnetId: string; gatewayId: string }> {
    const vpcId = await newVpc();
    await windowsPass();
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' }));
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await windowsPass();
    return { vpcId, subnetId: Subnet?.SubnetId ?? '', gatewayId: InternetGateway?.InternetGatewayId ?? '' };
  }

  async function settled(natGatewayId: string) {
    for (;;) {
      const { NatGateways = [] } = await ec2.send(
        new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: [natGatewayId] }] }),
      );
      const [gateway] = NatGateways;
      if (gateway && gateway.State !== 'pending') return gateway;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('ends failed with Gateway.NotAttached when created right after AttachInternetGateway', async () => {
    // Prepare
    const { vpcId, subnetId, gatewayId } = await publicSubnet();
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await windowsPass();
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId }));

    // Act
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId }));
    const gateway = await settled(NatGateway?.NatGatewayId ?? '');

    // Assess
    expect(NatGateway?.State).toBe('pending');
    expect(gateway).toMatchObject({
      State: 'failed',
      FailureCode: 'Gateway.NotAttached',
      FailureMessage: `Network ${vpcId} has no Internet gateway attached`,
    });
  });

  it('ends failed with InvalidAllocationID.NotFound when created right after AllocateAddress', async () => {
    // Prepare
    const { vpcId, subnetId, gatewayId } = await publicSubnet();
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId }));
    await windowsPass();
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));

    // Act
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId }));
    const gateway = await settled(NatGateway?.NatGatewayId ?? '');

    // Assess
    expect(gateway).toMatchObject({
      State: 'failed',
      FailureCode: 'InvalidAllocationID.NotFound',
      FailureMessage: `Elastic IP address ${AllocationId} could not be associated with this NAT gateway`,
    });
  });

  it('becomes available when its address and gateway are past their windows', async () => {
    // Prepare
    const { vpcId, subnetId, gatewayId } = await publicSubnet();
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId }));
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await windowsPass();

    // Act
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId }));
    const gateway = await settled(NatGateway?.NatGatewayId ?? '');

    // Assess
    expect(gateway.State).toBe('available');
  });

  it('answers NatGatewayNotFound to Describe and InvalidNatGatewayID.NotFound to CreateRoute while new', async () => {
    // Prepare
    await control('PUT', '/_local/consistency', { windowSeconds: [0, 0] });
    simulator.sim.ctx.latency.natGatewayVisible = [1000, 1000];
    const { vpcId, subnetId, gatewayId } = await publicSubnet();
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId }));
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId }));
    const natGatewayId = NatGateway?.NatGatewayId ?? '';

    try {
      // Act
      const described = await refusal(
        ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] })),
      );
      const routed = await refusal(
        ec2.send(
          new CreateRouteCommand({
            RouteTableId: RouteTable?.RouteTableId,
            DestinationCidrBlock: '0.0.0.0/0',
            NatGatewayId: natGatewayId,
          }),
        ),
      );

      // Assess
      expect(described).toEqual({
        code: 'NatGatewayNotFound',
        message: `NAT gateway ${natGatewayId} was not found`,
      });
      expect(routed).toEqual({
        code: 'InvalidNatGatewayID.NotFound',
        message: `The natGateway ID '${natGatewayId}' does not exist`,
      });
    } finally {
      simulator.sim.ctx.latency.natGatewayVisible = [1, 3];
    }
  });
});

describe('internet-facing load balancers right after AttachInternetGateway', () => {
  async function attachedNetwork(): Promise<{ subnetIds: string[] }> {
    const vpcId = await newVpc();
    await windowsPass();
    const subnets = await Promise.all(
      ['us-east-1a', 'us-east-1b'].map((zone, index) =>
        ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${index}.0/24`, AvailabilityZone: zone }),
        ),
      ),
    );
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await windowsPass();
    await ec2.send(
      new AttachInternetGatewayCommand({
        InternetGatewayId: InternetGateway?.InternetGatewayId,
        VpcId: vpcId,
      }),
    );
    return { subnetIds: subnets.map(({ Subnet }) => Subnet?.SubnetId ?? '') };
  }

  it('answers InvalidSubnet naming the VPC inside the attachment window, then creates it', async () => {
    // Prepare
    const { subnetIds } = await attachedNetwork();
    const create = () => elbv2.send(new CreateLoadBalancerCommand({ Name: 'shop', Subnets: subnetIds }));

    // Act
    const early = await refusal(create());
    await windowsPass();
    const later = await create();

    // Assess
    expect(early.code).toBe('InvalidSubnetException'); // the SDK's name for ELB's `InvalidSubnet`
    expect(early.message).toMatch(/^VPC vpc-[0-9a-f]+ has no internet gateway$/);
    expect(later.LoadBalancers?.[0]?.Scheme).toBe('internet-facing');
  });

  it('creates an internal load balancer inside the window', async () => {
    // Prepare
    const { subnetIds } = await attachedNetwork();

    // Act
    const created = await elbv2.send(
      new CreateLoadBalancerCommand({ Name: 'inside', Subnets: subnetIds, Scheme: 'internal' }),
    );

    // Assess
    expect(created.LoadBalancers?.[0]?.Scheme).toBe('internal');
  });
});

describe('the /_local/consistency switch', () => {
  it('answers the windows in force, on by default', async () => {
    // Prepare
    const fresh = await startSimulator({ port: 0, services: [ec2Service] });

    try {
      // Act
      const response = await fetch(`${fresh.url}/_local/consistency`);

      // Assess
      expect(await response.json()).toEqual({ enabled: true, windowSeconds: [1, 3] });
    } finally {
      await fresh.close();
    }
  });

  it('lets a new id be used at once when switched off', async () => {
    // Prepare
    const switched = await control('PUT', '/_local/consistency', { enabled: false });
    const vpcId = await newVpc();

    // Act
    const modified = await ec2.send(
      new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }),
    );

    // Assess
    expect(switched).toEqual({ status: 200, json: { enabled: false, windowSeconds: WINDOW_SECONDS } });
    expect(modified.$metadata.httpStatusCode).toBe(200);
  });

  it.each([
    [{ enabled: 'yes' }, 'enabled must be true or false'],
    [{ windowSeconds: [3, 1] }, 'windowSeconds must be [min, max] AWS seconds with 0 <= min <= max'],
    [{ windowSeconds: [-1, 2] }, 'windowSeconds must be [min, max] AWS seconds with 0 <= min <= max'],
  ])('refuses %j with 400 and changes nothing', async (body, message) => {
    // Act
    const answer = await control('PUT', '/_local/consistency', body);
    const after = await control('GET', '/_local/consistency');

    // Assess
    expect(answer).toEqual({ status: 400, json: { message } });
    expect(after.json).toEqual({ enabled: true, windowSeconds: WINDOW_SECONDS });
  });
});

describe('per-API throttling buckets', () => {
  let realTime: RunningSimulator;
  let client: EC2Client;

  beforeAll(async () => {
    // Real time, so that buckets barely refill during a test; windows off, so ids are usable at once.
    realTime = await startSimulator({ port: 0, timeScale: 1, services: [ec2Service], consistency: false });
    client = new EC2Client({ endpoint: realTime.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });

  afterAll(async () => {
    client.destroy();
    await realTime.close();
  });

  beforeEach(() => {
    realTime.sim.reset();
    realTime.sim.limiter.options.overrides = {};
  });

  async function throttledOf(calls: Array<() => Promise<unknown>>): Promise<string[]> {
    const results = await Promise.allSettled(calls.map((call) => call()));
    return results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).name] : []));
  }

  it('throttles one mutating action without touching another', async () => {
    // Prepare: ModifyVpcAttribute's own bucket, 3 deep.
    realTime.sim.limiter.options.overrides = {
      'ec2:ModifyVpcAttribute': { burst: 3, refillPerSecond: 0.01 },
    };
    const { Vpc } = await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { Subnet } = await client.send(
      new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.0.0.0/24' }),
    );

    // Act
    const modifyVpc = await throttledOf(
      Array.from(
        { length: 5 },
        () => () =>
          client.send(
            new ModifyVpcAttributeCommand({ VpcId: Vpc?.VpcId, EnableDnsSupport: { Value: true } }),
          ),
      ),
    );
    const modifySubnet = await throttledOf([
      () =>
        client.send(
          new ModifySubnetAttributeCommand({
            SubnetId: Subnet?.SubnetId,
            MapPublicIpOnLaunch: { Value: true },
          }),
        ),
    ]);

    // Assess
    expect(modifyVpc).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded']);
    expect(modifySubnet).toEqual([]);
  });

  it('gives CreateNatGateway its own bucket of 10', async () => {
    // Prepare: no subnet exists, so every call that gets past the bucket answers InvalidSubnetID.NotFound.
    const create = () =>
      client.send(
        new CreateNatGatewayCommand({ SubnetId: 'subnet-0123456789abcdef0', AllocationId: 'eipalloc-1' }),
      );

    // Act
    const answers = await throttledOf(Array.from({ length: 13 }, () => create));

    // Assess
    expect(answers.filter((code) => code === 'RequestLimitExceeded')).toHaveLength(3);
    expect(answers.filter((code) => code === 'InvalidSubnetID.NotFound')).toHaveLength(10);
  });

  it('sizes an unfiltered DescribeSecurityGroups at 50 / 10 a second, a filtered one at 100 / 20', () => {
    // Act
    const limits = [{}, { Filter: [{ Name: 'group-name', Value: ['web'] }] }].map((input) => ({
      bucket: realTime.sim.limiter.bucket(ec2Service, 'DescribeSecurityGroups', input),
      limit: realTime.sim.limiter.limit(ec2Service, 'DescribeSecurityGroups', input),
    }));

    // Assess
    expect(limits).toEqual([
      { bucket: 'ec2:DescribeSecurityGroups/unfiltered', limit: { burst: 50, refillPerSecond: 10 } },
      { bucket: 'ec2:DescribeSecurityGroups', limit: { burst: 100, refillPerSecond: 20 } },
    ]);
  });

  it('throttles unfiltered DescribeSecurityGroups calls while filtered ones still pass', async () => {
    // Prepare: the unfiltered bucket keeps its 50 tokens but all but stops refilling.
    realTime.sim.limiter.options.overrides = {
      'ec2:DescribeSecurityGroups/unfiltered': { refillPerSecond: 0.001 },
    };
    const unfiltered = () => client.send(new DescribeSecurityGroupsCommand({}));
    const filtered = () =>
      client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['web'] }] }));

    // Act
    const unfilteredAnswers = await throttledOf(Array.from({ length: 60 }, () => unfiltered));
    const filteredAnswers = await throttledOf(Array.from({ length: 20 }, () => filtered));

    // Assess
    expect(unfilteredAnswers).toEqual(Array.from({ length: 10 }, () => 'RequestLimitExceeded'));
    expect(filteredAnswers).toEqual([]);
  });

  it('still applies a category override to every bucket of the category', async () => {
    // Prepare
    realTime.sim.limiter.options.overrides = { 'ec2:mutating': { burst: 2, refillPerSecond: 0.01 } };

    // Act
    const vpcs = await throttledOf(
      Array.from({ length: 3 }, () => () => client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))),
    );
    const tables = await throttledOf([
      () => client.send(new CreateRouteTableCommand({ VpcId: 'vpc-0123456789abcdef0' })),
    ]);

    // Assess: CreateVpc's bucket ran dry; CreateRouteTable's (also 2 deep) had its own tokens.
    expect(vpcs).toEqual(['RequestLimitExceeded']);
    expect(tables).toEqual(['InvalidVpcID.NotFound']);
  });
});
