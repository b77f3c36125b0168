/**
 * A small network for the ELBv2, ECS and Auto Scaling simulator tests, made through the simulated
 * EC2 API: one VPC, two subnets in different zones, one security group.
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
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

export async function createNetwork(services: SimulatedServices): Promise<TestNetwork> {
  const ec2 = new EC2Client(services.clientConfig);
  try {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = required(vpc.Vpc?.VpcId, 'VPC id');
    const subnetIn = async (cidr: string, zone: string) =>
      required(
        (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone })))
          .Subnet?.SubnetId,
        'subnet id',
      );
    const subnetIds: [string, string] = [
      await subnetIn('10.0.1.0/24', 'us-east-1a'),
      await subnetIn('10.0.2.0/24', 'us-east-1b'),
    ];
    const group = await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'berth-test', Description: 'berth test' }),
    );
    return { vpcId, subnetIds, securityGroupId: required(group.GroupId, 'group id') };
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
