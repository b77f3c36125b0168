/** Which VPC endpoints an environment without NAT needs, and which images it cannot pull at all. */
import { type EnvironmentRequest, environmentRequestSchema } from '../../shared/domain/spec';
import { egressProblems, plannedEndpoints } from '../../shared/domain/vpc-endpoints';

const ECR_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2';
const ASM = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf';
const SSM = 'arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key';

function spec(overrides: Partial<EnvironmentRequest> = {}) {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    network: { natGateways: 'none' },
    services: [{ name: 'api', image: ECR_IMAGE }],
    ...overrides,
  });
}

const named = (planned: ReturnType<typeof plannedEndpoints>) =>
  planned.map((endpoint) => `${endpoint.service}/${endpoint.type}`);

describe('plannedEndpoints', () => {
  it('plans ECR API and Docker, Logs and the S3 gateway without NAT, and no STS', () => {
    expect(named(plannedEndpoints(spec()))).toEqual([
      'ecr.api/Interface',
      'ecr.dkr/Interface',
      'logs/Interface',
      's3/Gateway',
    ]);
  });

  it('adds Secrets Manager and SSM only for the kinds of secret the services name', () => {
    const both = spec({ services: [{ name: 'api', image: ECR_IMAGE, secrets: { A: ASM, B: SSM } }] });
    const ssmOnly = spec({ services: [{ name: 'api', image: ECR_IMAGE, secrets: { B: SSM } }] });

    expect(named(plannedEndpoints(both))).toEqual(
      expect.arrayContaining(['secretsmanager/Interface', 'ssm/Interface']),
    );
    expect(named(plannedEndpoints(ssmOnly))).not.toContain('secretsmanager/Interface');
    expect(named(plannedEndpoints(ssmOnly))).toContain('ssm/Interface');
  });

  it("adds ECS's own endpoints for EC2 capacity, whose agents talk to ECS", () => {
    const onEc2 = spec({
      cluster: {
        capacity: 'EC2',
        ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 2, desiredCapacity: 1 },
      },
    });

    expect(named(plannedEndpoints(onEc2))).toEqual(
      expect.arrayContaining(['ecs/Interface', 'ecs-agent/Interface', 'ecs-telemetry/Interface']),
    );
  });

  it('plans nothing when a NAT gateway is the way out', () => {
    expect(plannedEndpoints(spec({ network: { natGateways: 'single' } }))).toEqual([]);
  });
});

describe('egressProblems', () => {
  it('names each service and job image that only the internet serves', () => {
    const problems = egressProblems(
      spec({
        services: [
          { name: 'api', image: ECR_IMAGE },
          { name: 'web', image: 'nginx:1.27', routing: { pathPatterns: ['/web/*'] } },
        ],
        jobs: [
          { name: 'report', image: 'public.ecr.aws/shop/report:1', trigger: { schedule: 'rate(1 hour)' } },
        ],
      }),
    );

    expect(problems.map((problem) => problem.path)).toEqual([
      ['services', 1, 'image'],
      ['jobs', 0, 'image'],
    ]);
  });

  it('accepts any image when a NAT gateway is the way out', () => {
    expect(
      egressProblems(
        spec({ network: { natGateways: 'single' }, services: [{ name: 'web', image: 'nginx:1.27' }] }),
      ),
    ).toEqual([]);
  });
});
