/**
 * What an environment counts against the AWS account's quotas, and the arithmetic admission uses:
 * pure functions of shared/domain/usage.ts.
 */
import { environmentRequestSchema } from '../../shared/domain/spec';
import {
  type AccountQuotaSnapshot,
  accountQuotaExcesses,
  accountUsageOf,
  awsQuotaHint,
  berthAccountLimits,
  ZERO_ACCOUNT_USAGE,
} from '../../shared/domain/usage';

const spec = (overrides: Record<string, unknown> = {}) =>
  environmentRequestSchema.parse({
    name: 'web',
    team: 'shop',
    services: [{ name: 'api', image: 'nginx:1.27', cpu: 512, memory: 1024, desiredCount: 3 }],
    ...overrides,
  });

const snapshot = (
  values: Partial<typeof ZERO_ACCOUNT_USAGE>,
  external: Partial<typeof ZERO_ACCOUNT_USAGE> = {},
) =>
  ({
    account: '123456789012',
    region: 'eu-west-1',
    values: { ...ZERO_ACCOUNT_USAGE, ...values },
    external: { ...ZERO_ACCOUNT_USAGE, ...external },
  }) satisfies AccountQuotaSnapshot;

describe('accountUsageOf', () => {
  it('counts a VPC, an internet gateway, an ALB, a target group per service and the desired Fargate vCPUs', () => {
    // Act
    const usage = accountUsageOf(spec());

    // Assess: the default is one NAT gateway (one Elastic IP, in the first zone).
    expect(usage).toEqual({
      vpcs: 1,
      internetGateways: 1,
      natGatewaysPerZone: 1,
      elasticIps: 1,
      loadBalancers: 1,
      targetGroups: 1,
      fargateVcpus: 2,
      fargateSpotVcpus: 0,
    });
  });

  it('counts one NAT gateway per zone in the busiest zone, and an Elastic IP for each', () => {
    // Act
    const usage = accountUsageOf(spec({ network: { natGateways: 'per-az', availabilityZones: 3 } }));

    // Assess
    expect(usage).toMatchObject({ natGatewaysPerZone: 1, elasticIps: 3 });
  });

  it('counts Fargate Spot vCPUs apart, and none for EC2 capacity', () => {
    // Act
    const spot = accountUsageOf(spec({ cluster: { capacity: 'FARGATE_SPOT' } }));

    // Assess
    expect(spot).toMatchObject({ fargateVcpus: 0, fargateSpotVcpus: 2 });
  });
});

describe('admission arithmetic', () => {
  it('leaves berth each quota less what others hold, never below zero', () => {
    // Act
    const limits = berthAccountLimits(
      snapshot({ vpcs: 5, internetGateways: 5 }, { vpcs: 1, internetGateways: 7 }),
    );

    // Assess
    expect(limits).toMatchObject({ vpcs: 4, internetGateways: 0 });
  });

  it('names the quotas a change would pass, with their use counting others', () => {
    // Prepare
    const account = snapshot({ vpcs: 5, elasticIps: 5 }, { vpcs: 1 });

    // Act
    const excesses = accountQuotaExcesses(
      account,
      { ...ZERO_ACCOUNT_USAGE, vpcs: 4, elasticIps: 2 },
      {
        ...ZERO_ACCOUNT_USAGE,
        vpcs: 1,
        elasticIps: 1,
      },
    );

    // Assess
    expect(excesses).toEqual([
      {
        dimension: 'vpcs',
        serviceCode: 'vpc',
        quotaCode: 'L-F678F1CE',
        name: 'VPCs per Region',
        limit: 5,
        inUse: 5,
        requested: 1,
      },
    ]);
  });
});

describe('awsQuotaHint', () => {
  it("names the quota behind EC2's and ELB's limit codes, and nothing for other codes", () => {
    // Act and assess
    expect(awsQuotaHint('VpcLimitExceeded')).toContain('"VPCs per Region" (vpc L-F678F1CE)');
    expect(awsQuotaHint('TooManyLoadBalancersException')).toContain('elasticloadbalancing L-53DA6B97');
    expect(awsQuotaHint('InvalidSubnetID.NotFound')).toBeUndefined();
  });
});
