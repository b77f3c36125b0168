/** Simulated EC2 through the real AWS SDK v3: shapes, filters, pagination, errors and dependencies. */
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
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteLaunchTemplateCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  type EC2ServiceException,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  ReplaceRouteCommand,
  RevokeSecurityGroupIngressCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { type RunningSimulator, startSimulator } from '../src/server';
import { createNetworkInterface, releaseNetworkInterface } from '../src/services/ec2';
import { updateQuotaSettings } from '../src/services/quotas';

let simulator: RunningSimulator;
let ec2: EC2Client;

beforeAll(async () => {
  // Shapes, filters and dependencies; the read-after-create windows have their own suite
  // (ec2-consistency.test.ts), so this one answers each call as if they had passed.
  simulator = await startSimulator({ port: 0, timeScale: 0.001, seed: 7, consistency: false });
  ec2 = new EC2Client({
    endpoint: simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  ec2.destroy();
  await simulator.close();
});

beforeEach(() => simulator.sim.reset());

const envTags = (environment: string): Tag[] => [
  { Key: 'berth:environment', Value: environment },
  { Key: 'berth:team', Value: 'payments' },
];

/** The AWS error a call fails with (code, HTTP status, message). */
async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const exception = error as EC2ServiceException;
    return { code: exception.name, status: exception.$metadata?.httpStatusCode, message: exception.message };
  }
  throw new Error('expected the call to fail');
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function createVpc(cidr = '10.20.0.0/16', environment = 'env-a'): Promise<string> {
  const { Vpc } = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: cidr,
      TagSpecifications: [{ ResourceType: 'vpc', Tags: envTags(environment) }],
    }),
  );
  if (!Vpc?.VpcId) throw new Error('no vpc id');
  return Vpc.VpcId;
}

async function createSubnet(vpcId: string, cidr: string, zone = 'us-east-1a'): Promise<string> {
  const { Subnet } = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }),
  );
  if (!Subnet?.SubnetId) throw new Error('no subnet id');
  return Subnet.SubnetId;
}

async function attachedGateway(vpcId: string): Promise<string> {
  const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
  const igwId = InternetGateway?.InternetGatewayId ?? '';
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
  return igwId;
}

async function allocate(): Promise<string> {
  const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  return AllocationId ?? '';
}

describe('availability zones', () => {
  it('lists at least three available zones of us-east-1', async () => {
    const { AvailabilityZones } = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(AvailabilityZones?.length).toBeGreaterThanOrEqual(3);
    expect(AvailabilityZones?.[0]).toMatchObject({
      ZoneName: 'us-east-1a',
      State: 'available',
      RegionName: 'us-east-1',
    });
  });

  it('filters zones by name', async () => {
    const { AvailabilityZones } = await ec2.send(
      new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['us-east-1b'] }] }),
    );
    expect(AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual(['us-east-1b']);
  });
});

describe('VPCs', () => {
  it('creates a VPC with its tags, an AWS-style id and the pending state', async () => {
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.1.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: envTags('env-1') }],
      }),
    );
    expect(Vpc?.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(Vpc).toMatchObject({
      CidrBlock: '10.1.0.0/16',
      State: 'pending',
      IsDefault: false,
      OwnerId: '000000000000',
    });
    expect(Vpc?.Tags).toEqual(envTags('env-1'));
  });

  it('describes VPCs as available and finds them by tag filter', async () => {
    const mine = await createVpc('10.1.0.0/16', 'env-1');
    await createVpc('10.2.0.0/16', 'env-2');
    const { Vpcs } = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag:berth:environment', Values: ['env-1'] }] }),
    );
    expect(Vpcs?.map((vpc) => vpc.VpcId)).toEqual([mine]);
    expect(Vpcs?.[0]?.State).toBe('available');
  });

  it('finds VPCs by tag-key and by id, and rejects an unknown id', async () => {
    const vpcId = await createVpc();
    const byKey = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag-key', Values: ['berth:team'] }] }),
    );
    expect(byKey.Vpcs?.map((vpc) => vpc.VpcId)).toEqual([vpcId]);
    const byId = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    expect(byId.Vpcs).toHaveLength(1);
    expect(
      await failure(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] }))),
    ).toMatchObject({
      code: 'InvalidVpcID.NotFound',
      status: 400,
      message: "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    });
  });

  it('pages VPCs with MaxResults and NextToken', async () => {
    // Six of ours and the default VPC: past the default quota of five.
    updateQuotaSettings(simulator.sim.ctx, { 'vpc/L-F678F1CE': 10 });
    for (let index = 0; index < 6; index += 1) await createVpc(`10.${index}.0.0/16`);
    const first = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5 }));
    expect(first.Vpcs).toHaveLength(5);
    expect(first.NextToken).toBeDefined();
    const second = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(second.Vpcs).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();
    expect(await failure(ec2.send(new DescribeVpcsCommand({ MaxResults: 2 })))).toMatchObject({
      code: 'InvalidParameterValue',
    });
  });

  it('validates CIDR blocks', async () => {
    expect(await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })))).toMatchObject({
      code: 'InvalidVpc.Range',
    });
    expect(await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.300/16' })))).toMatchObject({
      code: 'InvalidParameterValue',
    });
    expect(await failure(ec2.send(new CreateVpcCommand({})))).toMatchObject({ code: 'MissingParameter' });
  });

  it('turns on DNS hostnames and reports the attribute', async () => {
    const vpcId = await createVpc();
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    const attribute = await ec2.send(
      new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
    );
    expect(attribute.EnableDnsHostnames?.Value).toBe(true);
  });

  it('creates a main route table and a default security group that go with the VPC', async () => {
    const vpcId = await createVpc();
    const filter = [{ Name: 'vpc-id', Values: [vpcId] }];
    const tables = await ec2.send(new DescribeRouteTablesCommand({ Filters: filter }));
    expect(tables.RouteTables).toHaveLength(1);
    expect(tables.RouteTables?.[0]?.Associations?.[0]?.Main).toBe(true);
    expect(tables.RouteTables?.[0]?.Routes?.[0]).toMatchObject({
      DestinationCidrBlock: '10.20.0.0/16',
      GatewayId: 'local',
    });
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }));
    expect(groups.SecurityGroups?.map((group) => group.GroupName)).toEqual(['default']);
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    expect((await ec2.send(new DescribeRouteTablesCommand({ Filters: filter }))).RouteTables).toEqual([]);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups).toEqual(
      [],
    );
  });
});

describe('subnets', () => {
  it('creates subnets inside the VPC and filters them by VPC and zone', async () => {
    const vpcId = await createVpc();
    const a = await createSubnet(vpcId, '10.20.0.0/24', 'us-east-1a');
    await createSubnet(vpcId, '10.20.1.0/24', 'us-east-1b');
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'availability-zone', Values: ['us-east-1a'] },
        ],
      }),
    );
    expect(Subnets?.map((subnet) => subnet.SubnetId)).toEqual([a]);
    expect(Subnets?.[0]).toMatchObject({
      CidrBlock: '10.20.0.0/24',
      AvailableIpAddressCount: 251,
      State: 'available',
    });
  });

  it('rejects an overlapping CIDR with InvalidSubnet.Conflict and one outside the VPC with InvalidSubnet.Range', async () => {
    const vpcId = await createVpc();
    await createSubnet(vpcId, '10.20.0.0/24');
    expect(await failure(createSubnet(vpcId, '10.20.0.128/25'))).toMatchObject({
      code: 'InvalidSubnet.Conflict',
      message: "The CIDR '10.20.0.128/25' conflicts with another subnet",
    });
    expect(await failure(createSubnet(vpcId, '10.99.0.0/24'))).toMatchObject({ code: 'InvalidSubnet.Range' });
    expect(await failure(createSubnet('vpc-00000000000000000', '10.20.5.0/24'))).toMatchObject({
      code: 'InvalidVpcID.NotFound',
    });
  });

  it('refuses an unknown availability zone', async () => {
    const vpcId = await createVpc();
    expect(await failure(createSubnet(vpcId, '10.20.0.0/24', 'us-east-1z'))).toMatchObject({
      code: 'InvalidParameterValue',
    });
  });
});

describe('internet gateways', () => {
  it('attaches, filters by attachment, refuses a second attach and a delete while attached', async () => {
    const vpcId = await createVpc();
    const igwId = await attachedGateway(vpcId);
    const { InternetGateways } = await ec2.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }),
    );
    expect(InternetGateways?.[0]).toMatchObject({
      InternetGatewayId: igwId,
      Attachments: [{ VpcId: vpcId, State: 'available' }],
    });
    expect(
      await failure(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))),
    ).toMatchObject({
      code: 'Resource.AlreadyAssociated',
    });
    expect(
      await failure(ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }))),
    ).toMatchObject({
      code: 'DependencyViolation',
    });
    expect(await failure(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).toMatchObject({
      code: 'DependencyViolation',
    });
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    expect(
      await failure(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))),
    ).toMatchObject({
      code: 'Gateway.NotAttached',
    });
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }));
    expect(
      await failure(ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igwId] }))),
    ).toMatchObject({ code: 'InvalidInternetGatewayID.NotFound' });
  });
});

describe('route tables', () => {
  it('routes to the internet gateway, associates a subnet and refuses to delete while associated', async () => {
    const vpcId = await createVpc();
    const igwId = await attachedGateway(vpcId);
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    const { RouteTable } = await ec2.send(
      new CreateRouteTableCommand({
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'route-table', Tags: envTags('env-a') }],
      }),
    );
    const tableId = RouteTable?.RouteTableId ?? '';
    expect(tableId).toMatch(/^rtb-[0-9a-f]{17}$/);
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }),
    );
    expect(
      await failure(
        ec2.send(
          new CreateRouteCommand({
            RouteTableId: tableId,
            DestinationCidrBlock: '0.0.0.0/0',
            GatewayId: igwId,
          }),
        ),
      ),
    ).toMatchObject({ code: 'RouteAlreadyExists' });
    const { AssociationId } = await ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId }),
    );
    expect(
      await failure(ec2.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId }))),
    ).toMatchObject({
      code: 'Resource.AlreadyAssociated',
    });
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
    );
    expect(RouteTables?.[0]?.Routes).toContainEqual(
      expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId, State: 'active' }),
    );
    expect(await failure(ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId })))).toMatchObject({
      code: 'DependencyViolation',
    });
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId }));
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId }));
    expect(
      await failure(ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] }))),
    ).toMatchObject({
      code: 'InvalidRouteTableID.NotFound',
    });
  });

  it('replaces the target of an existing route, from the internet gateway to a NAT gateway', async () => {
    const vpcId = await createVpc();
    const igwId = await attachedGateway(vpcId);
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: await allocate() }),
    );
    const natId = NatGateway?.NatGatewayId ?? '';
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const tableId = RouteTable?.RouteTableId ?? '';
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }),
    );

    // A new NAT gateway id is unknown to routes for a moment (eventual consistency): retry until it is.
    await waitFor(() =>
      ec2
        .send(
          new ReplaceRouteCommand({
            RouteTableId: tableId,
            DestinationCidrBlock: '0.0.0.0/0',
            NatGatewayId: natId,
          }),
        )
        .then(
          () => true,
          () => undefined,
        ),
    );
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] }));
    const route = RouteTables?.[0]?.Routes?.find(
      (candidate) => candidate.DestinationCidrBlock === '0.0.0.0/0',
    );

    expect(route).toMatchObject({ NatGatewayId: natId, Origin: 'CreateRoute' });
    expect(route?.GatewayId).toBeUndefined();
    expect(RouteTables?.[0]?.Routes).toHaveLength(2);
  });

  it('refuses to replace a route that does not exist, as AWS does, with InvalidParameterValue', async () => {
    const vpcId = await createVpc();
    const igwId = await attachedGateway(vpcId);
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));

    const refused = await failure(
      ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: RouteTable?.RouteTableId ?? '',
          DestinationCidrBlock: '0.0.0.0/0',
          GatewayId: igwId,
        }),
      ),
    );

    expect(refused).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: "There is no route defined for '0.0.0.0/0' in the route table. Use CreateRoute instead.",
    });
  });

  it('refuses to delete the main route table', async () => {
    const vpcId = await createVpc();
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    const mainId = RouteTables?.[0]?.RouteTableId ?? '';
    expect(await failure(ec2.send(new DeleteRouteTableCommand({ RouteTableId: mainId })))).toMatchObject({
      code: 'DependencyViolation',
    });
  });
});

describe('elastic IPs', () => {
  it('allocates with tags, describes by tag and releases', async () => {
    const { AllocationId, PublicIp, Domain } = await ec2.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: envTags('env-e') }],
      }),
    );
    expect(AllocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
    expect(PublicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(Domain).toBe('vpc');
    const { Addresses } = await ec2.send(
      new DescribeAddressesCommand({ Filters: [{ Name: 'tag:berth:environment', Values: ['env-e'] }] }),
    );
    expect(Addresses?.map((address) => address.AllocationId)).toEqual([AllocationId]);
    await ec2.send(new ReleaseAddressCommand({ AllocationId }));
    expect(await failure(ec2.send(new ReleaseAddressCommand({ AllocationId })))).toMatchObject({
      code: 'InvalidAllocationID.NotFound',
    });
  });
});

describe('NAT gateways', () => {
  async function natSetup() {
    const vpcId = await createVpc();
    await attachedGateway(vpcId);
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    const allocationId = await allocate();
    return { vpcId, subnetId, allocationId };
  }

  it('goes from pending to available under the time scale, holding its EIP', async () => {
    const { subnetId, allocationId } = await natSetup();
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: subnetId,
        AllocationId: allocationId,
        TagSpecifications: [{ ResourceType: 'natgateway', Tags: envTags('env-n') }],
      }),
    );
    expect(NatGateway).toMatchObject({ State: 'pending', SubnetId: subnetId, ConnectivityType: 'public' });
    expect(NatGateway?.NatGatewayId).toMatch(/^nat-[0-9a-f]{17}$/);
    const natId = NatGateway?.NatGatewayId ?? '';
    const available = await waitFor(async () => {
      const { NatGateways } = await ec2.send(
        new DescribeNatGatewaysCommand({ Filter: [{ Name: 'tag:berth:environment', Values: ['env-n'] }] }),
      );
      return NatGateways?.[0]?.State === 'available' ? NatGateways[0] : undefined;
    });
    expect(available.NatGatewayAddresses?.[0]).toMatchObject({
      AllocationId: allocationId,
      Status: 'succeeded',
    });
    expect(await failure(ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId })))).toMatchObject({
      code: 'InvalidIPAddress.InUse',
    });
    const { NetworkInterfaces } = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnetId] }] }),
    );
    expect(NetworkInterfaces?.[0]).toMatchObject({ InterfaceType: 'nat_gateway', RequesterManaged: true });
    expect(natId).toBe(available.NatGatewayId);
  });

  it('is idempotent by ClientToken', async () => {
    const { subnetId, allocationId } = await natSetup();
    const first = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: allocationId, ClientToken: 'tok-1' }),
    );
    const again = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: allocationId, ClientToken: 'tok-1' }),
    );
    expect(again.NatGateway?.NatGatewayId).toBe(first.NatGateway?.NatGatewayId);
    expect(again.ClientToken).toBe('tok-1');
  });

  it('fails with Gateway.NotAttached when the VPC has no internet gateway', async () => {
    const vpcId = await createVpc();
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: await allocate() }),
    );
    const failed = await waitFor(async () => {
      // Right after the create the id may not be visible yet (NatGatewayNotFound, 1–3 simulated s).
      const { NatGateways } = await ec2
        .send(new DescribeNatGatewaysCommand({ NatGatewayIds: [NatGateway?.NatGatewayId ?? ''] }))
        .catch((error: unknown) => {
          if (error instanceof Error && error.name === 'NatGatewayNotFound') return { NatGateways: [] };
          throw error;
        });
      return NatGateways?.[0]?.State === 'failed' ? NatGateways[0] : undefined;
    });
    expect(failed).toMatchObject({ FailureCode: 'Gateway.NotAttached' });
  });

  it('blocks subnet, VPC and detach while deleting, and clears once its ENI drains', async () => {
    const { vpcId, subnetId, allocationId } = await natSetup();
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: allocationId }),
    );
    const natId = NatGateway?.NatGatewayId ?? '';
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: natId }));
    expect(await failure(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })))).toMatchObject({
      code: 'DependencyViolation',
      status: 400,
      message: `The subnet '${subnetId}' has dependencies and cannot be deleted.`,
    });
    const deleted = await waitFor(async () => {
      const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }));
      return NatGateways?.[0]?.State === 'deleted' ? NatGateways[0] : undefined;
    });
    expect(deleted.DeleteTime).toBeInstanceOf(Date);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
    await waitFor(async () => {
      const { NetworkInterfaces } = await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnetId] }] }),
      );
      return NetworkInterfaces?.length === 0 ? true : undefined;
    });
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    const { InternetGateways } = await ec2.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }),
    );
    const igwId = InternetGateways?.[0]?.InternetGatewayId ?? '';
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    expect(
      (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['false'] }] })))
        .Vpcs,
    ).toEqual([]);
  });

  it('answers NatGatewayNotFound for an unknown id', async () => {
    expect(
      await failure(ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-0123456789abcdef0'] }))),
    ).toMatchObject({
      code: 'NatGatewayNotFound',
      status: 400,
    });
  });
});

describe('NAT gateway eventual consistency', () => {
  let slow: RunningSimulator;
  let client: EC2Client;

  beforeAll(async () => {
    // 0.01: the 50 s invisibility window lasts 0.5 s of wall time, the 150 s pending phase 1.5 s.
    slow = await startSimulator({
      port: 0,
      timeScale: 0.01,
      latency: { natGatewayVisible: [50, 50], natGatewayAvailable: [150, 150] },
      // Only the NAT gateway's own window: the VPC, subnet and address are used at once.
      consistency: { windowSeconds: [0, 0] },
    });
    client = new EC2Client({
      endpoint: slow.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await slow.close();
  });

  it('hides a new NAT gateway from Describe and CreateRoute for a moment, then shows it pending', async () => {
    const { Vpc } = await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = Vpc?.VpcId ?? '';
    const { InternetGateway } = await client.send(new CreateInternetGatewayCommand({}));
    await client.send(
      new AttachInternetGatewayCommand({
        InternetGatewayId: InternetGateway?.InternetGatewayId,
        VpcId: vpcId,
      }),
    );
    const { Subnet } = await client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' }));
    const { AllocationId } = await client.send(new AllocateAddressCommand({}));
    const { NatGateway } = await client.send(
      new CreateNatGatewayCommand({ SubnetId: Subnet?.SubnetId, AllocationId }),
    );
    const natId = NatGateway?.NatGatewayId ?? '';
    const hidden = await failure(client.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] })));
    expect(hidden.code).toBe('NatGatewayNotFound');
    const { RouteTables } = await client.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    const tableId = RouteTables?.[0]?.RouteTableId ?? '';
    expect(
      await failure(
        client.send(
          new CreateRouteCommand({
            RouteTableId: tableId,
            DestinationCidrBlock: '0.0.0.0/0',
            NatGatewayId: natId,
          }),
        ),
      ),
    ).toMatchObject({ code: 'InvalidNatGatewayID.NotFound' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const { NatGateways } = await client.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }));
    expect(NatGateways?.[0]?.State).toBe('pending');
  });
});

describe('security groups', () => {
  async function groups(vpcId: string) {
    const alb = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: 'alb',
        Description: 'load balancer',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: envTags('env-s') }],
      }),
    );
    const service = await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'service', Description: 'tasks' }),
    );
    return { albId: alb.GroupId ?? '', serviceId: service.GroupId ?? '' };
  }

  it('authorizes rules from CIDRs and from other groups and describes them as IpPermissions', async () => {
    const vpcId = await createVpc();
    const { albId, serviceId } = await groups(vpcId);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: albId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    const { SecurityGroupRules } = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: serviceId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: albId }] },
        ],
      }),
    );
    expect(SecurityGroupRules?.[0]).toMatchObject({
      ReferencedGroupInfo: { GroupId: albId },
      IsEgress: false,
    });
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.group-id', Values: [albId] }] }),
    );
    expect(SecurityGroups?.map((group) => group.GroupId)).toEqual([serviceId]);
    expect(SecurityGroups?.[0]?.IpPermissions?.[0]).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 8080,
      UserIdGroupPairs: [expect.objectContaining({ GroupId: albId })],
    });
    expect(SecurityGroups?.[0]?.IpPermissionsEgress?.[0]).toMatchObject({
      IpProtocol: '-1',
      IpRanges: [{ CidrIp: '0.0.0.0/0' }],
    });
  });

  it('answers InvalidPermission.Duplicate and InvalidGroup.Duplicate', async () => {
    const vpcId = await createVpc();
    const { albId } = await groups(vpcId);
    const rule = {
      GroupId: albId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
    expect(await failure(ec2.send(new AuthorizeSecurityGroupIngressCommand(rule)))).toMatchObject({
      code: 'InvalidPermission.Duplicate',
    });
    expect(
      await failure(
        ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'alb', Description: 'again' })),
      ),
    ).toMatchObject({ code: 'InvalidGroup.Duplicate' });
    await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
    expect(await failure(ec2.send(new RevokeSecurityGroupIngressCommand(rule)))).toMatchObject({
      code: 'InvalidPermission.NotFound',
    });
  });

  it('refuses to delete a group referenced by another group, the default group, or one an ENI uses', async () => {
    const vpcId = await createVpc();
    const { albId, serviceId } = await groups(vpcId);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: serviceId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: albId }] },
        ],
      }),
    );
    expect(await failure(ec2.send(new DeleteSecurityGroupCommand({ GroupId: albId })))).toMatchObject({
      code: 'DependencyViolation',
      message: `resource ${albId} has a dependent object`,
    });
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'group-name', Values: ['default'] },
          { Name: 'vpc-id', Values: [vpcId] },
        ],
      }),
    );
    expect(
      await failure(ec2.send(new DeleteSecurityGroupCommand({ GroupId: SecurityGroups?.[0]?.GroupId }))),
    ).toMatchObject({
      code: 'CannotDelete',
    });
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: serviceId }));
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    const eni = createNetworkInterface(simulator.sim.ctx, {
      subnetId,
      groups: [albId],
      requesterId: 'amazon-elb',
    });
    expect(await failure(ec2.send(new DeleteSecurityGroupCommand({ GroupId: albId })))).toMatchObject({
      code: 'DependencyViolation',
    });
    releaseNetworkInterface(simulator.sim.ctx, eni.id, 0);
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: albId }));
    expect(await failure(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [albId] })))).toMatchObject({
      code: 'InvalidGroup.NotFound',
    });
  });
});

describe('network interfaces from other services', () => {
  it('block DeleteSubnet and DeleteVpc until released and drained', async () => {
    const vpcId = await createVpc();
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    const eni = createNetworkInterface(simulator.sim.ctx, {
      subnetId,
      description: 'ELB app/x',
      requesterId: 'amazon-elb',
    });
    expect(await failure(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })))).toMatchObject({
      code: 'DependencyViolation',
    });
    releaseNetworkInterface(simulator.sim.ctx, eni.id, 100);
    const { NetworkInterfaces } = await ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.id] }),
    );
    expect(NetworkInterfaces?.[0]).toMatchObject({
      Status: 'available',
      RequesterId: 'amazon-elb',
      VpcId: vpcId,
    });
    await waitFor(async () => {
      try {
        await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
        return true;
      } catch {
        return undefined;
      }
    });
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
  });
});

describe('launch templates', () => {
  it('creates, describes by name and deletes a launch template', async () => {
    const { LaunchTemplate } = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'berth-env-a',
        LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.medium' },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: envTags('env-a') }],
      }),
    );
    expect(LaunchTemplate).toMatchObject({
      LaunchTemplateName: 'berth-env-a',
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
    });
    expect(
      await failure(
        ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: 'berth-env-a',
            LaunchTemplateData: { InstanceType: 't3.small' },
          }),
        ),
      ),
    ).toMatchObject({ code: 'InvalidLaunchTemplateName.AlreadyExistsException' });
    const found = await ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['berth-env-a'] }),
    );
    expect(found.LaunchTemplates?.[0]?.LaunchTemplateId).toBe(LaunchTemplate?.LaunchTemplateId);
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: 'berth-env-a' }));
    expect(
      await failure(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['berth-env-a'] }))),
    ).toMatchObject({
      code: 'InvalidLaunchTemplateName.NotFoundException',
    });
  });
  it('answers the launch template data berth sets, lists and nested structures included', async () => {
    const userData = Buffer.from('#!/bin/bash\necho ECS_CLUSTER=berth-dev >> /etc/ecs/ecs.config\n').toString(
      'base64',
    );
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'berth-dev-capacity',
        LaunchTemplateData: {
          ImageId: 'ami-0a1b2c3d4e5f60001',
          InstanceType: 't3.medium',
          KeyName: 'berth-ops',
          UserData: userData,
          IamInstanceProfile: { Arn: 'arn:aws:iam::000000000000:instance-profile/berth-ecs' },
          SecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'],
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: { VolumeSize: 30, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
            },
          ],
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
          Monitoring: { Enabled: true },
          TagSpecifications: [
            { ResourceType: 'instance', Tags: envTags('env-a') },
            { ResourceType: 'volume', Tags: [{ Key: 'berth:environment', Value: 'env-a' }] },
          ],
          NetworkInterfaces: [
            { DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-0123456789abcdef2'] },
          ],
        },
      }),
    );

    const { LaunchTemplateVersions } = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateName: 'berth-dev-capacity',
        Versions: ['$Latest'],
      }),
    );

    expect(LaunchTemplateVersions).toHaveLength(1);
    expect(LaunchTemplateVersions?.[0]).toMatchObject({ VersionNumber: 1, DefaultVersion: true });
    expect(LaunchTemplateVersions?.[0]?.LaunchTemplateData).toEqual({
      ImageId: 'ami-0a1b2c3d4e5f60001',
      InstanceType: 't3.medium',
      KeyName: 'berth-ops',
      UserData: userData,
      IamInstanceProfile: { Arn: 'arn:aws:iam::000000000000:instance-profile/berth-ecs' },
      SecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'],
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: { VolumeSize: 30, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
        },
      ],
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
      Monitoring: { Enabled: true },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: envTags('env-a') },
        { ResourceType: 'volume', Tags: [{ Key: 'berth:environment', Value: 'env-a' }] },
      ],
      NetworkInterfaces: [
        { DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-0123456789abcdef2'] },
      ],
    });
  });
});

describe('tags', () => {
  it('adds, describes and removes tags on any resource', async () => {
    const vpcId = await createVpc();
    const subnetId = await createSubnet(vpcId, '10.20.0.0/24');
    await ec2.send(
      new CreateTagsCommand({ Resources: [vpcId, subnetId], Tags: [{ Key: 'Name', Value: 'web' }] }),
    );
    const { Tags } = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['Name'] }] }),
    );
    expect(Tags?.map((tag) => [tag.ResourceId, tag.ResourceType])).toEqual([
      [vpcId, 'vpc'],
      [subnetId, 'subnet'],
    ]);
    await ec2.send(new DeleteTagsCommand({ Resources: [subnetId], Tags: [{ Key: 'Name' }] }));
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    expect(Subnets?.[0]?.Tags).toBeUndefined();
    expect(
      await failure(
        ec2.send(
          new CreateTagsCommand({
            Resources: ['subnet-00000000000000000'],
            Tags: [{ Key: 'a', Value: 'b' }],
          }),
        ),
      ),
    ).toMatchObject({
      code: 'InvalidSubnetID.NotFound',
    });
  });
});
