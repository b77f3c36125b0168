/**
 * Every AWS name berth derives from a spec is checked against AWS's rules at request time, reported at
 * the spec field it comes from; and each EC2 instance type gets the ECS-optimised AMI of its
 * architecture.
 */

import { ecsOptimizedAmiParameter, instanceArchitecture } from '../../shared/domain/instance-architecture';
import {
  AWS_NAME_RULES,
  awsNameProblem,
  derivedNameProblems,
  ENVIRONMENT_NAME_MAX,
  IAM_ROLE_NAME_MAX,
  names,
  SERVICE_NAME_MAX,
} from '../../shared/domain/naming';
import {
  type EnvironmentRequest,
  environmentRequestSchema,
  formatIssues,
  PLACEHOLDER_ENVIRONMENT_ID,
} from '../../shared/domain/spec';

function request(name: string): EnvironmentRequest {
  return { name, team: 'payments', services: [{ name: 'api', image: 'nginx:1.27' }] };
}

function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = environmentRequestSchema.safeParse(input);
  return result.success ? [] : formatIssues(result.error);
}

describe('derived AWS names', () => {
  it.each(['internal', 'internal-shop'])(
    'refuses the environment name %s at /name: its load balancer name would begin with "internal-"',
    (name) => {
      // Act
      const issues = issuesOf(request(name));

      // Assess
      expect(issues).toEqual([
        {
          path: '/name',
          message: expect.stringContaining('would begin with "internal-", which AWS reserves'),
        },
      ]);
    },
  );

  it('accepts names that only contain "internal" elsewhere', () => {
    // Act
    const issues = [...issuesOf(request('internals')), ...issuesOf(request('shop-internal'))];

    // Assess
    expect(issues).toEqual([]);
  });

  it('finds every derived name of the longest environment, service and job names within AWS limits', () => {
    // Prepare
    const env = {
      id: PLACEHOLDER_ENVIRONMENT_ID,
      name: `e${'x'.repeat(ENVIRONMENT_NAME_MAX - 1)}`,
      team: 't'.repeat(32),
    };
    const longest = `s${'y'.repeat(SERVICE_NAME_MAX - 1)}`;

    // Act
    const problems = derivedNameProblems(env, [{ name: longest }], [{ name: longest }]);

    // Assess
    expect(problems).toEqual([]);
    expect(names.executionRole(env).length).toBeLessThanOrEqual(IAM_ROLE_NAME_MAX);
  });

  it('reports each derived name at the spec field it comes from', () => {
    // Prepare: names the spec schema would refuse anyway, given straight to the check.
    const env = { id: PLACEHOLDER_ENVIRONMENT_ID, name: 'internal-a', team: 'payments' };
    const tooLong = 'x'.repeat(40);

    // Act
    const problems = derivedNameProblems(env, [{ name: 'ok' }, { name: tooLong }], [{ name: 'bad name' }]);

    // Assess
    expect(problems.map((problem) => problem.path)).toEqual([
      ['name'],
      ['services', 1, 'name'],
      ['jobs', 0, 'name'],
      ['jobs', 0, 'name'],
    ]);
    expect(problems[1]?.message).toContain('the target group name derived from it');
    expect(problems[1]?.message).toContain('would exceed 32 characters');
    expect(problems[2]?.message).toContain('the task definition family derived from it');
  });

  it.each([
    ['loadBalancer', '-shop', 'may hold only letters, digits and inner hyphens'],
    ['loadBalancer', 'internal-Shop', 'would begin with "internal-"'],
    ['targetGroup', 'a'.repeat(33), 'would exceed 32 characters'],
    ['taskFamily', 'shop.web', 'may hold only letters, digits, hyphens and underscores'],
    ['logGroup', '/berth/team/shop/web?', 'may hold only'],
    ['securityGroup', 'sg-shop', 'would begin with "sg-"'],
    ['executionRole', `berth-${'x'.repeat(60)}`, 'would exceed 64 characters'],
  ] as const)('refuses a %s of %s as AWS does', (rule, name, message) => {
    // Act
    const problem = awsNameProblem(name, AWS_NAME_RULES[rule]);

    // Assess
    expect(problem).toContain(message);
  });
});

describe('AMI architecture', () => {
  it.each([
    'm7g.large',
    'c7g.xlarge',
    't4g.medium',
    'r8g.2xlarge',
    'c7gn.large',
    'm6gd.large',
    'a1.large',
    'im4gn.large',
  ])('runs %s (Graviton) on the arm64 ECS-optimised AMI', (instanceType) => {
    // Act
    const parameter = ecsOptimizedAmiParameter(instanceType);

    // Assess
    expect(instanceArchitecture(instanceType)).toBe('arm64');
    expect(parameter).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
  });

  it.each([
    't3.medium',
    'm7i.large',
    'm7i-flex.large',
    'c7a.large',
    'g4dn.xlarge',
    'r5dn.large',
    'gr6.4xlarge',
  ])('runs %s (x86_64) on the x86_64 ECS-optimised AMI', (instanceType) => {
    // Act
    const parameter = ecsOptimizedAmiParameter(instanceType);

    // Assess
    expect(instanceArchitecture(instanceType)).toBe('x86_64');
    expect(parameter).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
  });
});
