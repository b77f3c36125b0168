/** Simulated EC2 through a second, independent client: the AWS CLI v2 (botocore's serialiser and parser). */
import { type RunningSimulator, startSimulator } from '../src/server';
import { awsCli } from './aws-cli';

let simulator: RunningSimulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, timeScale: 0.001 });
});

afterAll(async () => {
  await simulator.close();
});

const cli = (args: string[]) => awsCli(args, { endpoint: simulator.url });

describe('EC2 through the AWS CLI v2', () => {
  let vpcId: string;

  it('creates a VPC with tags', async () => {
    const created = await cli([
      'ec2',
      'create-vpc',
      '--cidr-block',
      '10.40.0.0/16',
      '--tag-specifications',
      'ResourceType=vpc,Tags=[{Key=berth:environment,Value=env-cli},{Key=berth:team,Value=ops}]',
    ]);
    expect(created.exitCode).toBe(0);
    const vpc = (created.json as { Vpc: { VpcId: string; CidrBlock: string; Tags: unknown[] } }).Vpc;
    expect(vpc.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc.CidrBlock).toBe('10.40.0.0/16');
    expect(vpc.Tags).toContainEqual({ Key: 'berth:environment', Value: 'env-cli' });
    vpcId = vpc.VpcId;
  }, 60_000);

  it('describes VPCs with a tag filter', async () => {
    const described = await cli([
      'ec2',
      'describe-vpcs',
      '--filters',
      'Name=tag:berth:environment,Values=env-cli',
    ]);
    expect(described.exitCode).toBe(0);
    expect((described.json as { Vpcs: Array<{ VpcId: string; State: string }> }).Vpcs).toEqual([
      expect.objectContaining({ VpcId: vpcId, State: 'available' }),
    ]);
  }, 60_000);

  it('creates a subnet and lists it by vpc-id filter', async () => {
    const created = await cli([
      'ec2',
      'create-subnet',
      '--vpc-id',
      vpcId,
      '--cidr-block',
      '10.40.1.0/24',
      '--availability-zone',
      'us-east-1b',
    ]);
    expect(created.exitCode).toBe(0);
    const listed = await cli(['ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpcId}`]);
    expect(
      (listed.json as { Subnets: Array<{ CidrBlock: string; AvailabilityZone: string }> }).Subnets,
    ).toEqual([expect.objectContaining({ CidrBlock: '10.40.1.0/24', AvailabilityZone: 'us-east-1b' })]);
  }, 60_000);

  it('shows a DependencyViolation code to the CLI', async () => {
    const refused = await cli(['ec2', 'delete-vpc', '--vpc-id', vpcId]);
    expect(refused.exitCode).toBe(254);
    expect(refused.stderr).toContain(
      'An error occurred (DependencyViolation) when calling the DeleteVpc operation',
    );
  }, 60_000);

  it('shows a NotFound code to the CLI', async () => {
    const missing = await cli(['ec2', 'describe-security-groups', '--group-ids', 'sg-00000000000000000']);
    expect(missing.exitCode).toBe(254);
    expect(missing.stderr).toContain('(InvalidGroup.NotFound)');
  }, 60_000);

  it('reads security group rules written by the simulator', async () => {
    const group = await cli([
      'ec2',
      'create-security-group',
      '--group-name',
      'alb',
      '--description',
      'alb',
      '--vpc-id',
      vpcId,
    ]);
    const groupId = (group.json as { GroupId: string }).GroupId;
    const authorized = await cli([
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      groupId,
      '--ip-permissions',
      'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]',
    ]);
    expect(authorized.exitCode).toBe(0);
    const described = await cli(['ec2', 'describe-security-groups', '--group-ids', groupId]);
    const permissions = (described.json as { SecurityGroups: Array<{ IpPermissions: unknown[] }> })
      .SecurityGroups[0]?.IpPermissions;
    expect(permissions).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
    ]);
  }, 60_000);
});
