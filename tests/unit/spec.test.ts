import fc from 'fast-check';
import full from '../../examples/full.json';
import minimal from '../../examples/minimal.json';
import {
  derivedNameProblems,
  ENVIRONMENT_NAME_MAX,
  names,
  SERVICE_NAME_MAX,
} from '../../shared/domain/naming';
import {
  ELB_NAME_MAX,
  type EnvironmentRequest,
  environmentRequestSchema,
  FARGATE_MEMORY_BY_CPU,
  formatIssues,
  isImageReference,
  PLACEHOLDER_ENVIRONMENT_ID,
  resolvePlacement,
  scheduleExpressionProblem,
  scheduleFrequencyProblem,
  scheduleFrequencyProblems,
  toJsonPointer,
  vpcCidrProblem,
} from '../../shared/domain/spec';

type Path = (string | number)[];

/** The smallest valid request; tests change one thing in a copy of it. */
function baseRequest(): EnvironmentRequest {
  return { name: 'shop', team: 'payments', services: [{ name: 'api', image: 'nginx:1.27' }] };
}

/** A valid request on EC2 capacity, for the rules that only apply there. */
function ec2Request(): EnvironmentRequest {
  return {
    ...baseRequest(),
    cluster: {
      capacity: 'EC2',
      ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 3, desiredCapacity: 2 },
    },
  };
}

/** A deep copy of `input` with the value at `path` replaced (containers created as needed). */
function withValue(input: unknown, path: Path, value: unknown): unknown {
  const copy: unknown = structuredClone(input);
  let node: unknown = copy;
  path.forEach((key, index) => {
    if (node === null || typeof node !== 'object')
      throw new Error(`no container at ${path.slice(0, index).join('.')}`);
    const container = node as Record<string | number, unknown>;
    if (index === path.length - 1) container[key] = value;
    else {
      container[key] ??= typeof path[index + 1] === 'number' ? [] : {};
      node = container[key];
    }
  });
  return copy;
}

function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = environmentRequestSchema.safeParse(input);
  return result.success ? [] : formatIssues(result.error);
}

function parsed(input: unknown) {
  return environmentRequestSchema.parse(input);
}

/** Reads the value at `path` of a parsed spec. */
function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

describe('examples', () => {
  it('accepts examples/minimal.json', () => {
    expect(issuesOf(minimal)).toEqual([]);
  });

  it('accepts examples/full.json', () => {
    expect(issuesOf(full)).toEqual([]);
  });
});

describe('defaults', () => {
  it.each<[Path, unknown]>([
    [['network', 'cidr'], 'auto'],
    [['network', 'availabilityZones'], 2],
    [['network', 'natGateways'], 'single'],
    [['network', 'allowedIngressCidrs'], ['0.0.0.0/0']],
    [['cluster', 'capacity'], 'FARGATE'],
    [['cluster', 'containerInsights'], true],
    [['loadBalancer', 'scheme'], 'internet-facing'],
    [['loadBalancer', 'idleTimeoutSeconds'], 60],
    [['services', 0, 'cpu'], 256],
    [['services', 0, 'memory'], 512],
    [['services', 0, 'port'], 80],
    [['services', 0, 'environment'], {}],
    [['services', 0, 'secrets'], {}],
    [['services', 0, 'desiredCount'], 1],
    [['services', 0, 'healthCheck', 'path'], '/'],
    [['services', 0, 'healthCheck', 'intervalSeconds'], 12],
    [['services', 0, 'healthCheck', 'timeoutSeconds'], 5],
    [['services', 0, 'healthCheck', 'healthyThreshold'], 2],
    [['services', 0, 'healthCheck', 'unhealthyThreshold'], 2],
    [['services', 0, 'healthCheck', 'matcher'], '200'],
    [['services', 0, 'healthCheck', 'gracePeriodSeconds'], 30],
    [['services', 0, 'routing', 'pathPatterns'], ['/*']],
    [['services', 0, 'routing', 'hostHeaders'], []],
    [['services', 0, 'logging', 'retentionDays'], 30],
    [['services', 0, 'deployment', 'minimumHealthyPercent'], 100],
    [['services', 0, 'deployment', 'maximumPercent'], 200],
    [['services', 0, 'deployment', 'circuitBreaker'], true],
    [['jobs'], []],
    [['tags'], {}],
  ])('defaults %j to %j', (path, expected) => {
    // Act
    const spec = parsed(baseRequest());

    // Assess
    expect(valueAt(spec, path)).toEqual(expected);
  });

  it('defaults cluster.ec2.rootVolumeGiB to 30', () => {
    const spec = parsed(ec2Request());

    expect(spec.cluster.ec2?.rootVolumeGiB).toBe(30);
  });

  it('fills defaults inside a partly given nested object', () => {
    // Prepare
    const request = withValue(baseRequest(), ['network'], { natGateways: 'per-az' });

    // Act
    const spec = parsed(request);

    // Assess
    expect(spec.network).toEqual({
      cidr: 'auto',
      availabilityZones: 2,
      natGateways: 'per-az',
      allowedIngressCidrs: ['0.0.0.0/0'],
    });
  });

  it('leaves optional fields without a default absent', () => {
    const spec = parsed(baseRequest());

    expect(spec).not.toHaveProperty('dns');
    expect(spec).not.toHaveProperty('ticket');
    expect(spec).not.toHaveProperty('callbackUrl');
    expect(spec.services[0]).not.toHaveProperty('placement');
    expect(spec.services[0]?.routing).not.toHaveProperty('priority');
  });
});

describe('strictness', () => {
  it('names an unknown top-level field', () => {
    const issues = issuesOf({ ...baseRequest(), colour: 'blue' });

    expect(issues).toEqual([{ path: '/colour', message: 'is not a known field' }]);
  });

  it('names an unknown field nested in a service', () => {
    const issues = issuesOf(withValue(baseRequest(), ['services', 0, 'healthCheck', 'interval'], 10));

    expect(issues).toEqual([{ path: '/services/0/healthCheck/interval', message: 'is not a known field' }]);
  });

  it('names an unknown field in a defaulted object', () => {
    const issues = issuesOf(withValue(baseRequest(), ['network', 'nat'], 'none'));

    expect(issues).toEqual([{ path: '/network/nat', message: 'is not a known field' }]);
  });

  it('names an unknown field in a job trigger', () => {
    const request = withValue(
      baseRequest(),
      ['jobs'],
      [{ name: 'sync', service: 'api', trigger: { schedule: 'rate(1 hour)', every: 'hour' } }],
    );

    expect(issuesOf(request)).toEqual([{ path: '/jobs/0/trigger/every', message: 'is not a known field' }]);
  });
});

describe('field rules', () => {
  it.each<[string, Path, unknown, string]>([
    ['an uppercase environment name', ['name'], 'Shop', '/name'],
    ['an environment name over the limit', ['name'], 'a'.repeat(ENVIRONMENT_NAME_MAX + 1), '/name'],
    ['an environment name ending in a hyphen', ['name'], 'shop-', '/name'],
    ['a team with an underscore', ['team'], 'pay_ments', '/team'],
    ['a team over 32 characters', ['team'], 'p'.repeat(33), '/team'],
    ['a malformed VPC CIDR', ['network', 'cidr'], '10.0.0/16', '/network/cidr'],
    ['a public VPC CIDR', ['network', 'cidr'], '8.8.0.0/16', '/network/cidr'],
    ['a VPC CIDR wider than /16', ['network', 'cidr'], '10.0.0.0/8', '/network/cidr'],
    ['a VPC CIDR narrower than /24', ['network', 'cidr'], '10.0.0.0/25', '/network/cidr'],
    ['a VPC CIDR with host bits', ['network', 'cidr'], '10.0.0.1/16', '/network/cidr'],
    [
      'three availability zones as a string',
      ['network', 'availabilityZones'],
      '3',
      '/network/availabilityZones',
    ],
    ['four availability zones', ['network', 'availabilityZones'], 4, '/network/availabilityZones'],
    ['an unknown NAT mode', ['network', 'natGateways'], 'two', '/network/natGateways'],
    [
      'an invalid ingress CIDR',
      ['network', 'allowedIngressCidrs'],
      ['0.0.0.0/33'],
      '/network/allowedIngressCidrs/0',
    ],
    ['an unknown capacity', ['cluster', 'capacity'], 'LAMBDA', '/cluster/capacity'],
    [
      'a malformed certificate ARN',
      ['loadBalancer', 'certificateArn'],
      'arn:aws:acm:eu-west-1:1:cert',
      '/loadBalancer/certificateArn',
    ],
    [
      'an idle timeout over 4000 s',
      ['loadBalancer', 'idleTimeoutSeconds'],
      4001,
      '/loadBalancer/idleTimeoutSeconds',
    ],
    ['an uppercase service name', ['services', 0, 'name'], 'Api', '/services/0/name'],
    [
      'a service name over the limit',
      ['services', 0, 'name'],
      'a'.repeat(SERVICE_NAME_MAX + 1),
      '/services/0/name',
    ],
    ['an image with a space', ['services', 0, 'image'], 'nginx :1.27', '/services/0/image'],
    ['port 0', ['services', 0, 'port'], 0, '/services/0/port'],
    ['port 65536', ['services', 0, 'port'], 65536, '/services/0/port'],
    ['a fractional cpu', ['services', 0, 'cpu'], 256.5, '/services/0/cpu'],
    ['101 tasks', ['services', 0, 'desiredCount'], 101, '/services/0/desiredCount'],
    [
      'an environment variable name starting with a digit',
      ['services', 0, 'environment'],
      { '1X': 'y' },
      '/services/0/environment/1X',
    ],
    [
      'a secret that is not an ARN',
      ['services', 0, 'secrets'],
      { TOKEN: 'my-secret' },
      '/services/0/secrets/TOKEN',
    ],
    [
      'a health-check path without /',
      ['services', 0, 'healthCheck', 'path'],
      'health',
      '/services/0/healthCheck/path',
    ],
    [
      'a 301-second health-check interval',
      ['services', 0, 'healthCheck', 'intervalSeconds'],
      301,
      '/services/0/healthCheck/intervalSeconds',
    ],
    [
      'a healthy threshold of 11',
      ['services', 0, 'healthCheck', 'healthyThreshold'],
      11,
      '/services/0/healthCheck/healthyThreshold',
    ],
    [
      'a matcher outside 200–499',
      ['services', 0, 'healthCheck', 'matcher'],
      '500',
      '/services/0/healthCheck/matcher',
    ],
    [
      'a malformed matcher',
      ['services', 0, 'healthCheck', 'matcher'],
      '200,',
      '/services/0/healthCheck/matcher',
    ],
    [
      'a path pattern without /',
      ['services', 0, 'routing', 'pathPatterns'],
      ['api/*'],
      '/services/0/routing/pathPatterns/0',
    ],
    ['a routing priority of 0', ['services', 0, 'routing', 'priority'], 0, '/services/0/routing/priority'],
    [
      'a log retention CloudWatch does not offer',
      ['services', 0, 'logging', 'retentionDays'],
      10,
      '/services/0/logging/retentionDays',
    ],
    [
      'a maximumPercent under 100',
      ['services', 0, 'deployment', 'maximumPercent'],
      99,
      '/services/0/deployment/maximumPercent',
    ],
    [
      'a malformed task role',
      ['services', 0, 'taskRoleArn'],
      'arn:aws:iam::1:user/x',
      '/services/0/taskRoleArn',
    ],
    [
      'a malformed record name',
      ['dns'],
      { hostedZoneId: 'Z123', recordName: 'shop..example.com' },
      '/dns/recordName',
    ],
    [
      'a one-label record name',
      ['dns'],
      { hostedZoneId: 'Z123', recordName: 'localhost' },
      '/dns/recordName',
    ],
    [
      'a lowercase hosted zone id',
      ['dns'],
      { hostedZoneId: 'z123', recordName: 'shop.example.com' },
      '/dns/hostedZoneId',
    ],
    ['a ticket over 128 characters', ['ticket'], 'T'.repeat(129), '/ticket'],
    ['an http callback URL', ['callbackUrl'], 'http://hooks.example.com/x', '/callbackUrl'],
    ['a callback that is not a URL', ['callbackUrl'], 'hooks', '/callbackUrl'],
    ['a callback to the metadata service', ['callbackUrl'], 'https://169.254.169.254/x', '/callbackUrl'],
    ['a callback to 6to4 metadata', ['callbackUrl'], 'https://[2002:a9fe:a9fe::1]/x', '/callbackUrl'],
    ['a callback to IPv4-compatible loopback', ['callbackUrl'], 'https://[::127.0.0.1]/x', '/callbackUrl'],
    ['a callback to localhost', ['callbackUrl'], 'https://localhost/x', '/callbackUrl'],
    ['no services', ['services'], [], '/services'],
  ])('rejects %s at its path', (_case, path, value, expectedPath) => {
    // Prepare
    const request = withValue(baseRequest(), path, value);

    // Act
    const issues = issuesOf(request);

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual([expectedPath]);
  });

  it('rejects more than ten services', () => {
    const services = Array.from({ length: 11 }, (_, i) => ({
      name: `s${i}`,
      image: 'nginx:1.27',
      routing: { pathPatterns: [`/s${i}/*`] },
    }));

    expect(issuesOf({ ...baseRequest(), services }).map((issue) => issue.path)).toEqual(['/services']);
  });

  it('rejects a tag key reserved by AWS', () => {
    const issues = issuesOf({ ...baseRequest(), tags: { 'aws:cloudformation': 'x' } });

    expect(issues).toEqual([
      { path: '/tags/aws:cloudformation', message: expect.stringContaining('reserved') },
    ]);
  });

  it('rejects a tag key reserved by berth, escaping / in the pointer', () => {
    const issues = issuesOf({ ...baseRequest(), tags: { 'berth:a/b': 'x' } });

    expect(issues).toEqual([{ path: '/tags/berth:a~1b', message: expect.stringContaining('reserved') }]);
  });

  it('rejects more than 40 tags', () => {
    const tags = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`tag-${i}`, 'x']));

    expect(issuesOf({ ...baseRequest(), tags })).toEqual([{ path: '/tags', message: 'at most 40 tags' }]);
  });

  it('accepts a private CIDR in each RFC 1918 range', () => {
    const cidrs = ['10.20.0.0/16', '172.31.0.0/20', '192.168.4.0/24'];

    expect(cidrs.map((cidr) => issuesOf(withValue(baseRequest(), ['network', 'cidr'], cidr)))).toEqual([
      [],
      [],
      [],
    ]);
  });

  it('explains which rule a VPC CIDR breaks', () => {
    expect(vpcCidrProblem('172.32.0.0/16')).toMatch(/not inside 10\.0\.0\.0\/8, 172\.16\.0\.0\/12/);
    expect(vpcCidrProblem('10.0.0.0/12')).toMatch(/use \/16 to \/24/);
    expect(vpcCidrProblem('10.0.1.0/16')).toMatch(/host bits/);
  });

  it('accepts a secret from Secrets Manager with a JSON key and one from Parameter Store', () => {
    const secrets = {
      DB: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::',
      KEY: 'arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/app/key',
    };

    expect(issuesOf(withValue(baseRequest(), ['services', 0, 'secrets'], secrets))).toEqual([]);
  });
});

describe('image references', () => {
  it.each([
    'nginx',
    'nginx:1.27',
    'library/nginx:latest',
    'public.ecr.aws/nginx/nginx:1.27-alpine',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1.2.3',
    'localhost:5000/app:dev',
    'ghcr.io/org/my_app__x:1',
    `registry.example.com/app@sha256:${'a'.repeat(64)}`,
    `app:1.0@sha256:${'0'.repeat(64)}`,
  ])('accepts %s', (reference) => {
    expect(isImageReference(reference)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a space', 'nginx :1.27'],
    ['an uppercase repository path', 'MyOrg/app:1'],
    ['an uppercase repository', 'registry.example.com/App:1'],
    ['an empty tag', 'nginx:'],
    ['a tag starting with a dot', 'nginx:.1'],
    ['a short digest', 'nginx@sha256:abc'],
    ['an unknown digest algorithm', `nginx@md5:${'a'.repeat(64)}`],
    ['an empty path component', 'registry.example.com//app:1'],
    ['a trailing slash', 'org/app/'],
  ])('rejects %s', (_case, reference) => {
    expect(isImageReference(reference)).toBe(false);
  });
});

describe('how often a schedule may start a job', () => {
  it.each([
    'rate(5 minutes)',
    'rate(1 hour)',
    'cron(0 3 * * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0,30 * * * ? *)',
    'cron(5-55/10 8-17 ? * MON-FRI *)',
  ])('allows %s', (expression) => {
    expect(scheduleFrequencyProblem(expression)).toBeUndefined();
  });

  it.each([
    ['a rate of a minute', 'rate(1 minute)', /at most every 5 minutes: write rate\(5 minutes\)/],
    ['a rate of 4 minutes', 'rate(4 minutes)', /at most every 5 minutes/],
    ['a cron of every minute', 'cron(* * * * ? *)', /starts one 1 minute after another/],
    ['a cron step under 5 minutes', 'cron(0/2 3 * * ? *)', /starts one 2 minutes after another/],
    ['cron minutes close together', 'cron(10,12 3 * * ? *)', /2 minutes after another/],
    ['cron minutes close across the hour', 'cron(0,58 * * * ? *)', /2 minutes after another/],
  ])('refuses %s', (_case, expression, message) => {
    expect(scheduleFrequencyProblem(expression)).toMatch(message);
  });

  it('names the schedule of each job that runs too often', () => {
    const spec = environmentRequestSchema.parse(
      withValue(
        baseRequest(),
        ['jobs'],
        [
          { name: 'hourly', service: 'api', trigger: { schedule: 'rate(1 hour)' } },
          { name: 'busy', service: 'api', trigger: { schedule: 'rate(1 minute)' } },
          { name: 'queued', service: 'api', trigger: { queue: {} } },
        ],
      ),
    );

    expect(scheduleFrequencyProblems(spec)).toEqual([
      {
        path: ['jobs', 1, 'trigger', 'schedule'],
        message: expect.stringContaining('at most every 5 minutes'),
      },
    ]);
  });
});

describe('schedule expressions', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
    'cron(0 3 * * ? *)',
    'cron(15 10 ? * MON-FRI *)',
    'cron(0/15 * * * ? *)',
    'cron(0 8 1,15 * ? 2030)',
    'cron(0 18 ? * 6L *)',
    'cron(0 9 ? JAN-MAR 2#1 *)',
    'cron(0 0 L * ? *)',
  ])('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ['a plural unit for 1', 'rate(1 minutes)', /rate\(1 minute\)/],
    ['a singular unit above 1', 'rate(5 minute)', /rate\(5 minutes\)/],
    ['a zero rate', 'rate(0 minutes)', /positive/],
    ['an unknown rate unit', 'rate(2 weeks)', /minute\(s\), hour\(s\) or day\(s\)/],
    ['five cron fields', 'cron(0 3 * * ?)', /6 fields/],
    ['a Unix cron without the wrapper', '0 3 * * *', /must be cron/],
    ['both day fields set', 'cron(0 3 * * MON *)', /exactly one of day-of-month and day-of-week/],
    ['both day fields ?', 'cron(0 3 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['minute 60', 'cron(60 3 * * ? *)', /minutes/],
    ['hour 24', 'cron(0 24 * * ? *)', /hours/],
    ['month 13', 'cron(0 3 * 13 ? *)', /month/],
    ['a year before 1970', 'cron(0 3 * * ? 1969)', /year/],
  ])('rejects %s', (_case, expression, message) => {
    expect(scheduleExpressionProblem(expression)).toMatch(message);
  });

  it('reports a bad schedule at the job trigger path', () => {
    const request = withValue(
      baseRequest(),
      ['jobs'],
      [{ name: 'sync', service: 'api', trigger: { schedule: 'rate(1 minutes)' } }],
    );

    expect(issuesOf(request)).toEqual([
      { path: '/jobs/0/trigger/schedule', message: expect.stringContaining('rate(1 minute)') },
    ]);
  });

  it('reports an unknown time zone at its path', () => {
    const request = withValue(
      baseRequest(),
      ['jobs'],
      [{ name: 'sync', service: 'api', trigger: { schedule: 'rate(1 hour)', timezone: 'Mars/Olympus' } }],
    );

    expect(issuesOf(request).map((issue) => issue.path)).toEqual(['/jobs/0/trigger/timezone']);
  });

  it('accepts a queue trigger with SQS settings', () => {
    const request = withValue(
      baseRequest(),
      ['jobs'],
      [
        {
          name: 'work',
          image: 'app:1',
          trigger: { queue: { visibilityTimeoutSeconds: 60, maxReceiveCount: 3 } },
        },
      ],
    );

    expect(issuesOf(request)).toEqual([]);
  });
});

describe('cross-field rules', () => {
  it('refuses placement on Fargate', () => {
    const request = withValue(baseRequest(), ['services', 0, 'placement'], { preset: 'binpack' });

    expect(issuesOf(request)).toEqual([
      { path: '/services/0/placement', message: expect.stringContaining('EC2') },
    ]);
  });

  it('requires cluster.ec2 when capacity is EC2', () => {
    const request = withValue(baseRequest(), ['cluster'], { capacity: 'EC2' });

    expect(issuesOf(request)).toEqual([
      { path: '/cluster/ec2', message: 'cluster.ec2 is required when capacity is EC2' },
    ]);
  });

  it('refuses cluster.ec2 when capacity is not EC2', () => {
    const request = withValue(ec2Request(), ['cluster', 'capacity'], 'FARGATE_SPOT');

    expect(issuesOf(request)).toEqual([
      { path: '/cluster/ec2', message: expect.stringContaining('only allowed when capacity is EC2') },
    ]);
  });

  it('refuses minSize above maxSize', () => {
    const request = withValue(ec2Request(), ['cluster', 'ec2', 'minSize'], 4);

    expect(issuesOf(request).map((issue) => issue.path)).toEqual(['/cluster/ec2/minSize']);
  });

  it('refuses desiredCapacity below minSize', () => {
    const request = withValue(ec2Request(), ['cluster', 'ec2', 'desiredCapacity'], 0);

    expect(issuesOf(request).map((issue) => issue.path)).toEqual(['/cluster/ec2/desiredCapacity']);
  });

  it('refuses desiredCapacity above maxSize', () => {
    const request = withValue(ec2Request(), ['cluster', 'ec2', 'desiredCapacity'], 4);

    expect(issuesOf(request)).toEqual([
      {
        path: '/cluster/ec2/desiredCapacity',
        message: 'desiredCapacity must be between minSize (1) and maxSize (3)',
      },
    ]);
  });

  const fargatePairs = Object.entries(FARGATE_MEMORY_BY_CPU).flatMap(([cpu, memories]) =>
    memories.map((memory) => [Number(cpu), memory] as const),
  );

  it('accepts every Fargate cpu/memory pair in the ECS table', () => {
    const rejected = fargatePairs.filter(([cpu, memory]) => {
      const request = withValue(
        withValue(baseRequest(), ['services', 0, 'cpu'], cpu),
        ['services', 0, 'memory'],
        memory,
      );
      return issuesOf(request).length > 0;
    });

    expect(rejected).toEqual([]);
  });

  it.each([
    [256, 4096],
    [512, 512],
    [1024, 9216],
    [4096, 31744],
    [8192, 18432],
    [16384, 36864],
  ])('refuses Fargate cpu %i with memory %i at services[0].memory', (cpu, memory) => {
    const request = withValue(
      withValue(baseRequest(), ['services', 0, 'cpu'], cpu),
      ['services', 0, 'memory'],
      memory,
    );

    expect(issuesOf(request)).toEqual([
      { path: '/services/0/memory', message: expect.stringContaining(`cpu ${cpu} on Fargate`) },
    ]);
  });

  it('refuses a cpu that is not a Fargate size at services[0].cpu', () => {
    const request = withValue(baseRequest(), ['services', 0, 'cpu'], 384);

    expect(issuesOf(request)).toEqual([
      { path: '/services/0/cpu', message: expect.stringContaining('not a Fargate task size') },
    ]);
  });

  it('checks Fargate sizes on FARGATE_SPOT too', () => {
    const request = withValue(
      withValue(baseRequest(), ['cluster'], { capacity: 'FARGATE_SPOT' }),
      ['services', 0, 'memory'],
      3072,
    );

    expect(issuesOf(request).map((issue) => issue.path)).toEqual(['/services/0/memory']);
  });

  it('accepts sizes off the Fargate table on EC2', () => {
    const request = withValue(
      withValue(ec2Request(), ['services', 0, 'cpu'], 384),
      ['services', 0, 'memory'],
      700,
    );

    expect(issuesOf(request)).toEqual([]);
  });

  it('refuses a duplicate service name at the second service', () => {
    const services = [
      { name: 'api', image: 'a:1', routing: { pathPatterns: ['/a/*'] } },
      { name: 'api', image: 'b:1', routing: { pathPatterns: ['/b/*'] } },
    ];

    expect(issuesOf({ ...baseRequest(), services })).toEqual([
      { path: '/services/1/name', message: 'service name "api" is already used by services[0]' },
    ]);
  });

  it('refuses a duplicate job name at the second job', () => {
    const jobs = [
      { name: 'sync', service: 'api', trigger: { schedule: 'rate(1 hour)' } },
      { name: 'sync', service: 'api', trigger: { schedule: 'rate(2 hours)' } },
    ];

    expect(issuesOf({ ...baseRequest(), jobs })).toEqual([
      { path: '/jobs/1/name', message: 'job name "sync" is already used by jobs[0]' },
    ]);
  });

  it('refuses a job named like a service', () => {
    const jobs = [{ name: 'api', service: 'api', trigger: { schedule: 'rate(1 hour)' } }];

    expect(issuesOf({ ...baseRequest(), jobs }).map((issue) => issue.path)).toEqual(['/jobs/0/name']);
  });

  it('refuses two services with the same hosts and a shared path pattern', () => {
    const services = [
      {
        name: 'api',
        image: 'a:1',
        routing: { hostHeaders: ['a.example.com', 'b.example.com'], pathPatterns: ['/v1/*'] },
      },
      {
        name: 'web',
        image: 'b:1',
        routing: { hostHeaders: ['B.example.com', 'a.example.com'], pathPatterns: ['/x', '/v1/*'] },
      },
    ];

    expect(issuesOf({ ...baseRequest(), services })).toEqual([
      {
        path: '/services/1/routing/pathPatterns/1',
        message: expect.stringContaining('services[0] already routes'),
      },
    ]);
  });

  it('refuses two services both on the default route', () => {
    const services = [
      { name: 'api', image: 'a:1' },
      { name: 'web', image: 'b:1' },
    ];

    expect(issuesOf({ ...baseRequest(), services }).map((issue) => issue.path)).toEqual([
      '/services/1/routing/pathPatterns/0',
    ]);
  });

  it('accepts the same path pattern on different hosts', () => {
    const services = [
      { name: 'api', image: 'a:1', routing: { hostHeaders: ['api.example.com'] } },
      { name: 'web', image: 'b:1', routing: { hostHeaders: ['www.example.com'] } },
    ];

    expect(issuesOf({ ...baseRequest(), services })).toEqual([]);
  });

  it('refuses a routing priority used twice', () => {
    const services = [
      { name: 'api', image: 'a:1', routing: { pathPatterns: ['/a/*'], priority: 5 } },
      { name: 'web', image: 'b:1', routing: { pathPatterns: ['/b/*'], priority: 5 } },
    ];

    expect(issuesOf({ ...baseRequest(), services })).toEqual([
      { path: '/services/1/routing/priority', message: 'priority 5 is already used by services[0]' },
    ]);
  });

  it('refuses more than five routing values in one rule', () => {
    const routing = {
      pathPatterns: ['/a', '/b', '/c'],
      hostHeaders: ['a.example.com', 'b.example.com', 'c.example.com'],
    };

    expect(
      issuesOf(withValue(baseRequest(), ['services', 0, 'routing'], routing)).map((issue) => issue.path),
    ).toEqual(['/services/0/routing']);
  });

  it('refuses a health-check timeout not shorter than the interval', () => {
    const request = withValue(baseRequest(), ['services', 0, 'healthCheck'], {
      intervalSeconds: 10,
      timeoutSeconds: 10,
    });

    expect(issuesOf(request)).toEqual([
      {
        path: '/services/0/healthCheck/timeoutSeconds',
        message: 'timeoutSeconds must be less than intervalSeconds',
      },
    ]);
  });

  it('refuses the custom preset without strategies or constraints', () => {
    const request = withValue(ec2Request(), ['services', 0, 'placement'], {
      preset: 'custom',
      strategies: [],
    });

    expect(issuesOf(request)).toEqual([
      { path: '/services/0/placement', message: 'the custom preset needs strategies or constraints' },
    ]);
  });

  it('refuses strategies on a named preset', () => {
    const placement = { preset: 'binpack', strategies: [{ type: 'random' }] };

    expect(
      issuesOf(withValue(ec2Request(), ['services', 0, 'placement'], placement)).map((issue) => issue.path),
    ).toEqual(['/services/0/placement/strategies']);
  });

  it('refuses constraints on a named preset', () => {
    const placement = { preset: 'az-balanced-spread', constraints: [{ type: 'distinctInstance' }] };

    expect(
      issuesOf(withValue(ec2Request(), ['services', 0, 'placement'], placement)).map((issue) => issue.path),
    ).toEqual(['/services/0/placement/constraints']);
  });

  it.each([
    [{ type: 'random', field: 'cpu' }],
    [{ type: 'binpack', field: 'instanceId' }],
    [{ type: 'spread' }],
  ])('refuses the strategy %j at its field', (strategy) => {
    const placement = { preset: 'custom', strategies: [strategy] };

    expect(
      issuesOf(withValue(ec2Request(), ['services', 0, 'placement'], placement)).map((issue) => issue.path),
    ).toEqual(['/services/0/placement/strategies/0/field']);
  });

  it('refuses a memberOf constraint without an expression', () => {
    const placement = { preset: 'custom', constraints: [{ type: 'memberOf' }] };

    expect(
      issuesOf(withValue(ec2Request(), ['services', 0, 'placement'], placement)).map((issue) => issue.path),
    ).toEqual(['/services/0/placement/constraints/0/expression']);
  });

  it('refuses a distinctInstance constraint with an expression', () => {
    const placement = { preset: 'custom', constraints: [{ type: 'distinctInstance', expression: 'x' }] };

    expect(
      issuesOf(withValue(ec2Request(), ['services', 0, 'placement'], placement)).map((issue) => issue.path),
    ).toEqual(['/services/0/placement/constraints/0/expression']);
  });

  it('refuses a job with both service and image', () => {
    const jobs = [{ name: 'sync', service: 'api', image: 'app:1', trigger: { schedule: 'rate(1 hour)' } }];

    expect(issuesOf({ ...baseRequest(), jobs }).map((issue) => issue.path)).toEqual(['/jobs/0/image']);
  });

  it('refuses a job with neither service nor image', () => {
    const jobs = [{ name: 'sync', trigger: { schedule: 'rate(1 hour)' } }];

    expect(issuesOf({ ...baseRequest(), jobs })).toEqual([
      { path: '/jobs/0', message: 'a job needs either service (reuse its task definition) or image' },
    ]);
  });

  it('refuses a job naming a service the environment does not have', () => {
    const jobs = [{ name: 'sync', service: 'worker', trigger: { schedule: 'rate(1 hour)' } }];

    expect(issuesOf({ ...baseRequest(), jobs })).toEqual([
      { path: '/jobs/0/service', message: 'no service named "worker" in this environment' },
    ]);
  });

  it("refuses a job memory that does not fit its service's cpu on Fargate", () => {
    const jobs = [{ name: 'sync', service: 'api', memory: 4096, trigger: { schedule: 'rate(1 hour)' } }];

    expect(issuesOf({ ...baseRequest(), jobs }).map((issue) => issue.path)).toEqual(['/jobs/0/memory']);
  });

  it('keeps derived load balancer and target group names within 32 characters at the longest names', () => {
    // Prepare
    const name = `e${'x'.repeat(ENVIRONMENT_NAME_MAX - 1)}`;
    const service = `s${'y'.repeat(SERVICE_NAME_MAX - 1)}`;
    const env = { id: PLACEHOLDER_ENVIRONMENT_ID, name, team: 'payments' };

    // Act
    const issues = issuesOf({ ...baseRequest(), name, services: [{ name: service, image: 'app:1' }] });

    // Assess
    expect(issues).toEqual([]);
    expect(names.loadBalancer(env).length).toBeLessThanOrEqual(ELB_NAME_MAX);
    expect(names.targetGroup(env, service).length).toBeLessThanOrEqual(ELB_NAME_MAX);
  });

  it('reports cross-field problems alongside field problems of the right type', () => {
    const request = withValue(withValue(baseRequest(), ['cluster'], { capacity: 'EC2' }), ['name'], 'Bad');

    expect(issuesOf(request).map((issue) => issue.path)).toEqual(['/name', '/cluster/ec2']);
  });

  it('skips cross-field rules while a field has the wrong type', () => {
    const request = withValue(
      withValue(baseRequest(), ['cluster'], { capacity: 'EC2' }),
      ['services', 0, 'port'],
      '80',
    );

    expect(issuesOf(request).map((issue) => issue.path)).toEqual(['/services/0/port']);
  });
});

describe('resolvePlacement', () => {
  it('spreads across AZs then instances for az-balanced-spread', () => {
    expect(resolvePlacement({ placement: { preset: 'az-balanced-spread' } })).toEqual({
      placementStrategy: [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'spread', field: 'instanceId' },
      ],
      placementConstraints: [],
    });
  });

  it('spreads across AZs then packs memory for az-balanced-binpack', () => {
    expect(resolvePlacement({ placement: { preset: 'az-balanced-binpack' } })).toEqual({
      placementStrategy: [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'binpack', field: 'memory' },
      ],
      placementConstraints: [],
    });
  });

  it('packs memory for binpack', () => {
    expect(resolvePlacement({ placement: { preset: 'binpack' } })).toEqual({
      placementStrategy: [{ type: 'binpack', field: 'memory' }],
      placementConstraints: [],
    });
  });

  it('puts one task per instance for one-task-per-host', () => {
    expect(resolvePlacement({ placement: { preset: 'one-task-per-host' } })).toEqual({
      placementStrategy: [],
      placementConstraints: [{ type: 'distinctInstance' }],
    });
  });

  it('passes custom strategies and constraints through', () => {
    const placement = {
      preset: 'custom' as const,
      strategies: [{ type: 'random' as const }],
      constraints: [{ type: 'memberOf' as const, expression: 'attribute:ecs.instance-type =~ t3.*' }],
    };

    expect(resolvePlacement({ placement })).toEqual({
      placementStrategy: placement.strategies,
      placementConstraints: placement.constraints,
    });
  });

  it('places nothing without placement', () => {
    expect(resolvePlacement({})).toEqual({ placementStrategy: [], placementConstraints: [] });
  });

  it('returns copies that cannot change the presets', () => {
    // Prepare
    const first = resolvePlacement({ placement: { preset: 'binpack' } });

    // Act
    first.placementStrategy.push({ type: 'random' });

    // Assess
    expect(resolvePlacement({ placement: { preset: 'binpack' } }).placementStrategy).toHaveLength(1);
  });
});

describe('formatIssues', () => {
  it('escapes ~ and / in JSON Pointers', () => {
    expect(toJsonPointer(['tags', 'a~b/c', 0])).toBe('/tags/a~0b~1c/0');
  });

  it('points at the whole body with the empty pointer', () => {
    const result = environmentRequestSchema.safeParse('not an object');

    expect(result.success ? [] : formatIssues(result.error).map((issue) => issue.path)).toEqual(['']);
  });

  it('lists one entry per unknown field', () => {
    const issues = issuesOf({ ...baseRequest(), a: 1, b: 2 });

    expect(issues.map((issue) => issue.path)).toEqual(['/a', '/b']);
  });
});

describe('properties', () => {
  const dnsLabel = (max: number) =>
    fc.stringMatching(new RegExp(`^[a-z](?:[a-z0-9-]{0,${max - 2}}[a-z0-9])?$`));
  const fargateSize = fc.constantFrom(
    ...Object.entries(FARGATE_MEMORY_BY_CPU).flatMap(([cpu, memories]) =>
      memories.map((memory) => ({ cpu: Number(cpu), memory })),
    ),
  );
  const healthCheck = fc
    .record(
      {
        intervalSeconds: fc.integer({ min: 6, max: 300 }),
        path: fc.constantFrom('/', '/healthz', '/status/ready'),
      },
      { requiredKeys: [] },
    )
    .chain((partial) =>
      fc.record({
        ...Object.fromEntries(Object.entries(partial).map(([key, value]) => [key, fc.constant(value)])),
        timeoutSeconds: fc.integer({ min: 2, max: Math.min(120, (partial.intervalSeconds ?? 12) - 1) }),
      }),
    );
  const service = (name: string) =>
    fc.record(
      {
        name: fc.constant(name),
        image: fc.constantFrom('nginx:1.27', 'public.ecr.aws/a/b:1', `app@sha256:${'c'.repeat(64)}`),
        size: fargateSize,
        port: fc.integer({ min: 1, max: 65535 }),
        desiredCount: fc.integer({ min: 0, max: 100 }),
        environment: fc.dictionary(
          fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/),
          fc.string({ maxLength: 20 }),
          { maxKeys: 3 },
        ),
        healthCheck,
        logging: fc.record({ retentionDays: fc.constantFrom(1, 30, 365, 3653) }),
      },
      { requiredKeys: ['name', 'image', 'size'] },
    );
  const request = fc
    .record({
      name: dnsLabel(ENVIRONMENT_NAME_MAX),
      team: fc.stringMatching(/^[a-z0-9-]{1,32}$/),
      serviceNames: fc.uniqueArray(dnsLabel(SERVICE_NAME_MAX), { minLength: 1, maxLength: 4 }),
      natGateways: fc.option(fc.constantFrom('none', 'single', 'per-az'), { nil: undefined }),
      cidr: fc.option(
        fc.integer({ min: 0, max: 255 }).map((octet) => `10.${octet}.0.0/16`),
        { nil: undefined },
      ),
      capacity: fc.option(fc.constantFrom('FARGATE', 'FARGATE_SPOT'), { nil: undefined }),
      tags: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 30 }), {
        maxKeys: 5,
      }),
    })
    .chain(({ serviceNames, natGateways, cidr, capacity, ...rest }) =>
      fc.tuple(...serviceNames.map(service)).map((services) => ({
        ...rest,
        network: { ...(natGateways && { natGateways }), ...(cidr && { cidr }) },
        ...(capacity && { cluster: { capacity } }),
        // A distinct path per service keeps the ALB routes apart.
        services: services.map(({ size, ...fields }) => ({
          ...fields,
          ...size,
          routing: { pathPatterns: [`/${fields.name}/*`] },
        })),
      })),
    );

  it('parses every generated valid request', () => {
    fc.assert(
      fc.property(request, (input) => {
        expect(issuesOf(input)).toEqual([]);
      }),
    );
  });

  it('gives the same spec when a parsed spec is parsed again', () => {
    fc.assert(
      fc.property(request, (input) => {
        const once = parsed(input);

        expect(parsed(once)).toEqual(once);
      }),
    );
  });

  it('gives the same spec when examples/full.json is parsed again', () => {
    const once = parsed(full);

    expect(parsed(once)).toEqual(once);
  });
});

describe('services[].iam (the task role berth creates)', () => {
  const SQS = 'arn:aws:sqs:eu-west-1:123456789012:payments-orders';
  const withIam = (iam: unknown, extra: Record<string, unknown> = {}) => ({
    ...baseRequest(),
    services: [{ name: 'api', image: 'nginx:1.27', iam, ...extra }],
  });
  const statement = (actions: unknown, resources: unknown) => ({ statements: [{ actions, resources }] });

  it('accepts actions with wildcards and resource ARNs with them, S3 ARNs without Region and account', () => {
    const request = withIam({
      statements: [
        {
          actions: ['sqs:SendMessage', 's3:Get*', 'dynamodb:?etItem'],
          resources: [SQS, 'arn:aws:s3:::payments-x/*'],
        },
        { actions: ['sns:Publish'], resources: ['arn:aws:sns:*:123456789012:payments-*'] },
      ],
    });

    expect(issuesOf(request)).toEqual([]);
    expect(parsed(request).services[0]?.iam?.statements).toHaveLength(2);
  });

  it.each([
    ['a bare *', ['*'], [SQS], '/services/0/iam/statements/0/actions/0'],
    ['an action without its service', ['SendMessage'], [SQS], '/services/0/iam/statements/0/actions/0'],
    ['a wildcard service', ['*:SendMessage'], [SQS], '/services/0/iam/statements/0/actions/0'],
    ['a * resource', ['sqs:SendMessage'], ['*'], '/services/0/iam/statements/0/resources/0'],
    [
      'a resource that is no ARN',
      ['sqs:SendMessage'],
      ['payments-orders'],
      '/services/0/iam/statements/0/resources/0',
    ],
    [
      'a wildcard service in an ARN',
      ['sqs:SendMessage'],
      ['arn:aws:*:*:*:payments-x'],
      '/services/0/iam/statements/0/resources/0',
    ],
    ['no actions', [], [SQS], '/services/0/iam/statements/0/actions'],
    ['no resources', ['sqs:SendMessage'], [], '/services/0/iam/statements/0/resources'],
  ])('refuses %s, naming its pointer', (_what, actions, resources, pointer) => {
    expect(issuesOf(withIam(statement(actions, resources))).map((issue) => issue.path)).toEqual([pointer]);
  });

  it('refuses more statements, actions or resources than the maxima', () => {
    const many = (count: number, make: (i: number) => string) =>
      Array.from({ length: count }, (_, i) => make(i));
    const tooManyStatements = {
      statements: many(21, () => '').map(() => ({ actions: ['sqs:SendMessage'], resources: [SQS] })),
    };

    expect(issuesOf(withIam(tooManyStatements)).map((issue) => issue.path)).toEqual([
      '/services/0/iam/statements',
    ]);
    expect(
      issuesOf(
        withIam(
          statement(
            many(51, (i) => `sqs:Action${i}`),
            [SQS],
          ),
        ),
      ).map((issue) => issue.path),
    ).toEqual(['/services/0/iam/statements/0/actions']);
    expect(
      issuesOf(
        withIam(
          statement(
            ['sqs:SendMessage'],
            many(51, (i) => `${SQS}-${i}`),
          ),
        ),
      ).map((issue) => issue.path),
    ).toEqual(['/services/0/iam/statements/0/resources']);
  });

  it('refuses iam together with taskRoleArn, at /services/<i>/iam', () => {
    const request = withIam(statement(['sqs:SendMessage'], [SQS]), {
      taskRoleArn: 'arn:aws:iam::123456789012:role/berth-task-api',
    });

    expect(issuesOf(request)).toEqual([
      { path: '/services/0/iam', message: expect.stringContaining('not both') },
    ]);
  });

  it("names the service's role berth-<environment id>-task-<service>, never an execution or instance role's name, within IAM's 64", () => {
    const env = { id: PLACEHOLDER_ENVIRONMENT_ID, name: 'shop', team: 'payments' };
    const longest = 'a'.repeat(SERVICE_NAME_MAX);

    expect(names.taskRole(env, 'execution')).toBe(`berth-${PLACEHOLDER_ENVIRONMENT_ID}-task-execution`);
    expect(names.taskRole(env, 'execution')).not.toBe(names.executionRole(env));
    expect(names.taskRole(env, 'instance')).not.toBe(names.instanceRole(env));
    expect(names.taskRole(env, longest).length).toBeLessThanOrEqual(64);
  });

  it("refuses, naming the service's name, a task role name over IAM's 64 characters, only for a service with iam", () => {
    const env = { id: PLACEHOLDER_ENVIRONMENT_ID, name: 'shop', team: 'payments' };
    const long = 'a'.repeat(23);
    const taskRoleProblem = (services: { name: string; iam?: unknown }[]) =>
      derivedNameProblems(env, services, []).filter((problem) =>
        problem.message.includes('the task role name'),
      );

    expect(names.taskRole(env, long).length).toBe(65);
    expect(taskRoleProblem([{ name: long, iam: { statements: [] } }])).toEqual([
      { path: ['services', 0, 'name'], message: expect.stringContaining('would exceed 64 characters') },
    ]);
    expect(taskRoleProblem([{ name: long }])).toEqual([]);
  });
});
