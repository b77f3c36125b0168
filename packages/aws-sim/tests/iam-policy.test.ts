/**
 * The IAM policy evaluator on small hand-written policies: each element, operator and fail-closed
 * rule, with the request it allows and the request it refuses.
 */
import { evaluate, type Request, type Statement } from '../src/iam/policy';

const VPC_ARN = 'arn:aws:ec2:us-east-1:000000000000:vpc/vpc-0123456789abcdef0';

function request(overrides: Partial<Request> = {}): Request {
  return { action: 'ec2:CreateVpc', resource: VPC_ARN, context: {}, ...overrides };
}

function allow(extra: Omit<Statement, 'Effect'>): Statement {
  return { Effect: 'Allow', ...extra };
}

/** One Allow of ec2:CreateVpc on every VPC with the given condition block. */
function withCondition(condition: Statement['Condition']): Statement[] {
  return [allow({ Action: 'ec2:CreateVpc', Resource: 'arn:aws:ec2:*:*:vpc/*', Condition: condition })];
}

describe('decisions', () => {
  it('denies implicitly when no statement matches', () => {
    // Prepare
    const statements = [allow({ Action: 'ec2:DescribeVpcs', Resource: '*' })];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision).toEqual({ decision: 'ImplicitDeny', reason: expect.stringContaining('ec2:CreateVpc') });
  });

  it('allows with the matching statement', () => {
    // Prepare
    const statement = allow({ Action: 'ec2:CreateVpc', Resource: '*' });

    // Act
    const decision = evaluate([statement], request());

    // Assess
    expect(decision).toMatchObject({ decision: 'Allow', statement });
  });

  it('lets an explicit Deny win over an Allow, whatever the order', () => {
    // Prepare
    const grant = allow({ Action: 'ec2:*', Resource: '*' });
    const refusal: Statement = { Effect: 'Deny', Action: 'ec2:CreateVpc', Resource: '*' };

    // Act
    const decisions = [evaluate([grant, refusal], request()), evaluate([refusal, grant], request())];

    // Assess
    for (const decision of decisions)
      expect(decision).toMatchObject({ decision: 'ExplicitDeny', statement: refusal });
  });

  it('ignores a Deny that does not match the request', () => {
    // Prepare
    const statements: Statement[] = [
      allow({ Action: 'ec2:CreateVpc', Resource: '*' }),
      { Effect: 'Deny', Action: 'ec2:DeleteVpc', Resource: '*' },
    ];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision.decision).toBe('Allow');
  });
});

describe('Action and NotAction', () => {
  it.each([['ec2:Create*'], ['ec2:*'], ['*'], ['EC2:createvpc'], ['ec2:CreateVp?']])(
    'matches %s against ec2:CreateVpc (wildcards, case-insensitive)',
    (pattern) => {
      // Prepare / Act
      const decision = evaluate([allow({ Action: pattern, Resource: '*' })], request());

      // Assess
      expect(decision.decision).toBe('Allow');
    },
  );

  it.each([['ec2:Delete*'], ['ecs:*'], ['ec2:CreateVpc?'], ['ec2:Create']])(
    'does not match %s against ec2:CreateVpc',
    (pattern) => {
      // Prepare / Act
      const decision = evaluate([allow({ Action: pattern, Resource: '*' })], request());

      // Assess
      expect(decision.decision).toBe('ImplicitDeny');
    },
  );

  it('takes an action list as an OR', () => {
    // Prepare
    const statement = allow({ Action: ['ec2:DeleteVpc', 'ec2:CreateVpc'], Resource: '*' });

    // Act
    const decision = evaluate([statement], request());

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('allows with NotAction every action except the listed ones', () => {
    // Prepare
    const statements = [allow({ NotAction: ['iam:*', 'ec2:DeleteVpc'], Resource: '*' })];

    // Act
    const allowed = evaluate(statements, request());
    const refused = evaluate(statements, request({ action: 'iam:PassRole' }));

    // Assess
    expect([allowed.decision, refused.decision]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('reads a statement with both Action and NotAction as unreadable (fail closed)', () => {
    // Prepare
    const statements = [allow({ Action: 'ec2:CreateVpc', NotAction: 'iam:*', Resource: '*' })];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision).toMatchObject({
      decision: 'ImplicitDeny',
      reason: expect.stringContaining('NotAction'),
    });
  });
});

describe('Resource and NotResource', () => {
  it.each([
    ['arn:aws:ec2:us-east-1:000000000000:vpc/*'],
    ['arn:aws:ec2:*:*:vpc/vpc-*'],
    ['arn:aws:ec2:us-east-?:000000000000:vpc/*'],
    ['*'],
  ])('matches %s against a VPC ARN', (pattern) => {
    // Prepare / Act
    const decision = evaluate([allow({ Action: 'ec2:CreateVpc', Resource: pattern })], request());

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it.each([
    ['arn:aws:ec2:us-east-1:000000000000:subnet/*'],
    ['arn:aws:ec2:us-west-2:000000000000:vpc/*'],
    ['arn:aws:ec2:us-east-1:111111111111:vpc/*'],
    ['arn:aws:ec2:us-east-1:000000000000:VPC/*'],
  ])('does not match %s against a VPC ARN (case-sensitive, part by part)', (pattern) => {
    // Prepare / Act
    const decision = evaluate([allow({ Action: 'ec2:CreateVpc', Resource: pattern })], request());

    // Assess
    expect(decision.decision).toBe('ImplicitDeny');
  });

  it('matches a request for any VPC (a pattern) with the same pattern', () => {
    // Prepare
    const statements = [
      allow({ Action: 'ec2:CreateVpc', Resource: 'arn:aws:ec2:us-east-1:000000000000:vpc/*' }),
    ];

    // Act
    const decision = evaluate(statements, request({ resource: 'arn:aws:ec2:us-east-1:000000000000:vpc/*' }));

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('lets a * in the resource part cross colons (log streams of a log group)', () => {
    // Prepare
    const group = 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/berth-dev-health';
    const statements = [allow({ Action: 'logs:PutLogEvents', Resource: `${group}:*` })];

    // Act
    const own = evaluate(
      statements,
      request({ action: 'logs:PutLogEvents', resource: `${group}:log-stream:x` }),
    );
    const other = evaluate(
      statements,
      request({ action: 'logs:PutLogEvents', resource: `${group}-other:log-stream:x` }),
    );

    // Assess
    expect([own.decision, other.decision]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('allows with NotResource every resource except the listed ones', () => {
    // Prepare
    const statements = [allow({ Action: 'ec2:CreateVpc', NotResource: 'arn:aws:ec2:*:*:vpc/vpc-0123*' })];

    // Act
    const refused = evaluate(statements, request());
    const allowed = evaluate(
      statements,
      request({ resource: 'arn:aws:ec2:us-east-1:000000000000:vpc/vpc-9' }),
    );

    // Assess
    expect([refused.decision, allowed.decision]).toEqual(['ImplicitDeny', 'Allow']);
  });

  it('fails closed on a policy variable in Resource', () => {
    // Prepare
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, as a policy writes it
    const statements = [allow({ Action: 'ec2:CreateVpc', Resource: 'arn:aws:ec2:*:*:vpc/${aws:username}' })];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision).toMatchObject({
      decision: 'ImplicitDeny',
      reason: expect.stringContaining('policy variable'),
    });
  });
});

describe('condition operators', () => {
  const tag = 'aws:RequestTag/berth:managed-by';

  it.each([
    ['StringEquals', 'berth', 'berth', true],
    ['StringEquals', 'berth', 'Berth', false],
    ['StringNotEquals', 'berth', 'other', true],
    ['StringNotEquals', 'berth', 'berth', false],
    ['StringLike', 'ber*', 'berth', true],
    ['StringLike', 'b?rth', 'barth', true],
    ['StringLike', 'ber*', 'other', false],
    ['StringNotLike', 'ber*', 'other', true],
    ['StringNotLike', 'ber*', 'berth', false],
  ])('%s %s against %s is %s', (operator, policyValue, requestValue, expected) => {
    // Prepare
    const statements = withCondition({ [operator]: { [tag]: policyValue } });

    // Act
    const decision = evaluate(statements, request({ context: { [tag]: requestValue } }));

    // Assess
    expect(decision.decision).toBe(expected ? 'Allow' : 'ImplicitDeny');
  });

  it.each([
    ['ArnEquals', 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-a', true],
    ['ArnEquals', 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-b', false],
    ['ArnLike', 'arn:aws:ecs:*:000000000000:cluster/*', true],
    ['ArnLike', 'arn:aws:ecs:*:111111111111:cluster/*', false],
    ['ArnNotEquals', 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-b', true],
    ['ArnNotLike', 'arn:aws:ecs:*:*:cluster/berth-*', false],
  ])('%s %s against cluster/berth-a is %s', (operator, policyValue, expected) => {
    // Prepare
    const statements = withCondition({ [operator]: { 'ecs:cluster': policyValue } });

    // Act
    const decision = evaluate(
      statements,
      request({ context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-a' } }),
    );

    // Assess
    expect(decision.decision).toBe(expected ? 'Allow' : 'ImplicitDeny');
  });

  it('ArnLike is false for a value that is not an ARN', () => {
    // Prepare
    const statements = withCondition({ ArnLike: { 'aws:SourceArn': '*' } });

    // Act
    const decision = evaluate(statements, request({ context: { 'aws:SourceArn': 'berth-a' } }));

    // Assess
    expect(decision.decision).toBe('ImplicitDeny');
  });

  it.each([
    [true, 'true', true],
    ['true', 'TRUE', true],
    [false, 'true', false],
  ])('Bool %s against %s is %s', (policyValue, requestValue, expected) => {
    // Prepare
    const statements = withCondition({ Bool: { 'aws:SourceAccount': policyValue } });

    // Act
    const decision = evaluate(statements, request({ context: { 'aws:SourceAccount': requestValue } }));

    // Assess
    expect(decision.decision).toBe(expected ? 'Allow' : 'ImplicitDeny');
  });

  it.each([
    ['true', {}, true],
    ['true', { [tag]: 'berth' }, false],
    ['false', { [tag]: 'berth' }, true],
    ['false', {}, false],
  ])('Null %s with context %j is %s', (policyValue, context, expected) => {
    // Prepare
    const statements = withCondition({ Null: { [tag]: policyValue } });

    // Act
    const decision = evaluate(statements, request({ context }));

    // Assess
    expect(decision.decision).toBe(expected ? 'Allow' : 'ImplicitDeny');
  });

  it('takes the values of one key as an OR', () => {
    // Prepare
    const statements = withCondition({
      StringEquals: { 'iam:PassedToService': ['ecs.amazonaws.com', 'ecs-tasks.amazonaws.com'] },
    });

    // Act
    const decision = evaluate(
      statements,
      request({ context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    );

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('takes keys and operators as an AND', () => {
    // Prepare
    const statements = withCondition({
      StringEquals: { [tag]: 'berth', 'aws:SourceAccount': '000000000000' },
      StringLike: { 'ec2:CreateAction': 'Create*' },
    });
    const all = { [tag]: 'berth', 'aws:SourceAccount': '000000000000', 'ec2:CreateAction': 'CreateVpc' };

    // Act
    const allowed = evaluate(statements, request({ context: all }));
    const refused = evaluate(
      statements,
      request({ context: { ...all, 'aws:SourceAccount': '111111111111' } }),
    );

    // Assess
    expect([allowed.decision, refused.decision]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('looks condition keys up case-insensitively', () => {
    // Prepare
    const statements = withCondition({ StringEquals: { 'IAM:passedToService': 'ecs-tasks.amazonaws.com' } });

    // Act
    const decision = evaluate(
      statements,
      request({ context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    );

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('is false for a positive operator on an absent key', () => {
    // Prepare
    const statements = withCondition({ StringEquals: { [tag]: 'berth' } });

    // Act
    const decision = evaluate(statements, request({ context: {} }));

    // Assess
    expect(decision.decision).toBe('ImplicitDeny');
  });

  it('is true for a negated operator on an absent key (as AWS documents)', () => {
    // Prepare
    const statements = withCondition({ StringNotEquals: { [tag]: 'other' } });

    // Act
    const decision = evaluate(statements, request({ context: {} }));

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('holds an IfExists operator on an absent key and checks it on a present one', () => {
    // Prepare
    const statements = withCondition({ StringEqualsIfExists: { [tag]: 'berth' } });

    // Act
    const absent = evaluate(statements, request({ context: {} }));
    const wrong = evaluate(statements, request({ context: { [tag]: 'other' } }));

    // Assess
    expect([absent.decision, wrong.decision]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('holds ForAnyValue with IfExists on an absent key, though plain ForAnyValue does not', () => {
    // Prepare
    const ifExists = withCondition({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'Name' } });
    const plain = withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'Name' } });

    // Act
    const decisions = [evaluate(ifExists, request()), evaluate(plain, request())];

    // Assess
    expect(decisions.map((decision) => decision.decision)).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('fails closed on a multivalued request key under a single-valued operator', () => {
    // Prepare
    const statements = withCondition({ StringLike: { 'dynamodb:LeadingKeys': 'TEAM#*' } });

    // Act
    const decision = evaluate(
      statements,
      request({ context: { 'dynamodb:LeadingKeys': ['TEAM#a', 'TEAM#b'] } }),
    );

    // Assess
    expect(decision).toMatchObject({
      decision: 'ImplicitDeny',
      reason: expect.stringContaining('ForAllValues'),
    });
  });
});

describe('set operators', () => {
  const key = 'dynamodb:LeadingKeys';
  const statements = withCondition({ 'ForAllValues:StringLike': { [key]: ['TEAM#*', 'USER#*'] } });

  it('ForAllValues holds when every request value matches a policy value', () => {
    // Prepare / Act
    const decision = evaluate(statements, request({ context: { [key]: ['TEAM#a', 'USER#b'] } }));

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('ForAllValues fails when one request value matches no policy value', () => {
    // Prepare / Act
    const decision = evaluate(statements, request({ context: { [key]: ['TEAM#a', 'ENV#b'] } }));

    // Assess
    expect(decision.decision).toBe('ImplicitDeny');
  });

  it.each([
    ['absent', {}],
    ['empty', { [key]: [] }],
  ])('ForAllValues holds when the key is %s (AWS documented edge)', (_label, context) => {
    // Prepare / Act
    const decision = evaluate(statements, request({ context }));

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('ForAnyValue holds when one request value matches', () => {
    // Prepare
    const any = withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'berth:managed-by' } });

    // Act
    const decision = evaluate(any, request({ context: { 'aws:TagKeys': ['Name', 'berth:managed-by'] } }));

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it.each([
    ['no value matches', { 'aws:TagKeys': ['Name'] }],
    ['the key is absent', {}],
  ])('ForAnyValue fails when %s', (_label, context) => {
    // Prepare
    const any = withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'berth:managed-by' } });

    // Act
    const decision = evaluate(any, request({ context }));

    // Assess
    expect(decision.decision).toBe('ImplicitDeny');
  });

  it('ForAllValues with a negated operator holds when no request value is listed', () => {
    // Prepare
    const none = withCondition({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['Owner'] } });

    // Act
    const allowed = evaluate(none, request({ context: { 'aws:TagKeys': ['Name'] } }));
    const refused = evaluate(none, request({ context: { 'aws:TagKeys': ['Name', 'Owner'] } }));

    // Assess
    expect([allowed.decision, refused.decision]).toEqual(['Allow', 'ImplicitDeny']);
  });
});

describe('failing closed', () => {
  it('does not let an Allow with an unknown condition key match, and names the key', () => {
    // Prepare
    const statements = withCondition({ StringEquals: { 'aws:PrincipalOrgID': 'o-123' } });

    // Act
    const decision = evaluate(statements, request({ context: { 'aws:PrincipalOrgID': 'o-123' } }));

    // Assess
    expect(decision).toEqual({
      decision: 'ImplicitDeny',
      reason: expect.stringContaining('condition key aws:PrincipalOrgID is not known'),
    });
  });

  it('does not let an Allow with an unimplemented operator match, and names the operator', () => {
    // Prepare
    const statements = withCondition({ IpAddress: { 'aws:SourceArn': '10.0.0.0/8' } });

    // Act
    const decision = evaluate(statements, request({ context: { 'aws:SourceArn': '10.0.0.1' } }));

    // Assess
    expect(decision).toEqual({
      decision: 'ImplicitDeny',
      reason: expect.stringContaining('condition operator IpAddress is not implemented'),
    });
  });

  it('refuses a set prefix on Null (not an AWS operator)', () => {
    // Prepare
    const statements = withCondition({ 'ForAllValues:Null': { 'aws:TagKeys': 'true' } });

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision).toMatchObject({
      decision: 'ImplicitDeny',
      reason: expect.stringContaining('ForAllValues:Null'),
    });
  });

  it('takes a Deny with an unknown condition key as matching, and names the key', () => {
    // Prepare
    const statements: Statement[] = [
      allow({ Action: 'ec2:CreateVpc', Resource: '*' }),
      {
        Effect: 'Deny',
        Action: 'ec2:*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } },
      },
    ];

    // Act
    const decision = evaluate(statements, request({ context: { 'aws:RequestedRegion': 'us-east-1' } }));

    // Assess
    expect(decision).toMatchObject({
      decision: 'ExplicitDeny',
      reason: expect.stringContaining('condition key aws:RequestedRegion is not known'),
    });
  });

  it('takes a Deny with an unimplemented operator as matching', () => {
    // Prepare
    const statements: Statement[] = [
      allow({ Action: 'ec2:CreateVpc', Resource: '*' }),
      {
        Effect: 'Deny',
        Action: 'ec2:*',
        Resource: '*',
        Condition: { NumericLessThan: { 'aws:TagKeys': '3' } },
      },
    ];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision).toMatchObject({
      decision: 'ExplicitDeny',
      reason: expect.stringContaining('NumericLessThan'),
    });
  });

  it('does not take an unreadable Deny as matching when its action does not match', () => {
    // Prepare
    const statements: Statement[] = [
      allow({ Action: 'ec2:CreateVpc', Resource: '*' }),
      {
        Effect: 'Deny',
        Action: 'iam:*',
        Resource: '*',
        Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      },
    ];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision.decision).toBe('Allow');
  });

  it('still allows through another statement when one Allow is unreadable', () => {
    // Prepare
    const statements = [
      ...withCondition({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }),
      allow({ Action: 'ec2:CreateVpc', Resource: '*' }),
    ];

    // Act
    const decision = evaluate(statements, request());

    // Assess
    expect(decision).toMatchObject({ decision: 'Allow', statement: statements[1] });
  });

  it('accepts the tag-key families as known keys, each with a tag key', () => {
    // Prepare
    const context = {
      'aws:RequestTag/a': 'x',
      'aws:ResourceTag/b': 'y',
      'autoscaling:ResourceTag/c': 'z',
    };
    const statements = withCondition({
      StringEquals: { 'aws:RequestTag/a': 'x', 'aws:ResourceTag/b': 'y', 'autoscaling:ResourceTag/c': 'z' },
    });
    const bare = withCondition({ StringEquals: { 'aws:RequestTag/': 'x' } });

    // Act
    const known = evaluate(statements, request({ context }));
    const unknown = evaluate(bare, request({ context: { 'aws:RequestTag/': 'x' } }));

    // Assess
    expect([known.decision, unknown.decision]).toEqual(['Allow', 'ImplicitDeny']);
  });
});
