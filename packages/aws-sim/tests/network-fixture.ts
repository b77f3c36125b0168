/**
 * A small network for the ELBv2, ECS and Auto Scaling simulator tests, made through the simulated
 * EC2 API: one VPC, two subnets in different zones, one security group. The group lets its own members
 * in, as a VPC's default group does: a load balancer and the tasks behind it that share it reach each
 * other (health checks honour security groups: docs/aws-facts.md#security-groups-and-alb-health-checks).
 *
 * Tasks need a way out to start (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
 * `egress: true` builds one: a third, public subnet (10.0.255.0/24, not in `subnetIds`) with an internet
 * gateway route and an available NAT gateway, which the VPC's main route table (the two subnets')
 * points at. Without it (the default, for tests about other things, whose seeded timings more
 * resources would shift) the simulator's egress check is switched off, as `PUT /_local/egress` does.
 */
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { setEgressEnforced } from '../src/services/ec2/vpc-endpoints';
import type { SimulatedServices } from './simulated-services';

export interface TestNetwork {
  vpcId: string;
  subnetIds: [string, string];
  securityGroupId: string;
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`the simulated EC2 answered no ${what}`);
  return value;
}

/** Retries a call EC2 may refuse with NotFound just after the create it names (eventual consistency). */
async function afterCreate<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (!name.endsWith('NotFound') || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** The way out: internet gateway, public subnet and route, NAT gateway (waited for), main table → NAT. */
async function addEgress(ec2: EC2Client, vpcId: string): Promise<void> {
  const igw = required(
    (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId,
    'internet gateway id',
  );
  await afterCreate(() =>
    ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId })),
  );
  const publicSubnet = required(
    (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.255.0/24', AvailabilityZone: 'us-east-1a' }),
      )
    ).Subnet?.SubnetId,
    'public subnet id',
  );
  const publicTable = required(
    (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId,
    'route table id',
  );
  await afterCreate(() =>
    ec2.send(
      new CreateRouteCommand({
        RouteTableId: publicTable,
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: igw,
      }),
    ),
  );
  await afterCreate(() =>
    ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicTable, SubnetId: publicSubnet })),
  );
  const allocationId = required(
    (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId,
    'allocation id',
  );
  // A NAT gateway made right after its address or gateway can end `failed` (as on AWS): make another.
  let nat: string | undefined;
  for (let attempt = 0; nat === undefined && attempt < 5; attempt += 1) {
    const created = required(
      (
        await afterCreate(() =>
          ec2.send(new CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId: allocationId })),
        )
      ).NatGateway?.NatGatewayId,
      'NAT gateway id',
    );
    const state = await eventually(async () => {
      const described = await ec2
        .send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: [created] }] }))
        .catch(() => undefined);
      const current = described?.NatGateways?.[0]?.State;
      return current === 'available' || current === 'failed' ? current : undefined;
    }, 20_000);
    if (state === 'available') nat = created;
  }
  if (nat === undefined) throw new Error('the fixture NAT gateway never became available');
  const natGatewayId = nat;
  const main = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  const mainTable = required(main.RouteTables?.[0]?.RouteTableId, 'main route table id');
  await ec2.send(
    new CreateRouteCommand({
      RouteTableId: mainTable,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: natGatewayId,
    }),
  );
}

export async function createNetwork(
  services: SimulatedServices,
  options: { egress?: boolean } = {},
): Promise<TestNetwork> {
  const ec2 = new EC2Client(services.clientConfig);
  try {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = required(vpc.Vpc?.VpcId, 'VPC id');
    const subnetIn = async (cidr: string, zone: string) =>
      required(
        (
          await afterCreate(() =>
            ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone })),
          )
        ).Subnet?.SubnetId,
        'subnet id',
      );
    const subnetIds: [string, string] = [
      await subnetIn('10.0.1.0/24', 'us-east-1a'),
      await subnetIn('10.0.2.0/24', 'us-east-1b'),
    ];
    const group = await afterCreate(() =>
      ec2.send(
        new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'berth-test', Description: 'berth test' }),
      ),
    );
    const groupId = required(group.GroupId, 'group id');
    await afterCreate(() =>
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }],
        }),
      ),
    );
    if (options.egress === true) {
      await addEgress(ec2, vpcId);
      setEgressEnforced(services.running.sim.ctx, true);
    } else {
      setEgressEnforced(services.running.sim.ctx, false);
    }
    return { vpcId, subnetIds, securityGroupId: groupId };
  } finally {
    ec2.destroy();
  }
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` of wall time. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
