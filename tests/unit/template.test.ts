/**
 * Packages the service with osls (offline, dummy credentials) and checks the CloudFormation template:
 * the table's safety settings, one least-privilege role per function, state-machine tasks that name
 * real functions, runtime and architecture, and one bundle per function.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type Role, rolesFromTemplate } from '@berth/aws-sim/iam/template';
import { stackTemplate } from '../../local/function-identities';
import { endpointPaths, routes } from '../../shared/http/routes';
import { type PackagedService, packageService } from '../support/osls-package';

const ROOT = resolve(__dirname, '..', '..');
const STAGE = 'dev';

/**
 * The only actions allowed on Resource '*'. Each is named in a comment in serverless.yml or infra/
 * saying why AWS requires '*' (vended-log delivery for Step Functions logging, X-Ray segments, and
 * the Describe/List calls the Service Authorization Reference lists without a resource type).
 */
const STAR_RESOURCE_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'ec2:DescribeAccountAttributes',
  'ec2:DescribeAddresses',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInternetGateways',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeNatGateways',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'ec2:DescribeVpcEndpoints',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'ecs:ListServices',
  'ecs:ListTaskDefinitions',
  'ecs:ListTaskDefinitionFamilies',
  'ecs:ListTasks',
  'autoscaling:DescribeAutoScalingGroups',
  'ecs:ListClusters',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

/** API Gateway's own error answers, each a problem+json body. */
const GATEWAY_RESPONSES = [
  'UNAUTHORIZED',
  'ACCESS_DENIED',
  'MISSING_AUTHENTICATION_TOKEN',
  'DEFAULT_4XX',
  'DEFAULT_5XX',
];

/**
 * Every http event as the route table (shared/http/routes.json) states it: method, path, the function
 * that serves it, and whether the authorizer guards it. The logical id is osls's for that function.
 */
const TABLE_ROUTES = routes.map((route) => ({
  route: `${route.method} ${route.path}`,
  function: `${route.function.charAt(0).toUpperCase()}${route.function.slice(1)}LambdaFunction`,
  authorization: route.auth ? 'CUSTOM' : 'NONE',
}));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource {
  Type: string;
  Properties: JsonObject;
  DependsOn?: Json;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, JsonObject>;
}

let packageDir = '';
let template: Template;
let packaged: PackagedService | undefined;

beforeAll(() => {
  packaged = packageService({ stage: STAGE, account: '000000000000', label: 'package' });
  packageDir = packaged.dir;
  template = packaged.template as Template;
}, 900_000);

afterAll(() => {
  packaged?.remove();
});

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function asArray(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every statement of every inline policy of every IAM role (ours and the plugins'). */
function roleStatements(): { role: string; statement: JsonObject }[] {
  return resourcesOfType('AWS::IAM::Role').flatMap(([role, resource]) =>
    asArray(resource.Properties.Policies).flatMap((policy) => {
      const document = isObject(policy) ? policy.PolicyDocument : undefined;
      const statements = isObject(document) ? asArray(document.Statement) : [];
      return statements.filter(isObject).map((statement) => ({ role, statement }));
    }),
  );
}

describe('the DynamoDB table', () => {
  const table = () => {
    const tables = resourcesOfType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const [entry] = tables;
    if (entry === undefined) throw new Error('no table');
    return entry[1];
  };

  it('is on-demand with point-in-time recovery, deletion protection and encryption', () => {
    expect(table().Properties).toMatchObject({
      TableName: `berth-${STAGE}`,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is retained when the stack deletes or replaces it', () => {
    expect(table().DeletionPolicy).toBe('Retain');
    expect(table().UpdateReplacePolicy).toBe('Retain');
  });

  it('has the pk/sk keys, the gsi1 index and TTL on expiresAt', () => {
    expect(table().Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});

describe('IAM', () => {
  it('gives every function a role of its own', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    const roles = functions.map(([, resource]) => {
      const role = resource.Properties.Role;
      const getAtt = isObject(role) ? role['Fn::GetAtt'] : undefined;
      return Array.isArray(getAtt) ? getAtt[0] : undefined;
    });
    expect(functions.length).toBeGreaterThan(0);
    expect(new Set(roles).size).toBe(functions.length);
    for (const role of roles) {
      expect(typeof role === 'string' && template.Resources[role]?.Type).toBe('AWS::IAM::Role');
    }
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('grants no wildcard action', () => {
    const wildcards = roleStatements().filter(({ statement }) =>
      asArray(statement.Action).some((action) => action === '*' || String(action).endsWith(':*')),
    );
    expect(wildcards).toEqual([]);
  });

  it("uses Resource '*' only for actions on the allow-list", () => {
    const offending = roleStatements()
      .filter(({ statement }) => asArray(statement.Resource).includes('*'))
      .flatMap(({ role, statement }) =>
        asArray(statement.Action)
          .filter((action) => typeof action !== 'string' || !STAR_RESOURCE_ACTIONS.includes(action))
          .map((action) => `${role}: ${String(action)}`),
      );
    expect(offending).toEqual([]);
  });

  it('keeps the allow-list in step with the comments of the declarations', () => {
    const comments = declarationFiles()
      .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
      .filter((line) => /^\s*(#|\/\/|\*)/.test(line))
      .join('\n');
    for (const action of STAR_RESOURCE_ACTIONS) expect(comments).toContain(action);
  });

  it("generates each function's role: Lambda's trust, its own log group first, X-Ray with tracing on", () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, resource] of functions) {
      expect(resource.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      const role = resource.Properties.Role;
      const roleId = isObject(role) && Array.isArray(role['Fn::GetAtt']) ? role['Fn::GetAtt'][0] : undefined;
      const properties = typeof roleId === 'string' ? template.Resources[roleId]?.Properties : undefined;
      const [policy, ...otherPolicies] = asArray(properties?.Policies);
      const statements =
        isObject(policy) && isObject(policy.PolicyDocument) ? policy.PolicyDocument.Statement : [];
      const [logWrite, xray] = asArray(statements);
      expect({ id, trust: properties?.AssumeRolePolicyDocument, otherPolicies, logWrite, xray }).toEqual({
        id,
        trust: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        otherPolicies: [],
        logWrite: {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [id.replace(/LambdaFunction$/, 'LogGroup'), 'Arn'] },
        },
        xray: {
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
      });
    }
  });

  it('passes only the instance role, the jobs role, execution roles, the task roles berth creates and allowed task roles, each to its service', () => {
    // Prepare
    const passes = roleStatements().filter(({ statement }) =>
      asArray(statement.Action).includes('iam:PassRole'),
    );
    const named = (resource: Json) => {
      if (isObject(resource) && Array.isArray(resource['Fn::GetAtt'])) return resource['Fn::GetAtt'][0];
      return isObject(resource) && typeof resource['Fn::Sub'] === 'string' ? resource['Fn::Sub'] : resource;
    };

    // Act
    const grants = passes.map(({ role, statement }) => ({
      role,
      actions: asArray(statement.Action),
      resources: asArray(statement.Resource).map(named),
      passedTo: isObject(statement.Condition) ? statement.Condition.StringEquals : undefined,
    }));

    // Assess
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) {
      expect(grant.actions).toEqual(['iam:PassRole']);
      const ecsTasks = {
        resources: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/berth-env-*-execution',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/berth-env-*-task-*',
          'arn:aws:iam::000000000000:role/berth-task-*',
        ],
        passedTo: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      };
      const other = {
        resources: [expect.stringMatching(/^(JobsRole|.*:role\/berth-env-\*-instance)$/)],
        passedTo: { 'iam:PassedToService': expect.anything() },
      };
      expect([ecsTasks, other]).toContainEqual({ resources: grant.resources, passedTo: grant.passedTo });
    }
  });

  it('lets the step that creates roles create berth-tagged execution roles, and task roles only under the boundary', () => {
    // Prepare
    const statements = roleStatements()
      .filter(({ role }) => role === 'CreateExecutionRoleRole')
      .map(({ statement }) => statement)
      .filter((statement) => asArray(statement.Action).some((action) => String(action).startsWith('iam:')));

    // Act
    const grants = statements.map((statement) => ({
      actions: asArray(statement.Action),
      resource: asArray(statement.Resource),
      condition: statement.Condition,
    }));

    // Assess
    const role = (name: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`,
    });
    const executionRoles = role('berth-env-*-execution');
    const taskRoles = role('berth-env-*-task-*');
    const boundary = 'arn:aws:iam::000000000000:policy/berth-dev-task-boundary';
    expect(grants).toEqual([
      { actions: ['iam:GetRole'], resource: [executionRoles, taskRoles], condition: undefined },
      {
        actions: ['iam:CreateRole', 'iam:TagRole'],
        resource: [executionRoles],
        condition: { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } },
      },
      {
        actions: ['iam:PutRolePolicy'],
        resource: [executionRoles],
        condition: { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } },
      },
      {
        actions: ['iam:CreateRole'],
        resource: [taskRoles],
        condition: {
          StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth', 'iam:PermissionsBoundary': boundary },
        },
      },
      {
        actions: ['iam:TagRole'],
        resource: [taskRoles],
        condition: { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } },
      },
      {
        actions: ['iam:PutRolePolicy', 'iam:PutRolePermissionsBoundary'],
        resource: [taskRoles],
        condition: {
          StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth', 'iam:PermissionsBoundary': boundary },
        },
      },
    ]);
  });

  it("creates the stage's task-role boundary: it allows no IAM, STS role assumption, Organizations or billing, nor berth's own stack", () => {
    // Prepare
    const [boundary] = resourcesOfType('AWS::IAM::ManagedPolicy');
    const properties = boundary?.[1].Properties;
    const document = isObject(properties) ? properties.PolicyDocument : undefined;
    const statements = isObject(document) ? asArray(document.Statement).filter(isObject) : [];

    // Act
    const allowed = statements
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((s) => asArray(s.Action));
    const denied = statements
      .filter((statement) => statement.Effect === 'Deny' && statement.Resource === '*')
      .flatMap((statement) => asArray(statement.Action));
    const deniedResources = statements
      .filter((statement) => statement.Effect === 'Deny' && statement.Action === '*')
      .flatMap((statement) => asArray(statement.Resource))
      .map((resource) => (isObject(resource) ? resource['Fn::Sub'] : resource));

    // Assess
    expect(boundary?.[0]).toBe('TaskRoleBoundary');
    expect(isObject(properties) && properties.ManagedPolicyName).toBe('berth-dev-task-boundary');
    expect(
      allowed.filter((action) => /^(iam|sts|organizations|account|aws-portal|billing):/.test(String(action))),
    ).toEqual([]);
    expect(allowed).not.toContain('*');
    expect(denied).toEqual(
      expect.arrayContaining(['iam:*', 'sts:AssumeRole', 'organizations:*', 'account:*', 'aws-portal:*']),
    );
    expect(deniedResources).toEqual(
      expect.arrayContaining([
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
        'arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/berth-dev',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
        'arn:${AWS::Partition}:states:*:${AWS::AccountId}:stateMachine:berth-dev-*',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
        'arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:berth-dev-*',
      ]),
    );
  });

  it("limits both Route 53 record changes to the deployment's record-name patterns, every name of the batch", () => {
    // Prepare
    const changes = roleStatements().filter(({ statement }) =>
      asArray(statement.Action).includes('route53:ChangeResourceRecordSets'),
    );

    // Act
    const names = changes.map(({ role, statement }) => ({
      role,
      names: isObject(statement.Condition) ? statement.Condition['ForAllValues:StringLike'] : undefined,
    }));

    // Assess
    expect(names).toEqual([
      {
        role: 'CreateDnsRecordRole',
        names: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': '*' },
      },
      { role: 'TeardownPassRole', names: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': '*' } },
    ]);
  });

  it("lets teardown delete only log groups that carry berth's tag, and ENIs without one (AWS's carry none)", () => {
    // Prepare
    const teardown = roleStatements()
      .filter(({ role }) => role === 'TeardownPassRole')
      .map(({ statement }) => statement);
    const grantOf = (action: string) =>
      teardown
        .filter((statement) => asArray(statement.Action).includes(action))
        .map((statement) => ({ resource: statement.Resource, condition: statement.Condition }));

    // Act
    const deleteLogGroup = grantOf('logs:DeleteLogGroup');
    const deleteNetworkInterface = grantOf('ec2:DeleteNetworkInterface');

    // Assess
    expect(deleteLogGroup).toEqual([
      {
        resource: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
          'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/*',
        },
        condition: { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } },
      },
    ]);
    expect(deleteNetworkInterface).toEqual([
      {
        resource: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
          'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*',
        },
        condition: undefined,
      },
    ]);
  });

  it("lets the API and the jobs role run only task definitions that carry berth's tag, in the account's clusters", () => {
    // Prepare
    const runTask = roleStatements().filter(({ statement }) =>
      asArray(statement.Action).includes('ecs:RunTask'),
    );

    // Act
    const grants = runTask.map(({ role, statement }) => ({
      role,
      resource: statement.Resource,
      condition: statement.Condition,
    }));

    // Assess
    const grant = {
      resource: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
        'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/*',
      },
      condition: {
        ArnLike: {
          'ecs:cluster': {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the template holds it
            'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/*',
          },
        },
        StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' },
      },
    };
    expect(grants.map(({ role }) => role).sort()).toEqual(['JobsRole', 'RunTaskRole']);
    for (const { resource, condition } of grants) expect({ resource, condition }).toEqual(grant);
  });

  it('has no stage-wide task execution role: each environment gets its own', () => {
    // Act
    const names = resourcesOfType('AWS::IAM::Role').map(([, resource]) => resource.Properties.RoleName);

    // Assess
    expect(names).not.toContainEqual(expect.stringMatching(/task-execution/));
    expect(template.Resources.EcsTaskExecutionRole).toBeUndefined();
  });

  it('gives the authorizer nothing but its own log stream and its trace segments', () => {
    const actions = roleStatements()
      .filter(({ role }) => role === 'AuthorizerRole')
      .flatMap(({ statement }) => asArray(statement.Action));
    expect(actions.sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});

describe('state machines', () => {
  it('are the three named workflows with logging', () => {
    const machines = resourcesOfType('AWS::StepFunctions::StateMachine').map(([, resource]) => resource);
    expect(machines.map((machine) => machine.Properties.StateMachineName).sort()).toEqual(
      ['provision', 'teardown', 'update'].map((name) => `berth-${STAGE}-${name}`),
    );
    for (const machine of machines) {
      expect(machine.Properties.LoggingConfiguration).toMatchObject({ Destinations: [expect.anything()] });
    }
  });

  it('invoke only functions that exist in the stack', () => {
    const functionNames = new Map(
      resourcesOfType('AWS::Lambda::Function').map(([id, resource]) => [
        resource.Properties.FunctionName,
        id,
      ]),
    );
    for (const [id, machine] of resourcesOfType('AWS::StepFunctions::StateMachine')) {
      for (const target of lambdaTaskTargets(machine)) {
        const logicalId =
          typeof target === 'string' ? functionNames.get(functionNameOf(target)) : target.logicalId;
        expect({ stateMachine: id, target, type: logicalId && template.Resources[logicalId]?.Type }).toEqual({
          stateMachine: id,
          target,
          type: 'AWS::Lambda::Function',
        });
      }
    }
  });

  it('find Lambda tasks in Fn::Sub definitions, nested Parallel and Map included (self-check)', () => {
    const definition = {
      StartAt: 'A',
      States: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder, as the plugin writes it
        A: { Type: 'Task', Resource: '${fn1}', Next: 'B' },
        B: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'C',
              States: {
                C: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke',
                  Parameters: { FunctionName: 'berth-dev-health' },
                  End: true,
                },
              },
            },
          ],
          Next: 'D',
        },
        D: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'E', States: { E: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    };
    const machine: Resource = {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Sub': [JSON.stringify(definition), { fn1: { 'Fn::GetAtt': ['HealthLambdaFunction', 'Arn'] } }],
        },
      },
    };
    expect(lambdaTaskTargets(machine)).toEqual([{ logicalId: 'HealthLambdaFunction' }, 'berth-dev-health']);
  });
});

describe('functions', () => {
  it('run nodejs22.x on arm64', () => {
    for (const [, resource] of resourcesOfType('AWS::Lambda::Function')) {
      expect(resource.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    }
  });

  it('get their environment as plain strings (serverless-offline does not resolve intrinsics)', () => {
    for (const [id, resource] of resourcesOfType('AWS::Lambda::Function')) {
      const environment = resource.Properties.Environment;
      const variables = isObject(environment) && isObject(environment.Variables) ? environment.Variables : {};
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining(['TABLE_NAME', 'PROVISION_STATE_MACHINE_ARN']),
      );
      for (const [name, value] of Object.entries(variables)) {
        expect({ id, name, type: typeof value }).toEqual({ id, name, type: 'string' });
      }
    }
  });

  it('tell the functions that check or pass task roles which ones are allowed, and only them', () => {
    // Act
    const patterns = resourcesOfType('AWS::Lambda::Function').flatMap(([id, resource]) => {
      const environment = resource.Properties.Environment;
      const variables = isObject(environment) && isObject(environment.Variables) ? environment.Variables : {};
      const pattern = variables.TASK_ROLE_ARN_PATTERN;
      return pattern === undefined ? [] : [{ id, pattern }];
    });
    patterns.sort((a, b) => a.id.localeCompare(b.id));

    // Assess
    const pattern = 'arn:aws:iam::000000000000:role/berth-task-*';
    expect(patterns).toEqual(
      [
        'CreateEnvironmentLambdaFunction',
        'PrepareServiceLambdaFunction',
        'SlackCommandsLambdaFunction',
        'UpdateEnvironmentLambdaFunction',
      ].map((id) => ({ id, pattern })),
    );
  });

  it('are each bundled into their own zip', () => {
    for (const [id, resource] of resourcesOfType('AWS::Lambda::Function')) {
      const code = resource.Properties.Code;
      const key = isObject(code) ? code.S3Key : undefined;
      const handler = resource.Properties.Handler;
      if (typeof key !== 'string' || typeof handler !== 'string') throw new Error(`${id}: no S3Key/Handler`);
      const zip = join(packageDir, basename(key));
      expect(existsSync(zip)).toBe(true);
      const bundle = `${handler.slice(0, handler.lastIndexOf('.'))}.js`;
      expect(zipEntries(readFileSync(zip))).toContain(bundle);
    }
  });
});

describe('the REST API', () => {
  const methods = () =>
    resourcesOfType('AWS::ApiGateway::Method').map(([, resource]) => ({
      route: `${resource.Properties.HttpMethod} ${resourcePath(resource.Properties.ResourceId ?? null)}`,
      authorization: resource.Properties.AuthorizationType,
    }));

  it('serves every route of the table by its function, behind the authorizer exactly when auth is true', () => {
    // Prepare
    const served = resourcesOfType('AWS::ApiGateway::Method').map(([, resource]) => {
      const uri = isObject(resource.Properties.Integration) ? resource.Properties.Integration.Uri : null;
      const parts = isObject(uri) ? asArray(uri['Fn::Join']) : [];
      const target = asArray(parts[1]).find((part) => isObject(part) && part['Fn::GetAtt'] !== undefined);
      return {
        route: `${resource.Properties.HttpMethod} ${resourcePath(resource.Properties.ResourceId ?? null)}`,
        function: isObject(target) ? asArray(target['Fn::GetAtt'])[0] : undefined,
        authorization: resource.Properties.AuthorizationType,
      };
    });

    // Assess
    expect(TABLE_ROUTES.length).toBeGreaterThan(10);
    for (const route of TABLE_ROUTES) expect(served).toContainEqual(route);
    // Besides the table's routes, only the not-found catch-alls: no endpoint outside the table.
    const others = served.filter(({ route }) => !TABLE_ROUTES.some((entry) => entry.route === route));
    expect(
      others.filter(
        ({ route, function: name }) => !route.startsWith('ANY ') || name !== 'NotFoundLambdaFunction',
      ),
    ).toEqual([]);
  });

  it('answers unknown routes, and every path of the table with another method, without authorization', () => {
    for (const path of ['/', '/{proxy+}', ...endpointPaths()]) {
      expect(methods()).toContainEqual({ route: `ANY ${path}`, authorization: 'NONE' });
    }
  });

  it("answers API Gateway's own errors with problem+json bodies", () => {
    const responses = resourcesOfType('AWS::ApiGateway::GatewayResponse').map(
      ([, resource]) => resource.Properties,
    );
    expect(responses.map((response) => response.ResponseType).sort()).toEqual([...GATEWAY_RESPONSES].sort());
    for (const response of responses) {
      expect(response.RestApiId).toEqual({ Ref: 'ApiGatewayRestApi' });
      expect(response.ResponseParameters).toEqual({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
      });
      const templates = isObject(response.ResponseTemplates) ? response.ResponseTemplates : {};
      expect(String(templates['application/json'])).toMatch(/^\{"type":"[^"]+","title":"[^"]+",/);
    }
    const unauthorized = responses.find((response) => response.ResponseType === 'UNAUTHORIZED');
    const body = isObject(unauthorized?.ResponseTemplates)
      ? unauthorized.ResponseTemplates['application/json']
      : '';
    expect(JSON.parse(String(body))).toEqual({
      type: 'urn:berth:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'a valid bearer token is required',
    });
  });

  it('throttles the stage, and RunTask and the drift check harder, by default', () => {
    // Prepare
    const deployments = resourcesOfType('AWS::ApiGateway::Deployment');

    // Assess
    expect(deployments).toHaveLength(1);
    const stage = deployments[0]?.[1].Properties.StageDescription;
    expect(stage).toEqual({
      TracingEnabled: true,
      ThrottlingRateLimit: 100,
      ThrottlingBurstLimit: 200,
      MethodSettings: [
        {
          HttpMethod: 'POST',
          ResourcePath: '/~1environments~1{id}~1tasks',
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        },
        {
          HttpMethod: 'GET',
          ResourcePath: '/~1environments~1{id}~1drift',
          ThrottlingRateLimit: 2,
          ThrottlingBurstLimit: 5,
        },
      ],
    });
    // Each throttled route is one the API serves.
    const served = methods().map(({ route }) => route);
    for (const setting of asArray(isObject(stage) ? stage.MethodSettings : null).filter(isObject)) {
      const path = String(setting.ResourcePath).slice(1).replaceAll('~1', '/');
      expect(served).toContain(`${String(setting.HttpMethod)} ${path}`);
    }
  });

  it('uses a REQUEST authorizer on the Authorization header, cached for 60 s by default', () => {
    const authorizers = resourcesOfType('AWS::ApiGateway::Authorizer').map(
      ([, resource]) => resource.Properties,
    );
    expect(authorizers).toEqual([
      expect.objectContaining({
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      }),
    ]);
  });
});

/** serverless.yml and the files under infra/ that declare the stack. */
function declarationFiles(): string[] {
  const infra = join(ROOT, 'infra');
  return [
    join(ROOT, 'serverless.yml'),
    ...readdirSync(infra, { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(js|yml)$/.test(file))
      .map((file) => join(infra, file)),
  ];
}

/** The API Gateway path of a method's ResourceId (a Ref to a Resource, or the root). */
function resourcePath(resourceId: Json): string {
  if (isObject(resourceId) && typeof resourceId.Ref === 'string') {
    const resource = template.Resources[resourceId.Ref];
    if (resource === undefined) throw new Error(`no resource ${resourceId.Ref}`);
    const parent = resourcePath(resource.Properties.ParentId ?? null);
    return `${parent === '/' ? '' : parent}/${String(resource.Properties.PathPart)}`;
  }
  return '/';
}

/** A Lambda task's function: a logical id (Ref/GetAtt) or a literal function name or ARN. */
type LambdaTarget = { logicalId: string } | string;

/** The functions named by every Lambda task of a state machine, in definition order. */
function lambdaTaskTargets(machine: Resource): LambdaTarget[] {
  const { text, variables } = definitionText(machine);
  const definition: Json = JSON.parse(text);
  const targets: LambdaTarget[] = [];
  const visitStates = (states: Json | undefined) => {
    if (!isObject(states)) return;
    for (const state of Object.values(states)) {
      if (!isObject(state)) continue;
      if (state.Type === 'Task') {
        const target = lambdaTarget(state);
        if (target !== undefined) targets.push(resolveTarget(target, variables));
      }
      for (const branch of asArray(state.Branches)) visitMachine(branch);
      visitMachine(state.ItemProcessor);
      visitMachine(state.Iterator);
    }
  };
  const visitMachine = (graph: Json | undefined) => {
    if (isObject(graph)) visitStates(graph.States);
  };
  visitMachine(definition);
  return targets;
}

/** Optimised integrations name the function in Parameters/Arguments; plain tasks in Resource. */
function lambdaTarget(state: JsonObject): Json | undefined {
  const resource = state.Resource;
  if (typeof resource === 'string' && resource.startsWith('arn:aws:states:::lambda:invoke')) {
    const parameters = isObject(state.Parameters) ? state.Parameters : {};
    const argumentsObject = isObject(state.Arguments) ? state.Arguments : {};
    return parameters.FunctionName ?? argumentsObject.FunctionName ?? null;
  }
  if (typeof resource === 'string' && /^arn:aws[a-z-]*:states:::/.test(resource)) return undefined;
  return resource;
}

function resolveTarget(target: Json, variables: Record<string, Json>): LambdaTarget {
  const placeholder = typeof target === 'string' ? /^\$\{([^}]+)\}$/.exec(target) : null;
  const value = placeholder?.[1] !== undefined ? variables[placeholder[1]] : target;
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const getAtt = value['Fn::GetAtt'];
    const logicalId = Array.isArray(getAtt) ? getAtt[0] : value.Ref;
    if (typeof logicalId === 'string') return { logicalId };
  }
  return JSON.stringify(value);
}

/** DefinitionString as JSON text plus its substitution variables (Fn::Sub, Fn::Join, DefinitionSubstitutions). */
function definitionText(machine: Resource): { text: string; variables: Record<string, Json> } {
  const substitutions = machine.Properties.DefinitionSubstitutions;
  const variables: Record<string, Json> = isObject(substitutions) ? { ...substitutions } : {};
  const render = (value: Json | undefined): string => {
    if (typeof value === 'string') return value;
    if (isObject(value) && Array.isArray(value['Fn::Sub'])) {
      const [text, subVariables] = value['Fn::Sub'];
      if (isObject(subVariables)) Object.assign(variables, subVariables);
      return render(text);
    }
    if (isObject(value) && typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'];
    if (isObject(value) && Array.isArray(value['Fn::Join'])) {
      const [separator, parts] = value['Fn::Join'];
      return asArray(parts)
        .map((part) => {
          if (typeof part === 'string') return part;
          const name = `join${Object.keys(variables).length}`;
          variables[name] = part;
          return `\${${name}}`;
        })
        .join(String(separator));
    }
    throw new Error(`unsupported DefinitionString ${JSON.stringify(value)}`);
  };
  return { text: render(machine.Properties.DefinitionString), variables };
}

/** A function name from a name, a name:alias, or a function ARN. */
function functionNameOf(target: string): string {
  const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(target);
  return arn?.[1] ?? target.split(':')[0] ?? target;
}

/** File names in a zip, read from its central directory (no zip library needed). */
function zipEntries(zip: Buffer): string[] {
  const endOfDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(endOfDirectory + 10);
  let offset = zip.readUInt32LE(endOfDirectory + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

describe('the roles the local stack evaluates', () => {
  it('are exactly the packaged roles, statement by statement', async () => {
    // Prepare: what the local stack reads from serverless.yml for the simulated AWS's IAM (local/function-identities.ts).
    const environment = { region: 'us-east-1', accountId: '000000000000', stackName: `berth-${STAGE}` };
    const local = await stackTemplate(join(ROOT, 'serverless.yml'), STAGE);
    const statementsOf = (roles: Map<string, Role>) =>
      Object.fromEntries([...new Set(roles.values())].map((role) => [role.roleName, role.statements]));

    // Act
    const packaged = statementsOf(rolesFromTemplate(template, environment));
    const read = statementsOf(rolesFromTemplate(local.template, environment));

    // Assess: the state machines' roles (serverless-step-functions writes them) invoke Lambda, which
    // the local Step Functions engine does without IAM; every other role is read exactly.
    const onlyPackaged = Object.keys(packaged).filter((name) => !(name in read));
    expect(onlyPackaged.sort()).toEqual([
      'ProvisionStateMachineRole',
      'TeardownStateMachineRole',
      'UpdateStateMachineRole',
    ]);
    expect(Object.keys(read).length).toBeGreaterThan(40);
    expect(read).toEqual(Object.fromEntries(Object.keys(read).map((name) => [name, packaged[name]])));
  });
});
