/**
 * The template loader: intrinsics resolved the way CloudFormation resolves them (on small templates),
 * refusals that name the resource and path, and berth's real roles — the template `osls package`
 * writes, generated once here — judged by the evaluator.
 */
import { packageService } from '../../../tests/support/osls-package';
import { evaluate, type Request } from '../src/iam/policy';
import { type Role, rolesFromTemplate } from '../src/iam/template';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const ENVIRONMENT = { region: REGION, accountId: ACCOUNT };

/** A template with one role whose single statement's Resource is `resource`, plus `others`. */
function templateWithResource(resource: unknown, others: Record<string, unknown> = {}) {
  return {
    Resources: {
      ...others,
      TheRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyName: 'p',
              PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'x:Y', Resource: resource }] },
            },
          ],
        },
      },
    },
  };
}

function roleOf(template: unknown, name = 'TheRole'): Role {
  const role = rolesFromTemplate(template, ENVIRONMENT).get(name);
  if (role === undefined) throw new Error(`no role ${name}`);
  return role;
}

const OTHERS = {
  Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'berth-dev' } },
  Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'berth-dev' } },
  Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/berth-dev-health' } },
  Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'berth-dev-health' } },
  Named: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'berth-dev-jobs', Path: '/service/' } },
  Profile: { Type: 'AWS::IAM::InstanceProfile', Properties: { InstanceProfileName: 'berth-dev-ecs' } },
  Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
};

describe('resolving intrinsics', () => {
  it.each([
    [{ 'Fn::GetAtt': ['Table', 'Arn'] }, `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/berth-dev`],
    [{ 'Fn::GetAtt': ['Bus', 'Arn'] }, `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/berth-dev`],
    [
      { 'Fn::GetAtt': ['Logs', 'Arn'] },
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/berth-dev-health:*`,
    ],
    [{ 'Fn::GetAtt': ['Fn', 'Arn'] }, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:berth-dev-health`],
    [{ 'Fn::GetAtt': ['Named', 'Arn'] }, `arn:aws:iam::${ACCOUNT}:role/service/berth-dev-jobs`],
    [{ 'Fn::GetAtt': ['Profile', 'Arn'] }, `arn:aws:iam::${ACCOUNT}:instance-profile/berth-dev-ecs`],
    [{ 'Fn::GetAtt': 'Table.Arn' }, `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/berth-dev`],
    [{ Ref: 'Table' }, 'berth-dev'],
    [{ Ref: 'Named' }, 'berth-dev-jobs'],
    [{ Ref: 'Logs' }, '/aws/lambda/berth-dev-health'],
  ])('resolves %j to %s', (intrinsic, expected) => {
    // Prepare
    const template = templateWithResource(intrinsic, OTHERS);

    // Act
    const role = roleOf(template);

    // Assess
    expect(role.statements[0]?.Resource).toBe(expected);
  });

  it('resolves Fn::Sub pseudo parameters, X.Arn and X placeholders, variables and a ! literal', () => {
    // Prepare
    const template = templateWithResource(
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders, as a template writes them
        { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/*' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
        { 'Fn::Sub': '${Table.Arn}/index/gsi1' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
        { 'Fn::Sub': 'arn:aws:dynamodb:*:*:table/${Table}' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
        { 'Fn::Sub': ['${functionArn}:*', { functionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }] },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
        { 'Fn::Sub': 'arn:aws:s3:::${!Literal}' },
      ],
      OTHERS,
    );

    // Act
    const role = roleOf(template);

    // Assess
    expect(role.statements[0]?.Resource).toEqual([
      `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/*`,
      `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/berth-dev/index/gsi1`,
      'arn:aws:dynamodb:*:*:table/berth-dev',
      `arn:aws:lambda:${REGION}:${ACCOUNT}:function:berth-dev-health:*`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal Fn::Sub leaves behind
      'arn:aws:s3:::${Literal}',
    ]);
  });

  it('resolves Fn::Join and intrinsics inside Condition values', () => {
    // Prepare
    const template = {
      Resources: {
        TheRole: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyName: 'p',
                PolicyDocument: {
                  Statement: {
                    Effect: 'Allow',
                    Action: 'ecs:ListServices',
                    Resource: { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'ecs', '*', '*', '*']] },
                    Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
                  },
                },
              },
            ],
          },
        },
      },
    };

    // Act
    const role = roleOf(template);

    // Assess
    expect(role.statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'ecs:ListServices',
        Resource: 'arn:aws:ecs:*:*:*',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
  });

  it('resolves the AWS::StackName placeholder only when the stack name is given', () => {
    // Prepare
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder
    const template = templateWithResource({ 'Fn::Sub': 'arn:aws:sqs:*:*:${AWS::StackName}-*' });

    // Act
    const named = rolesFromTemplate(template, { ...ENVIRONMENT, stackName: 'berth-dev' }).get('TheRole');
    const unnamed = () => rolesFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(named?.statements[0]?.Resource).toBe('arn:aws:sqs:*:*:berth-dev-*');
    expect(unnamed).toThrow(/TheRole\.Properties\.Policies\[0\].*AWS::StackName/);
  });

  it('names a role without RoleName by its logical id and says the name is generated', () => {
    // Prepare
    const template = templateWithResource('*');

    // Act
    const role = roleOf(template);

    // Assess
    expect(role).toMatchObject({
      logicalId: 'TheRole',
      roleName: 'TheRole',
      nameGenerated: true,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/TheRole`,
    });
  });

  it('keys a named role by its name and by its logical id', () => {
    // Prepare
    const template = { Resources: { Named: OTHERS.Named } };

    // Act
    const roles = rolesFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(roles.get('berth-dev-jobs')).toBe(roles.get('Named'));
    expect(roles.get('Named')).toMatchObject({ roleName: 'berth-dev-jobs', nameGenerated: false });
  });
});

describe('refusing what it cannot resolve', () => {
  it.each([
    [
      { 'Fn::GetAtt': ['Bucket', 'Arn'] },
      /TheRole\.Properties\.Policies\[0\]\.PolicyDocument\.Statement\[0\]\.Resource.*Bucket.*AWS::S3::Bucket/,
    ],
    [{ 'Fn::GetAtt': ['Table', 'StreamArn'] }, /Statement\[0\]\.Resource.*Table\.StreamArn/],
    [{ 'Fn::GetAtt': ['Missing', 'Arn'] }, /Statement\[0\]\.Resource.*Missing.*not in the template/],
    [{ Ref: 'Missing' }, /Statement\[0\]\.Resource.*Missing/],
    [{ 'Fn::If': ['c', 'a', 'b'] }, /Statement\[0\]\.Resource\.Fn::If.*Fn::If is not resolved/],
    [{ 'Fn::ImportValue': 'x' }, /Fn::ImportValue is not resolved/],
  ])('refuses %j, naming the role and the path', (intrinsic, message) => {
    // Prepare
    const template = templateWithResource(intrinsic, OTHERS);

    // Act
    const load = () => rolesFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(load).toThrow(message);
  });

  it('refuses a table whose name CloudFormation would generate', () => {
    // Prepare
    const template = templateWithResource(
      { 'Fn::GetAtt': ['Anonymous', 'Arn'] },
      { Anonymous: { Type: 'AWS::DynamoDB::Table', Properties: {} } },
    );

    // Act
    const load = () => rolesFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(load).toThrow(/Anonymous has no TableName/);
  });

  it('refuses a managed policy it has no copy of', () => {
    // Prepare
    const template = {
      Resources: {
        TheRole: {
          Type: 'AWS::IAM::Role',
          Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] },
        },
      },
    };

    // Act
    const load = () => rolesFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(load).toThrow(/TheRole\.Properties\.ManagedPolicyArns\[0\].*AdministratorAccess/);
  });

  it('refuses a statement element an identity-based policy cannot hold', () => {
    // Prepare
    const template = templateWithResource('*');
    const statement = template.Resources.TheRole.Properties.Policies[0]?.PolicyDocument.Statement[0];
    if (statement !== undefined) Object.assign(statement, { Principal: '*' });

    // Act
    const load = () => rolesFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(load).toThrow(/Statement\[0\]: Principal is not supported/);
  });
});

describe("berth's packaged template", () => {
  let roles: Map<string, Role>;

  beforeAll(() => {
    // Prepare: package the service as tests/unit/template.test.ts does (offline, dummy credentials).
    const packaged = packageService({ stage: 'dev', account: ACCOUNT, label: 'iam-package' });
    packaged.remove();
    roles = rolesFromTemplate(packaged.template, ENVIRONMENT);
  }, 900_000);

  function decide(roleName: string, request: Request): string {
    const role = roles.get(roleName);
    if (role === undefined) throw new Error(`no role ${roleName}`);
    return evaluate(role.statements, request).decision;
  }

  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  const berthTag = 'berth:managed-by';

  it('loads every role of the template, the jobs role by its name, and no stage-wide instance role', () => {
    // Act
    const names = [...new Set(roles.values())].map((role) => role.roleName);

    // Assess
    expect(names.length).toBeGreaterThan(40);
    expect(names).toEqual(expect.arrayContaining(['CreateNetworkRole', 'berth-dev-jobs']));
    // Each EC2 environment's instances act as its own berth-<environment id>-instance role.
    expect(names.filter((name) => name.includes('instance'))).toEqual([]);
    expect(roles.get('berth-dev-jobs')?.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/berth-dev-jobs`);
  });

  it('lets CreateNetworkRole create a VPC carrying the berth tag', () => {
    // Act
    const decision = decide('CreateNetworkRole', {
      action: 'ec2:CreateVpc',
      resource: arn('ec2', 'vpc/*'),
      context: { [`aws:RequestTag/${berthTag}`]: 'berth' },
    });

    // Assess
    expect(decision).toBe('Allow');
  });

  it.each([
    ['without the berth tag', {}],
    ['with another value', { [`aws:RequestTag/${berthTag}`]: 'someone-else' }],
  ])('refuses CreateNetworkRole a VPC %s', (_label, context) => {
    // Act
    const decision = decide('CreateNetworkRole', {
      action: 'ec2:CreateVpc',
      resource: arn('ec2', 'vpc/*'),
      context,
    });

    // Assess
    expect(decision).toBe('ImplicitDeny');
  });

  it('lets TeardownPassRole list the clusters on *, and refuses it creating one', () => {
    // Act
    const list = decide('TeardownPassRole', { action: 'ecs:ListClusters', resource: '*', context: {} });
    const create = decide('TeardownPassRole', { action: 'ecs:CreateCluster', resource: '*', context: {} });

    // Assess
    expect([list, create]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('lets CreateRoutingRole delete a berth-tagged listener rule and not an untagged one', () => {
    // Prepare
    const rule = arn(
      'elasticloadbalancing',
      'listener-rule/app/berth-a/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
    );

    // Act
    const tagged = decide('CreateRoutingRole', {
      action: 'elasticloadbalancing:DeleteRule',
      resource: rule,
      context: { [`aws:ResourceTag/${berthTag}`]: 'berth' },
    });
    const untagged = decide('CreateRoutingRole', {
      action: 'elasticloadbalancing:DeleteRule',
      resource: rule,
      context: {},
    });

    // Assess
    expect([tagged, untagged]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it("lets PrepareServiceRole pass environments' execution roles and the task-role pattern only to ECS tasks", () => {
    // Prepare
    const executionRole = `arn:aws:iam::${ACCOUNT}:role/berth-env-0123456789abcdefghijklmnop-execution`;
    const pass = (context: Request['context'], resource = executionRole) =>
      decide('PrepareServiceRole', { action: 'iam:PassRole', resource, context });
    const toTasks = { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' };

    // Act
    const decisions = [
      pass(toTasks),
      pass(toTasks, `arn:aws:iam::${ACCOUNT}:role/berth-task-payments-api`),
      pass({ 'iam:PassedToService': 'ec2.amazonaws.com' }),
      pass({}),
      pass(toTasks, `arn:aws:iam::${ACCOUNT}:role/berth-dev-jobs`),
      pass(toTasks, `arn:aws:iam::${ACCOUNT}:role/payments-api-task`),
    ];

    // Assess
    expect(decisions).toEqual([
      'Allow',
      'Allow',
      'ImplicitDeny',
      'ImplicitDeny',
      'ImplicitDeny',
      'ImplicitDeny',
    ]);
  });

  it("lets CreateRoutingRole add a listener only to berth's load balancers, and only tagged", () => {
    // Prepare
    const loadBalancer = arn('elasticloadbalancing', 'loadbalancer/app/shop-1234abcd/0123456789abcdef');
    const createListener = (context: Request['context']) =>
      decide('CreateRoutingRole', {
        action: 'elasticloadbalancing:CreateListener',
        resource: loadBalancer,
        context,
      });
    const requestTag = { [`aws:RequestTag/${berthTag}`]: 'berth' };
    const resourceTag = { [`aws:ResourceTag/${berthTag}`]: 'berth' };

    // Act
    const decisions = [
      createListener({ ...requestTag, ...resourceTag }),
      createListener(requestTag),
      createListener(resourceTag),
    ];

    // Assess
    expect(decisions).toEqual(['Allow', 'ImplicitDeny', 'ImplicitDeny']);
  });

  it("lets GetTeamQuotasRole read the table's TEAM# items only", () => {
    // Prepare
    const table = arn('dynamodb', 'table/berth-dev');
    const getItem = (leadingKeys: string[]) =>
      decide('GetTeamQuotasRole', {
        action: 'dynamodb:GetItem',
        resource: table,
        context: { 'dynamodb:LeadingKeys': leadingKeys },
      });

    // Act
    const team = getItem(['TEAM#x']);
    const environment = getItem(['ENV#x']);
    const put = decide('GetTeamQuotasRole', {
      action: 'dynamodb:PutItem',
      resource: table,
      context: { 'dynamodb:LeadingKeys': ['TEAM#x'] },
    });

    // Assess
    expect([team, environment, put]).toEqual(['Allow', 'ImplicitDeny', 'ImplicitDeny']);
  });

  it('lets the authorizer write its own log group and nothing else (but its X-Ray segments)', () => {
    // Prepare
    const ownGroup = arn('logs', 'log-group:/aws/lambda/berth-dev-authorizer');
    const allowed: Request[] = [
      { action: 'logs:CreateLogStream', resource: `${ownGroup}:log-stream:2026/12/03/x`, context: {} },
      { action: 'logs:PutLogEvents', resource: `${ownGroup}:log-stream:2026/12/03/x`, context: {} },
      { action: 'xray:PutTraceSegments', resource: '*', context: {} },
    ];
    const refused: Request[] = [
      {
        action: 'logs:PutLogEvents',
        resource: `${arn('logs', 'log-group:/aws/lambda/berth-dev-health')}:log-stream:x`,
        context: {},
      },
      { action: 'logs:CreateLogGroup', resource: `${ownGroup}:*`, context: {} },
      { action: 'dynamodb:GetItem', resource: arn('dynamodb', 'table/berth-dev'), context: {} },
      { action: 'ecs:ListClusters', resource: '*', context: {} },
      { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/berth-dev-jobs`, context: {} },
    ];

    // Act
    const decisions = [...allowed, ...refused].map((request) => decide('AuthorizerRole', request));

    // Assess
    expect(decisions).toEqual([...allowed.map(() => 'Allow'), ...refused.map(() => 'ImplicitDeny')]);
  });

  it("lets CreateClusterRole pass only environments' instance roles, only to EC2", () => {
    // Prepare
    const pass = (role: string, service: string) => ({
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/${role}`,
      context: { 'iam:PassedToService': service },
    });

    // Act
    const decisions = [
      pass('berth-env-01jd5y8q7n3w0s2k4m6p8r0t2v-instance', 'ec2.amazonaws.com'),
      pass('berth-env-01jd5y8q7n3w0s2k4m6p8r0t2v-instance', 'ecs-tasks.amazonaws.com'),
      pass('berth-env-01jd5y8q7n3w0s2k4m6p8r0t2v-execution', 'ec2.amazonaws.com'),
      pass('admin', 'ec2.amazonaws.com'),
    ].map((request) => decide('CreateClusterRole', request));

    // Assess
    expect(decisions).toEqual(['Allow', 'ImplicitDeny', 'ImplicitDeny', 'ImplicitDeny']);
  });
});
