/**
 * An internet-facing ALB created right after berth attached the VPC's internet gateway: ELB answers
 * that the VPC has no internet gateway (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling);
 * berth reports it as a transient ReadAfterCreateLag (the workflow's Retry tries again) and creates
 * the ALB once the attachment is seen. An internal ALB is not refused.
 */
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { elbv2 } from '@berth/aws-sim/services/elbv2';
import { errorCode, isTransient, ReadAfterCreateLag } from '../../shared/aws/errors';
import { ensureLoadBalancer, type LoadBalancerPlacement } from '../../shared/aws/load-balancer';
import { environment, type SimulatedAws, specWith, startAws, waitAwsSeconds } from './simulated-aws';

let aws: SimulatedAws;
let client: EC2Client;

beforeAll(async () => {
  aws = await startAws([ec2, elbv2]);
  client = new EC2Client(aws.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await aws.stop();
});

beforeEach(() => {
  aws.running.sim.reset();
  // Windows of 300 AWS seconds: 300 ms of wall time at the suite's time scale.
  aws.running.sim.ctx.consistency.enabled = true;
  aws.running.sim.ctx.consistency.windowSeconds = [300, 300];
});

/** Two subnets in two zones and a security group, past their windows; the gateway attached just now. */
async function justAttached(): Promise<LoadBalancerPlacement> {
  const { Vpc } = await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = Vpc?.VpcId ?? '';
  await waitAwsSeconds(310);
  const subnets = await Promise.all(
    ['us-east-1a', 'us-east-1b'].map((zone, index) =>
      client.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${index}.0/24`, AvailabilityZone: zone }),
      ),
    ),
  );
  const { GroupId = '' } = await client.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'alb', Description: 'alb' }),
  );
  const { InternetGateway } = await client.send(new CreateInternetGatewayCommand({}));
  await waitAwsSeconds(310);
  await client.send(
    new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway?.InternetGatewayId, VpcId: vpcId }),
  );
  return {
    subnetIds: subnets.map(({ Subnet }) => Subnet?.SubnetId ?? ''),
    securityGroupId: GroupId,
    tags: {},
  };
}

describe('an internet-facing ALB right after the internet gateway attach', () => {
  it('is a transient ReadAfterCreateLag with ELB’s code, then created once ELB sees the gateway', async () => {
    // Prepare
    const placement = await justAttached();
    const spec = specWith([{ name: 'api' }]).loadBalancer;

    // Act
    const early = await ensureLoadBalancer(environment(), spec, placement, aws.elbv2).then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitAwsSeconds(310);
    const later = await ensureLoadBalancer(environment(), spec, placement, aws.elbv2);

    // Assess
    expect(early).toBeInstanceOf(ReadAfterCreateLag);
    expect(errorCode(early)).toMatch(/^InvalidSubnet/);
    expect(isTransient(early)).toBe(true);
    expect(later.state).toBe('provisioning');
  });

  it('creates an internal ALB at once', async () => {
    // Prepare
    const placement = await justAttached();
    const spec = specWith([{ name: 'api' }], { loadBalancer: { scheme: 'internal' } }).loadBalancer;

    // Act
    const created = await ensureLoadBalancer(environment(), spec, placement, aws.elbv2);

    // Assess
    expect(created.state).toBe('provisioning');
  });
});
