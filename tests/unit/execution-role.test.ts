/**
 * The task execution role berth creates per environment (shared/domain/execution-role.ts, naming.ts):
 * a name IAM accepts for every environment id, and a policy naming exactly the spec's secrets, the
 * environment's log groups and the ECR repositories of its images.
 */
import {
  ECS_TASKS_TRUST,
  ecrRepositoryArn,
  executionRolePolicy,
  type PolicyScope,
  secretResource,
} from '../../shared/domain/execution-role';
import {
  ENVIRONMENT_ID_PATTERN,
  environmentRoleNames,
  IAM_ROLE_NAME,
  IAM_ROLE_NAME_MAX,
  names,
} from '../../shared/domain/naming';
import { PLACEHOLDER_ENVIRONMENT_ID } from '../../shared/domain/spec';
import { shopSpec } from '../support/specs';

const SCOPE: PolicyScope = { partition: 'aws', account: '123456789012', region: 'eu-west-1' };
const ENV = { id: 'env-01jd0000000000000000a1b2c3', name: 'shop', team: 'payments' };

const AUTHORIZATION_TOKEN = { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' };
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];
/** The two ECR statements of a spec whose ECR images are in `repositories`. */
const ecrStatements = (...repositories: string[]) => [
  AUTHORIZATION_TOKEN,
  { Effect: 'Allow', Action: PULL_ACTIONS, Resource: repositories },
];
const LOG_STATEMENT = {
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: 'arn:aws:logs:eu-west-1:123456789012:log-group:/berth/payments/shop/*',
};

describe('the execution role name', () => {
  it('fits IAM for every environment id berth allows (they all have the length of the placeholder)', () => {
    // Prepare
    const longest = { id: PLACEHOLDER_ENVIRONMENT_ID };

    // Act
    const name = names.executionRole(longest);

    // Assess
    expect(ENVIRONMENT_ID_PATTERN.test(PLACEHOLDER_ENVIRONMENT_ID.replace(/0/g, 'a'))).toBe(true);
    expect(name).toMatch(IAM_ROLE_NAME);
    expect(name.length).toBeLessThanOrEqual(IAM_ROLE_NAME_MAX);
    expect(name).toBe(`berth-${PLACEHOLDER_ENVIRONMENT_ID}-execution`);
  });

  it('is what teardown looks for', () => {
    // Act / Assess
    expect(environmentRoleNames(ENV)).toEqual([
      'berth-env-01jd0000000000000000a1b2c3-execution',
      'berth-env-01jd0000000000000000a1b2c3-instance',
    ]);
  });

  it('cannot be mistaken for a task role of the default pattern (berth-task-*)', () => {
    // Act / Assess
    expect(names.executionRole(ENV).startsWith('berth-task-')).toBe(false);
  });
});

describe('the execution role policy', () => {
  it('names exactly the secrets of every service, by kind, sorted and once each', () => {
    // Prepare
    const services = [
      {
        secrets: {
          DB_PASSWORD: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/db-AbCdEf',
          API_KEY: 'arn:aws:ssm:eu-west-1:123456789012:parameter/payments/api-key',
        },
      },
      {
        secrets: {
          DB_PASSWORD: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/db-AbCdEf',
          DB_USER: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/db-AbCdEf:username::',
          TOKEN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/token',
        },
      },
    ];

    // Act
    const policy = executionRolePolicy(SCOPE, ENV, shopSpec(services));

    // Assess
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: [
            'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/db-AbCdEf',
            'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/token-??????',
          ],
        },
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameters',
          Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/payments/api-key'],
        },
        LOG_STATEMENT,
      ],
    });
  });

  it('has no secret statement when no service has secrets', () => {
    // Act
    const policy = executionRolePolicy(SCOPE, ENV, shopSpec([{}, {}]));

    // Assess
    expect(policy.Statement).toEqual([LOG_STATEMENT]);
  });

  it('has only the statement of the kind of secret the spec uses', () => {
    // Prepare
    const services = [{ secrets: { KEY: 'arn:aws:ssm:eu-west-1:123456789012:parameter/k' } }];

    // Act
    const policy = executionRolePolicy(SCOPE, ENV, shopSpec(services));

    // Assess
    expect(policy.Statement.map((statement) => statement.Action)).toEqual([
      'ssm:GetParameters',
      LOG_STATEMENT.Action,
    ]);
  });

  it("scopes the log statement to this environment's groups in the role's partition and Region", () => {
    // Prepare
    const govCloud: PolicyScope = {
      partition: 'aws-us-gov',
      account: '123456789012',
      region: 'us-gov-west-1',
    };

    // Act
    const policy = executionRolePolicy(govCloud, { ...ENV, name: 'shop-2' }, shopSpec([{}]));

    // Assess
    expect(policy.Statement).toContainEqual({
      ...LOG_STATEMENT,
      Resource: 'arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/berth/payments/shop-2/*',
    });
  });
});

describe('the ECR pulls of the execution role policy', () => {
  const WEB = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/web';
  const WEB_REPOSITORY = 'arn:aws:ecr:eu-west-1:123456789012:repository/payments/web';

  it("names an ECR image's repository only, after the registry auth that requires '*'", () => {
    // Act
    const policy = executionRolePolicy(SCOPE, ENV, shopSpec([{ image: `${WEB}:1.4.2` }]));

    // Assess
    expect(policy.Statement).toEqual([LOG_STATEMENT, ...ecrStatements(WEB_REPOSITORY)]);
  });

  it('names a repository once when two services pull from it, with a tag and a digest', () => {
    // Prepare
    const digest = `sha256:${'a'.repeat(64)}`;
    const services = [
      { image: `${WEB}:1.4.2` },
      { image: `${WEB}@${digest}` },
      { image: `${WEB}:2@${digest}` },
    ];

    // Act
    const policy = executionRolePolicy(SCOPE, ENV, shopSpec(services));

    // Assess
    expect(policy.Statement).toEqual([LOG_STATEMENT, ...ecrStatements(WEB_REPOSITORY)]);
  });

  it('has no ECR statement when every image is public', () => {
    // Prepare
    const services = [
      { image: 'nginx:1.27' },
      { image: 'public.ecr.aws/nginx/nginx:latest' },
      { image: 'ghcr.io/payments/web:1' },
      { image: 'docker.io/library/redis:7' },
    ];

    // Act
    const policy = executionRolePolicy(SCOPE, ENV, shopSpec(services));

    // Assess
    expect(policy.Statement).toEqual([LOG_STATEMENT]);
  });

  it("names the repositories of services and of jobs with their own image, sorted, in each image's account and Region", () => {
    // Prepare
    const spec = {
      ...shopSpec([{ image: `${WEB}:1` }, { image: 'nginx:1.27' }]),
      jobs: [
        { image: '210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/tools/report:7' },
        { image: undefined },
        { image: 'alpine:3' },
      ],
    };

    // Act
    const policy = executionRolePolicy(SCOPE, ENV, spec);

    // Assess
    expect(policy.Statement).toEqual([
      LOG_STATEMENT,
      ...ecrStatements(
        'arn:aws:ecr:eu-west-1:123456789012:repository/payments/web',
        'arn:aws:ecr:us-east-1:210987654321:repository/shared/tools/report',
      ),
    ]);
  });
});

describe('the ECR repository of an image', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/web', 'arn:aws:ecr:eu-west-1:123456789012:repository/web'],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app/web:v1.2_rc-3',
      'arn:aws:ecr:eu-west-1:123456789012:repository/team/app/web',
    ],
    [
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web@sha256:${'0f'.repeat(32)}`,
      'arn:aws:ecr:eu-west-1:123456789012:repository/team/web',
    ],
    [
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/web:1',
      'arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/web',
    ],
    [
      '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/team/web:1',
      'arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team/web',
    ],
  ])('of %s is %s', (image, arn) => {
    // Act / Assess
    expect(ecrRepositoryArn(image)).toBe(arn);
  });

  it.each([
    'nginx:1.27',
    'public.ecr.aws/nginx/nginx:latest',
    'ghcr.io/payments/web:1',
    'registry.example.com/123456789012.dkr.ecr.eu-west-1.amazonaws.com/web',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/web',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/Web',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web*',
  ])('of %s is none (not a private ECR image)', (image) => {
    // Act / Assess
    expect(ecrRepositoryArn(image)).toBeUndefined();
  });
});

describe('the IAM resource of a secret', () => {
  it.each([
    [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password:AWSCURRENT:',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-??????',
    ],
    ['arn:aws:ssm:eu-west-1:123456789012:parameter/a/b', 'arn:aws:ssm:eu-west-1:123456789012:parameter/a/b'],
  ])('of %s is %s', (valueFrom, resource) => {
    // Act / Assess
    expect(secretResource(valueFrom).resource).toBe(resource);
  });
});

describe('the execution role trust', () => {
  it('lets ECS tasks assume the role, and nobody else', () => {
    // Act / Assess
    expect(ECS_TASKS_TRUST).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
  });
});
