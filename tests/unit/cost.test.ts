import { type CostEstimate, estimateMonthlyCost } from '../../shared/domain/cost';
import {
  type EnvironmentRequest,
  type EnvironmentSpec,
  environmentRequestSchema,
} from '../../shared/domain/spec';

function spec(overrides: Partial<EnvironmentRequest> = {}): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'web',
    team: 'payments',
    services: [{ name: 'api', image: 'nginx:1.27' }],
    ...overrides,
  });
}

const ECR_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.0';

const lineOf = (estimate: CostEstimate, item: string) => estimate.lines.find((line) => line.item === item);

describe('estimateMonthlyCost', () => {
  it('prices the default spec (single NAT, 2 AZs, one 0.25 vCPU / 0.5 GB Fargate task) line by line', () => {
    const estimate = estimateMonthlyCost(spec(), 'us-east-1');

    expect(estimate.lines).toEqual([
      { item: 'NAT gateway', quantity: 730, unit: 'gateway-hour', monthly: 32.85 },
      { item: 'NAT gateway data processed', quantity: 10, unit: 'GB', monthly: 0.45 },
      { item: 'Public IPv4 address', quantity: 2190, unit: 'address-hour', monthly: 10.95 },
      { item: 'Application Load Balancer', quantity: 730, unit: 'ALB-hour', monthly: 16.43 },
      { item: 'Load balancer capacity units', quantity: 730, unit: 'LCU-hour', monthly: 5.84 },
      { item: 'Fargate vCPU (api)', quantity: 182.5, unit: 'vCPU-hour', monthly: 7.39 },
      { item: 'Fargate memory (api)', quantity: 365, unit: 'GB-hour', monthly: 1.62 },
      { item: 'CloudWatch Logs ingested (api)', quantity: 1, unit: 'GB', monthly: 0.5 },
      { item: 'CloudWatch Logs stored (api)', quantity: 0.9863, unit: 'GB-month', monthly: 0.03 },
    ]);
    expect(estimate.monthly).toBe(76.06);
    expect(estimate).toMatchObject({ currency: 'USD', region: 'us-east-1', priceDate: '2026-11-26' });
  });

  it('states its traffic baselines as assumptions', () => {
    const { assumptions } = estimateMonthlyCost(spec(), 'us-east-1');

    expect(assumptions).toEqual(
      expect.arrayContaining([
        expect.stringContaining('10 GB per month through each NAT gateway'),
        expect.stringContaining('1 GB of logs per running task'),
      ]),
    );
  });

  it('counts one NAT gateway and its address per AZ with per-az', () => {
    const single = estimateMonthlyCost(spec({ network: { availabilityZones: 3 } }), 'us-east-1');
    const perAz = estimateMonthlyCost(
      spec({ network: { availabilityZones: 3, natGateways: 'per-az' } }),
      'us-east-1',
    );

    expect(lineOf(single, 'NAT gateway')?.monthly).toBe(32.85);
    expect(lineOf(perAz, 'NAT gateway')?.monthly).toBe(98.55);
    // 3 Elastic IPs for the gateways + 3 for the internet-facing ALB, against 1 + 3.
    expect(lineOf(perAz, 'Public IPv4 address')?.quantity).toBe(6 * 730);
    expect(lineOf(single, 'Public IPv4 address')?.quantity).toBe(4 * 730);
    expect(perAz.monthly - single.monthly).toBeCloseTo(2 * (32.85 + 0.45 + 3.65), 2);
  });

  it('has no NAT lines and no public addresses for an internal ALB without NAT', () => {
    const estimate = estimateMonthlyCost(
      spec({
        network: { natGateways: 'none' },
        loadBalancer: { scheme: 'internal' },
        services: [{ name: 'api', image: ECR_IMAGE }],
      }),
      'us-east-1',
    );

    expect(estimate.lines.map((line) => line.item)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/NAT|IPv4/)]),
    );
  });

  it('prices the VPC interface endpoints without NAT per zone, the S3 gateway endpoint at nothing', () => {
    // Prepare: ECR API, ECR Docker and Logs in 2 zones, plus Secrets Manager for the secret.
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf';
    const services = [{ name: 'api', image: ECR_IMAGE, secrets: { DB: secret } }];

    // Act
    const estimate = estimateMonthlyCost(spec({ network: { natGateways: 'none' }, services }), 'us-east-1');
    const withNat = estimateMonthlyCost(spec({ services }), 'us-east-1');

    // Assess: 4 endpoints × 2 zones × 730 h × $0.01, and 10 GB × $0.01.
    expect(lineOf(estimate, 'VPC interface endpoints')).toEqual({
      item: 'VPC interface endpoints',
      quantity: 5840,
      unit: 'endpoint-AZ-hour',
      monthly: 58.4,
    });
    expect(lineOf(estimate, 'VPC endpoint data processed')?.monthly).toBe(0.1);
    expect(estimate.assumptions).toContain('10 GB per month through the VPC interface endpoints');
    expect(lineOf(withNat, 'VPC interface endpoints')).toBeUndefined();
  });

  it('prices Fargate Spot tasks 70% below Fargate', () => {
    const services = [{ name: 'api', image: 'nginx:1.27', cpu: 1024, memory: 2048, desiredCount: 4 }];
    const onDemand = estimateMonthlyCost(spec({ services }), 'us-east-1');
    const spot = estimateMonthlyCost(spec({ services, cluster: { capacity: 'FARGATE_SPOT' } }), 'us-east-1');

    expect(lineOf(onDemand, 'Fargate vCPU (api)')?.monthly).toBe(118.2);
    expect(lineOf(spot, 'Fargate Spot vCPU (api)')?.monthly).toBe(35.46);
    expect(spot.monthly).toBeLessThan(onDemand.monthly);
  });

  it('counts EC2 instances by desired capacity, not maximum, and no Fargate charge', () => {
    const estimate = estimateMonthlyCost(
      spec({
        cluster: {
          capacity: 'EC2',
          ec2: { instanceType: 'm5.large', minSize: 1, maxSize: 10, desiredCapacity: 3 },
        },
      }),
      'us-east-1',
    );

    expect(lineOf(estimate, 'EC2 m5.large')).toEqual({
      item: 'EC2 m5.large',
      quantity: 3 * 730,
      unit: 'instance-hour',
      monthly: 210.24,
    });
    expect(lineOf(estimate, 'EBS gp3 root volumes')?.quantity).toBe(90);
    expect(estimate.lines.some((line) => line.item.startsWith('Fargate'))).toBe(false);
  });

  it('omits an instance type it has no price for and says so', () => {
    const estimate = estimateMonthlyCost(
      spec({
        cluster: {
          capacity: 'EC2',
          ec2: { instanceType: 'x2iedn.32xlarge', minSize: 1, maxSize: 2, desiredCapacity: 2 },
        },
      }),
      'us-east-1',
    );

    expect(estimate.lines.some((line) => line.item.startsWith('EC2'))).toBe(false);
    expect(estimate.assumptions).toContainEqual(
      expect.stringContaining('no price for instance type x2iedn.32xlarge'),
    );
  });

  it('falls back to us-east-1 prices for a region without a table, and says so', () => {
    const estimate = estimateMonthlyCost(spec(), 'ap-southeast-7');

    expect(estimate.monthly).toBe(estimateMonthlyCost(spec(), 'us-east-1').monthly);
    expect(estimate.region).toBe('ap-southeast-7');
    expect(estimate.assumptions).toContainEqual(expect.stringContaining('no price table for ap-southeast-7'));
  });

  it('adds up to the sum of its rounded lines', () => {
    const estimate = estimateMonthlyCost(
      spec({
        services: [
          { name: 'api', image: 'nginx:1.27', desiredCount: 3, logging: { retentionDays: 3653 } },
          {
            name: 'worker',
            image: 'nginx:1.27',
            cpu: 512,
            memory: 1024,
            desiredCount: 2,
            routing: { pathPatterns: ['/jobs/*'] },
          },
        ],
      }),
      'us-east-1',
    );

    const sum = estimate.lines.reduce((total, line) => total + line.monthly, 0);
    expect(estimate.monthly).toBeCloseTo(sum, 10);
  });
});
