/**
 * Request-time capacity: a VPC whose planned subnets cannot hold the load balancer and a deployment's
 * tasks, and EC2 capacity whose instances have too few ENIs, are refused at the field to change
 * (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
 */
import {
  addressDemand,
  capacityProblems,
  ec2CapacityProblems,
  MAX_NETWORK_INTERFACES,
  minimumVpcPrefix,
  networkCapacityProblems,
  peakTasks,
  tasksPerInstance,
} from '../../shared/domain/capacity';
import { PRICES } from '../../shared/domain/prices';
import {
  type EnvironmentRequest,
  type EnvironmentSpec,
  environmentRequestSchema,
} from '../../shared/domain/spec';

/** A parsed spec of `services` (named svc<i>, one path each) with the given network and cluster. */
function spec(
  services: Record<string, unknown>[],
  extra: Partial<Pick<EnvironmentRequest, 'network' | 'cluster' | 'loadBalancer' | 'jobs'>> = {},
): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    services: services.map((service, index) => ({
      name: `svc${index}`,
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:1',
      routing: { pathPatterns: [`/svc${index}/*`] },
      ...service,
    })),
    ...extra,
  });
}

const ec2 = (instanceType: string, maxSize: number) => ({
  capacity: 'EC2' as const,
  ec2: { instanceType, minSize: 1, maxSize, desiredCapacity: 1 },
});

describe('peakTasks', () => {
  it('counts the tasks of a deployment at maximumPercent, rounded down, never fewer than desired', () => {
    const counts = [
      { desiredCount: 3 },
      { desiredCount: 3, deployment: { maximumPercent: 150 } },
      { desiredCount: 1, deployment: { maximumPercent: 100 } },
    ].map((service) => peakTasks(spec([service]).services[0] as EnvironmentSpec['services'][number]));

    expect(counts).toEqual([6, 4, 1]);
  });
});

describe('addressDemand', () => {
  it('asks each public subnet for the ALB’s 8 and a NAT gateway, each application subnet for its zone’s share', () => {
    const demand = addressDemand(
      spec([{ desiredCount: 5 }, { desiredCount: 2 }], {
        network: { availabilityZones: 2, natGateways: 'single' },
      }),
    );

    // ceil(10 / 2) + ceil(4 / 2) tasks at the peak of a deployment.
    expect(demand).toEqual({ public: 9, app: 7, loadBalancerTier: 'public' });
  });

  it('counts interface endpoints, instances and jobs in the application subnets, and an internal ALB there', () => {
    const demand = addressDemand(
      spec([{ desiredCount: 1, secrets: { KEY: 'arn:aws:ssm:us-east-1:123456789012:parameter/shop/key' } }], {
        network: { availabilityZones: 2, natGateways: 'none' },
        cluster: ec2('t3.medium', 3),
        loadBalancer: { scheme: 'internal' },
        jobs: [{ name: 'nightly', service: 'svc0', trigger: { schedule: 'cron(0 3 * * ? *)' } }],
      }),
    );

    // 1 task + 1 job + 7 endpoints (ecr.api, ecr.dkr, logs, ssm, ecs, ecs-agent, ecs-telemetry)
    // + 2 instances (ceil(3 / 2)) + 8 for the internal load balancer.
    expect(demand).toEqual({ public: 0, app: 19, loadBalancerTier: 'app' });
  });
});

describe('minimumVpcPrefix', () => {
  it('is a /23 for a small environment: a /24 plans /28 subnets, below the load balancer’s /27', () => {
    expect(minimumVpcPrefix(spec([{}]))).toBe(23);
  });

  it('grows with the tasks of a deployment', () => {
    // 10 services × 100 tasks × 200 % over 2 zones: 1,000 per application subnet → /22 subnets (1,019).
    const big = spec(Array.from({ length: 10 }, () => ({ desiredCount: 100 })));

    expect(minimumVpcPrefix(big)).toBe(18);
  });
});

describe('networkCapacityProblems', () => {
  it('refuses a /24 at /network/cidr, naming its /28 subnets and the minimum', () => {
    const problems = networkCapacityProblems(spec([{}], { network: { cidr: '10.20.0.0/24' } }));

    expect(problems).toEqual([
      {
        path: ['network', 'cidr'],
        message: expect.stringMatching(
          /^a \/24 VPC plans \/28 subnets of 11 usable addresses; .*the minimum is a \/23 VPC$/,
        ),
      },
    ]);
  });

  it('refuses a /22 for two large services and accepts the /20 that holds them', () => {
    // 2 services × 100 tasks × 200 % over 2 zones: 200 per application subnet; a /22 plans /26s (59).
    const large = [{ desiredCount: 100 }, { desiredCount: 100 }];

    const small = networkCapacityProblems(spec(large, { network: { cidr: '10.20.0.0/22' } }));
    const enough = networkCapacityProblems(spec(large, { network: { cidr: '10.20.0.0/20' } }));

    expect(small.map((problem) => problem.message)).toEqual([
      expect.stringContaining('200 per application subnet'),
    ]);
    expect(small[0]?.message).toMatch(/the minimum is a \/20 VPC$/);
    expect(enough).toEqual([]);
  });

  it('tells an "auto" spec too large for the automatic /20 to give a larger CIDR', () => {
    const problems = networkCapacityProblems(spec(Array.from({ length: 4 }, () => ({ desiredCount: 100 }))));

    expect(problems[0]?.message).toMatch(
      /^"auto" allocates a \/20 VPC, which plans \/24 subnets of 251 usable addresses; .*the minimum is a \/19 VPC: give network.cidr explicitly$/,
    );
  });

  it('accepts the defaults: an "auto" VPC with one service', () => {
    expect(networkCapacityProblems(spec([{}]))).toEqual([]);
  });
});

describe('ec2CapacityProblems', () => {
  it('holds two tasks per t3.medium: 3 ENIs less the primary', () => {
    expect(tasksPerInstance('t3.medium')).toBe(2);
    expect(tasksPerInstance('m5.xlarge')).toBe(3);
  });

  it('refuses at /cluster/ec2/maxSize more tasks than maxSize instances hold, naming the size that would', () => {
    // 3 desired × 200 % = 6 tasks; 2 t3.medium hold 4.
    const problems = ec2CapacityProblems(spec([{ desiredCount: 3 }], { cluster: ec2('t3.medium', 2) }));

    expect(problems).toEqual([
      {
        path: ['cluster', 'ec2', 'maxSize'],
        message: expect.stringMatching(
          /^2 t3\.medium instances hold 4 awsvpc tasks .* up to 6 at once .*use maxSize 3 or more/,
        ),
      },
    ]);
  });

  it('accepts the same services on 3 instances', () => {
    expect(ec2CapacityProblems(spec([{ desiredCount: 3 }], { cluster: ec2('t3.medium', 3) }))).toEqual([]);
  });

  it('refuses an instance type without a known ENI limit at /cluster/ec2/instanceType', () => {
    const problems = ec2CapacityProblems(spec([{}], { cluster: ec2('x2iedn.32xlarge', 2) }));

    expect(problems.map((problem) => problem.path)).toEqual([['cluster', 'ec2', 'instanceType']]);
  });

  it('knows an ENI limit for every instance type berth prices', () => {
    const priced = new Set(Object.values(PRICES).flatMap((table) => Object.keys(table.ec2InstanceHour)));

    expect([...priced].filter((type) => MAX_NETWORK_INTERFACES[type] === undefined)).toEqual([]);
  });

  it('has nothing to say about Fargate capacity', () => {
    expect(ec2CapacityProblems(spec([{ desiredCount: 100 }]))).toEqual([]);
  });
});

describe('capacityProblems', () => {
  it('reports both kinds at once', () => {
    const problems = capacityProblems(
      spec([{ desiredCount: 3 }], { network: { cidr: '10.20.0.0/24' }, cluster: ec2('t3.medium', 1) }),
    );

    expect(problems.map((problem) => problem.path.join('/'))).toEqual([
      'network/cidr',
      'cluster/ec2/maxSize',
    ]);
  });
});
