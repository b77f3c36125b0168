/**
 * Customer managed policies and permissions boundaries: the template's AWS::IAM::ManagedPolicy read by
 * the loader (Ref is the ARN), CreatePolicy / GetPolicy / GetPolicyVersion / DeletePolicy / ListPolicies
 * through the SDK, a role held to a customer policy as its boundary (both must allow; a boundary Deny
 * wins), and `iam:PermissionsBoundary` on CreateRole / PutRolePermissionsBoundary.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRolePermissionsBoundaryCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListPoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { Statement } from '../src/iam/policy';
import { iamFromTemplate, TemplateError } from '../src/iam/template';
import { iam } from '../src/services/iam';
import { logs } from '../src/services/logs';
import { ACCOUNT, asRole, REGION, refusalOf } from './iam-session';
import { ecsTasksTrustPolicy, iamSuite, policyDocument } from './support/iam-suite';

const ENVIRONMENT = { region: REGION, accountId: ACCOUNT };
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/berth-dev-task-boundary`;
const OTHER_ARN = `arn:aws:iam::${ACCOUNT}:policy/other-boundary`;

/** berth's template in small: a boundary policy, a policy a role attaches by Ref, and that role. */
function berthTemplate(
  boundaryStatements: readonly Statement[] = [{ Effect: 'Allow', Action: 'logs:Describe*', Resource: '*' }],
) {
  return {
    Resources: {
      TaskBoundary: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          ManagedPolicyName: 'berth-dev-task-boundary',
          PolicyDocument: { Version: '2012-10-17', Statement: boundaryStatements },
        },
      },
      ReadQueues: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Path: '/berth/',
          Description: 'reads the queues',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'sqs:ReceiveMessage',
                // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fn::Sub placeholder
                Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs' },
              },
            ],
          },
        },
      },
      Worker: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'berth-dev-worker',
          ManagedPolicyArns: [{ Ref: 'ReadQueues' }],
          PermissionsBoundary: { Ref: 'TaskBoundary' },
          Policies: [
            {
              PolicyName: 'p',
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'logs:*', Resource: '*' },
                  { Effect: 'Allow', Action: 'iam:GetPolicy', Resource: { Ref: 'TaskBoundary' } },
                ],
              },
            },
          ],
        },
      },
    },
  };
}

describe('the template loader', () => {
  it('reads a named ManagedPolicy with its resolved document, and Ref to it is its ARN', () => {
    // Act
    const { roles, policies } = iamFromTemplate(berthTemplate(), ENVIRONMENT);

    // Assess
    expect(policies.get('TaskBoundary')).toMatchObject({
      policyName: 'berth-dev-task-boundary',
      nameGenerated: false,
      policyArn: BOUNDARY_ARN,
      path: '/',
    });
    expect(policies.get(BOUNDARY_ARN)).toBe(policies.get('TaskBoundary'));
    const worker = roles.get('berth-dev-worker');
    expect(worker?.statements).toContainEqual({
      Effect: 'Allow',
      Action: 'iam:GetPolicy',
      Resource: BOUNDARY_ARN,
    });
    expect(worker?.boundaryArn).toBe(BOUNDARY_ARN);
    expect(worker?.boundaryStatements).toEqual([
      { Effect: 'Allow', Action: 'logs:Describe*', Resource: '*' },
    ]);
  });

  it('names a ManagedPolicy without a name by its logical id, under its Path, and attaches it by Ref', () => {
    // Act
    const { roles, policies } = iamFromTemplate(berthTemplate(), ENVIRONMENT);

    // Assess
    const arn = `arn:aws:iam::${ACCOUNT}:policy/berth/ReadQueues`;
    expect(policies.get('ReadQueues')).toMatchObject({
      policyName: 'ReadQueues',
      nameGenerated: true,
      policyArn: arn,
      path: '/berth/',
      description: 'reads the queues',
    });
    const worker = roles.get('Worker');
    expect(worker?.managedPolicyArns).toEqual([arn]);
    expect(worker?.statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sqs:ReceiveMessage',
      Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`,
    });
  });

  it('gives a role the statements of a ManagedPolicy that names it in its Roles', () => {
    // Prepare
    const template = berthTemplate();
    const readQueues = template.Resources.ReadQueues.Properties as Record<string, unknown>;
    readQueues.Roles = [{ Ref: 'Worker' }];
    (template.Resources.Worker.Properties as Record<string, unknown>).ManagedPolicyArns = [];

    // Act
    const worker = iamFromTemplate(template, ENVIRONMENT).roles.get('Worker');

    // Assess
    expect(worker?.managedPolicyArns).toEqual([`arn:aws:iam::${ACCOUNT}:policy/berth/ReadQueues`]);
    expect(worker?.statements.map((statement) => statement.Action)).toContain('sqs:ReceiveMessage');
  });

  it('refuses a customer policy ARN that no ManagedPolicy of the template has', () => {
    // Prepare
    const template = berthTemplate();
    template.Resources.Worker.Properties.PermissionsBoundary = OTHER_ARN as never;

    // Act
    const load = () => iamFromTemplate(template, ENVIRONMENT);

    // Assess
    expect(load).toThrow(TemplateError);
    expect(load).toThrow(/Worker\.Properties\.PermissionsBoundary: no built-in copy .*other-boundary/);
  });
});

describe('through the simulated IAM API', () => {
  const suite = iamSuite([iam, logs]);

  /** A role created through the API with `statements` inline and `boundary`, and a logs client as it. */
  async function boundedRole(name: string, statements: readonly Statement[], boundary: string) {
    await suite.operator.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: ecsTasksTrustPolicy,
        PermissionsBoundary: boundary,
      }),
    );
    await suite.operator.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: 'task',
        PolicyDocument: policyDocument(statements),
      }),
    );
    return new CloudWatchLogsClient(suite.sessionOf(name));
  }

  describe('template policies', () => {
    it('answers GetPolicy and GetPolicyVersion (v1) for a policy the template declares', async () => {
      // Prepare
      suite.services.running.sim.loadTemplateRoles(berthTemplate(), 'berth-dev');

      // Act
      const policy = await suite.operator.send(new GetPolicyCommand({ PolicyArn: BOUNDARY_ARN }));
      const version = await suite.operator.send(
        new GetPolicyVersionCommand({
          PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/berth/ReadQueues`,
          VersionId: 'v1',
        }),
      );

      // Assess
      expect(policy.Policy).toMatchObject({
        PolicyName: 'berth-dev-task-boundary',
        Arn: BOUNDARY_ARN,
        Path: '/',
        DefaultVersionId: 'v1',
        IsAttachable: true,
        PermissionsBoundaryUsageCount: 1,
        AttachmentCount: 0,
      });
      expect(version.PolicyVersion).toMatchObject({ VersionId: 'v1', IsDefaultVersion: true });
      expect(decodeURIComponent(version.PolicyVersion?.Document ?? '')).toContain(
        `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`,
      );
    });

    it('holds a template role to its template boundary, and lets it read its own boundary by Ref', async () => {
      // Prepare
      suite.services.running.sim.loadTemplateRoles(berthTemplate(), 'berth-dev');
      const credentials = suite.services.running.sim.iam.issueCredentials('berth-dev-worker', 'worker');
      const client = new CloudWatchLogsClient({ ...suite.services.clientConfig, credentials });

      // Act
      const described = await client.send(new DescribeLogGroupsCommand({}));
      const refused = await refusalOf(client.send(new CreateLogGroupCommand({ logGroupName: 'g' })));

      // Assess
      expect(described.logGroups).toEqual([]);
      expect(refused.name).toBe('AccessDeniedException');
      expect(refused.message).toContain(
        'because no permissions boundary allows the logs:CreateLogGroup action',
      );
      client.destroy();
    });

    it('refuses DeletePolicy of a template policy (UnmodifiableEntity) and GetPolicy of an unknown one', async () => {
      // Prepare
      suite.services.running.sim.loadTemplateRoles(berthTemplate(), 'berth-dev');

      // Act
      const deleted = await refusalOf(
        suite.operator.send(new DeletePolicyCommand({ PolicyArn: BOUNDARY_ARN })),
      );
      const unknown = await refusalOf(suite.operator.send(new GetPolicyCommand({ PolicyArn: OTHER_ARN })));

      // Assess
      expect(deleted.name).toBe('UnmodifiableEntityException');
      expect(unknown.name).toBe('NoSuchEntityException');
      expect(unknown.message).toBe(`Policy ${OTHER_ARN} was not found.`);
    });
  });

  describe('a customer managed policy as a boundary', () => {
    beforeEach(() => {
      suite.services.running.sim.loadTemplateRoles(berthTemplate(), 'berth-dev');
    });

    it('refuses what the inline policy allows but the boundary does not, and allows what both allow', async () => {
      // Prepare
      const client = await boundedRole(
        'berth-dev-api-task',
        [{ Effect: 'Allow', Action: ['logs:DescribeLogGroups', 'logs:CreateLogGroup'], Resource: '*' }],
        BOUNDARY_ARN,
      );

      // Act
      const allowed = await client.send(new DescribeLogGroupsCommand({}));
      const refused = await refusalOf(client.send(new CreateLogGroupCommand({ logGroupName: 'g' })));

      // Assess
      expect(allowed.logGroups).toEqual([]);
      expect(refused.name).toBe('AccessDeniedException');
      expect(refused.message).toContain(
        'because no permissions boundary allows the logs:CreateLogGroup action',
      );
      expect(refused.message).toContain(BOUNDARY_ARN);
      client.destroy();
    });

    it('shows the boundary on GetRole', async () => {
      // Prepare
      await boundedRole('berth-dev-shown', [], BOUNDARY_ARN);

      // Act
      const role = await suite.operator.send(new GetRoleCommand({ RoleName: 'berth-dev-shown' }));

      // Assess
      expect(role.Role?.PermissionsBoundary).toEqual({
        PermissionsBoundaryType: 'Policy',
        PermissionsBoundaryArn: BOUNDARY_ARN,
      });
    });

    it('lets an explicit Deny of the boundary win over an Allow of both', async () => {
      // Prepare
      const created = await suite.operator.send(
        new CreatePolicyCommand({
          PolicyName: 'no-deletes',
          PolicyDocument: policyDocument([
            { Effect: 'Allow', Action: 'logs:*', Resource: '*' },
            { Effect: 'Deny', Action: 'logs:DeleteLogGroup', Resource: '*' },
          ]),
        }),
      );
      const arn = created.Policy?.Arn ?? '';
      const client = await boundedRole(
        'berth-dev-denied',
        [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }],
        arn,
      );

      // Act
      const created2 = await client.send(new CreateLogGroupCommand({ logGroupName: 'kept' }));
      const refused = await refusalOf(client.send(new DeleteLogGroupCommand({ logGroupName: 'kept' })));
      const decision = suite.services.running.sim.iam.roleAllows(
        `arn:aws:iam::${ACCOUNT}:role/berth-dev-denied`,
        {
          action: 'logs:DeleteLogGroup',
          resource: '*',
        },
      );

      // Assess
      expect(created2.$metadata.httpStatusCode).toBe(200);
      expect(refused.name).toBe('AccessDeniedException');
      expect(refused.message).toContain('with an explicit deny in a permissions boundary');
      expect(decision).toMatchObject({ decision: 'ExplicitDeny', policyType: 'permissions boundary' });
      client.destroy();
    });

    it('answers NoSuchEntity for an unknown boundary on CreateRole and PutRolePermissionsBoundary', async () => {
      // Prepare
      await suite.operator.send(
        new CreateRoleCommand({ RoleName: 'berth-dev-plain', AssumeRolePolicyDocument: ecsTasksTrustPolicy }),
      );

      // Act
      const created = await refusalOf(
        suite.operator.send(
          new CreateRoleCommand({
            RoleName: 'berth-dev-unknown',
            AssumeRolePolicyDocument: ecsTasksTrustPolicy,
            PermissionsBoundary: OTHER_ARN,
          }),
        ),
      );
      const put = await refusalOf(
        suite.operator.send(
          new PutRolePermissionsBoundaryCommand({
            RoleName: 'berth-dev-plain',
            PermissionsBoundary: OTHER_ARN,
          }),
        ),
      );

      // Assess
      expect(created.name).toBe('NoSuchEntityException');
      expect(created.message).toBe(`Scope ARN: ${OTHER_ARN} does not exist or is not attachable.`);
      expect(put.name).toBe('NoSuchEntityException');
    });

    it('sets and removes a boundary with PutRolePermissionsBoundary / DeleteRolePermissionsBoundary', async () => {
      // Prepare
      const client = await boundedRole(
        'berth-dev-later',
        [{ Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: '*' }],
        BOUNDARY_ARN,
      );
      await suite.operator.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'berth-dev-later' }));

      // Act
      const unbounded = await client.send(new CreateLogGroupCommand({ logGroupName: 'a' }));
      await suite.operator.send(
        new PutRolePermissionsBoundaryCommand({
          RoleName: 'berth-dev-later',
          PermissionsBoundary: BOUNDARY_ARN,
        }),
      );
      const bounded = await refusalOf(client.send(new CreateLogGroupCommand({ logGroupName: 'b' })));

      // Assess
      expect(unbounded.$metadata.httpStatusCode).toBe(200);
      expect(bounded.name).toBe('AccessDeniedException');
      client.destroy();
    });
  });

  describe('CreatePolicy, GetPolicy, DeletePolicy, ListPolicies', () => {
    const readLogs = policyDocument([{ Effect: 'Allow', Action: 'logs:Describe*', Resource: '*' }]);

    it('creates a policy under its path and answers it with GetPolicy and GetPolicyVersion', async () => {
      // Act
      const created = await suite.operator.send(
        new CreatePolicyCommand({
          PolicyName: 'berth-dev-read',
          Path: '/berth/',
          PolicyDocument: readLogs,
          Description: 'reads logs',
          Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
        }),
      );
      const arn = `arn:aws:iam::${ACCOUNT}:policy/berth/berth-dev-read`;
      const got = await suite.operator.send(new GetPolicyCommand({ PolicyArn: arn }));
      const version = await suite.operator.send(
        new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }),
      );
      const missing = await refusalOf(
        suite.operator.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })),
      );

      // Assess
      expect(created.Policy).toMatchObject({
        Arn: arn,
        Path: '/berth/',
        DefaultVersionId: 'v1',
        AttachmentCount: 0,
      });
      expect(created.Policy?.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
      expect(got.Policy).toMatchObject({
        PolicyName: 'berth-dev-read',
        Description: 'reads logs',
        Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
      });
      expect(decodeURIComponent(version.PolicyVersion?.Document ?? '')).toBe(readLogs);
      expect(missing.name).toBe('NoSuchEntityException');
    });

    it('refuses a duplicate name, a malformed document and one over 6,144 characters without white space', async () => {
      // Prepare
      await suite.operator.send(new CreatePolicyCommand({ PolicyName: 'taken', PolicyDocument: readLogs }));
      const actions = Array.from({ length: 300 }, (_, index) => `logs:Describe${index}Something`);
      const tooBig = policyDocument([{ Effect: 'Allow', Action: actions, Resource: '*' }]);
      const spacious = `${readLogs}${' '.repeat(7000)}`;

      // Act
      const duplicate = await refusalOf(
        suite.operator.send(
          new CreatePolicyCommand({ PolicyName: 'TAKEN', Path: '/other/', PolicyDocument: readLogs }),
        ),
      );
      const malformed = await refusalOf(
        suite.operator.send(
          new CreatePolicyCommand({
            PolicyName: 'bad',
            PolicyDocument: '{"Statement": [{"Effect": "Maybe"}]}',
          }),
        ),
      );
      const limit = await refusalOf(
        suite.operator.send(new CreatePolicyCommand({ PolicyName: 'big', PolicyDocument: tooBig })),
      );
      const spaced = await suite.operator.send(
        new CreatePolicyCommand({ PolicyName: 'spaced', PolicyDocument: spacious }),
      );

      // Assess
      expect(tooBig.length).toBeGreaterThan(6144);
      expect(duplicate.name).toBe('EntityAlreadyExistsException');
      expect(duplicate.message).toBe(
        'A policy called TAKEN already exists. Duplicate names are not allowed.',
      );
      expect(malformed.name).toBe('MalformedPolicyDocumentException');
      expect(limit.name).toBe('LimitExceededException');
      expect(limit.message).toBe('Cannot exceed quota for PolicySize: 6144');
      expect(spaced.Policy?.PolicyName).toBe('spaced');
    });

    it('refuses DeletePolicy while the policy is a boundary, then while attached, then deletes it', async () => {
      // Prepare
      const created = await suite.operator.send(
        new CreatePolicyCommand({ PolicyName: 'bound', PolicyDocument: readLogs }),
      );
      const arn = created.Policy?.Arn ?? '';
      await boundedRole('berth-dev-user', [], arn);
      await suite.operator.send(
        new CreateRoleCommand({
          RoleName: 'berth-dev-attacher',
          AssumeRolePolicyDocument: ecsTasksTrustPolicy,
        }),
      );

      // Act
      const whileBoundary = await refusalOf(suite.operator.send(new DeletePolicyCommand({ PolicyArn: arn })));
      await suite.operator.send(
        new AttachRolePolicyCommand({ RoleName: 'berth-dev-attacher', PolicyArn: arn }),
      );
      const counted = await suite.operator.send(new GetPolicyCommand({ PolicyArn: arn }));
      await suite.operator.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'berth-dev-user' }));
      const whileAttached = await refusalOf(suite.operator.send(new DeletePolicyCommand({ PolicyArn: arn })));
      await suite.operator.send(
        new DetachRolePolicyCommand({ RoleName: 'berth-dev-attacher', PolicyArn: arn }),
      );
      await suite.operator.send(new DeletePolicyCommand({ PolicyArn: arn }));
      const gone = await refusalOf(suite.operator.send(new GetPolicyCommand({ PolicyArn: arn })));

      // Assess
      expect(whileBoundary.name).toBe('DeleteConflictException');
      expect(whileBoundary.message).toBe('Cannot delete a policy attached to entities.');
      expect(counted.Policy).toMatchObject({ AttachmentCount: 1, PermissionsBoundaryUsageCount: 1 });
      expect(whileAttached.name).toBe('DeleteConflictException');
      expect(gone.name).toBe('NoSuchEntityException');
    });

    it('lists the local policies (template and API) for Scope=Local, and forgets API ones on reset', async () => {
      // Prepare
      suite.services.running.sim.loadTemplateRoles(berthTemplate(), 'berth-dev');
      await suite.operator.send(
        new CreatePolicyCommand({ PolicyName: 'api-made', PolicyDocument: readLogs }),
      );

      // Act
      const local = await suite.operator.send(new ListPoliciesCommand({ Scope: 'Local' }));
      const onlyBoundaries = await suite.operator.send(
        new ListPoliciesCommand({
          Scope: 'Local',
          OnlyAttached: true,
          PolicyUsageFilter: 'PermissionsBoundary',
        }),
      );
      suite.services.running.sim.reset();
      const afterReset = await suite.operator.send(new ListPoliciesCommand({ Scope: 'Local' }));

      // Assess
      expect(local.Policies?.map((policy) => policy.PolicyName)).toEqual([
        'ReadQueues',
        'api-made',
        'berth-dev-task-boundary',
      ]);
      expect(onlyBoundaries.Policies?.map((policy) => policy.PolicyName)).toEqual([
        'berth-dev-task-boundary',
      ]);
      expect(afterReset.Policies?.map((policy) => policy.PolicyName)).toEqual([
        'ReadQueues',
        'berth-dev-task-boundary',
      ]);
    });
  });

  describe('authorisation', () => {
    const policyArn = (name: string) => `arn:aws:iam::${ACCOUNT}:policy/berth/${name}`;
    const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

    it('refuses CreatePolicy and GetPolicy without the grant, and allows them with it', async () => {
      // Prepare
      const without = new IAMClient(asRole(suite.services, 'NoPolicyGrant', []));
      const withGrant = new IAMClient(
        asRole(suite.services, 'PolicyMaker', [
          { Effect: 'Allow', Action: ['iam:CreatePolicy', 'iam:GetPolicy'], Resource: policyArn('*') },
        ]),
      );
      const input = {
        PolicyName: 'p',
        Path: '/berth/',
        PolicyDocument: policyDocument([{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }]),
      };

      // Act
      const refused = await refusalOf(without.send(new CreatePolicyCommand(input)));
      const created = await withGrant.send(new CreatePolicyCommand(input));
      const readRefused = await refusalOf(without.send(new GetPolicyCommand({ PolicyArn: policyArn('p') })));
      const read = await withGrant.send(new GetPolicyCommand({ PolicyArn: policyArn('p') }));

      // Assess
      expect(refused.name).toBe('AccessDenied');
      expect(refused.$metadata?.httpStatusCode).toBe(403);
      expect(refused.message).toContain(`iam:CreatePolicy on resource: ${policyArn('p')}`);
      expect(created.Policy?.Arn).toBe(policyArn('p'));
      expect(readRefused.name).toBe('AccessDenied');
      expect(readRefused.message).toContain(`iam:GetPolicy on resource: ${policyArn('p')}`);
      expect(read.Policy?.PolicyName).toBe('p');
      without.destroy();
      withGrant.destroy();
    });

    it('refuses DeletePolicy without iam:DeletePolicy on the policy', async () => {
      // Prepare
      await suite.operator.send(
        new CreatePolicyCommand({
          PolicyName: 'kept',
          Path: '/berth/',
          PolicyDocument: policyDocument([{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }]),
        }),
      );
      const client = new IAMClient(
        asRole(suite.services, 'WrongDeleter', [
          { Effect: 'Allow', Action: 'iam:DeletePolicy', Resource: policyArn('other') },
        ]),
      );

      // Act
      const refused = await refusalOf(client.send(new DeletePolicyCommand({ PolicyArn: policyArn('kept') })));

      // Assess
      expect(refused.name).toBe('AccessDenied');
      expect(refused.message).toContain(`iam:DeletePolicy on resource: ${policyArn('kept')}`);
      client.destroy();
    });

    describe('iam:PermissionsBoundary', () => {
      beforeEach(async () => {
        suite.services.running.sim.loadTemplateRoles(berthTemplate(), 'berth-dev');
        await suite.operator.send(
          new CreatePolicyCommand({
            PolicyName: 'other-boundary',
            PolicyDocument: policyDocument([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
          }),
        );
      });

      const requiresBoundary: Statement = {
        Effect: 'Allow',
        Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary'],
        Resource: roleArn('berth-dev-*'),
        Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY_ARN } },
      };

      it('refuses CreateRole without the boundary the grant requires, or with another, and allows it with it', async () => {
        // Prepare
        const client = new IAMClient(asRole(suite.services, 'BoundedMaker', [requiresBoundary]));
        const create = (name: string, boundary?: string) =>
          client.send(
            new CreateRoleCommand({
              RoleName: name,
              AssumeRolePolicyDocument: ecsTasksTrustPolicy,
              ...(boundary ? { PermissionsBoundary: boundary } : {}),
            }),
          );

        // Act
        const without = await refusalOf(create('berth-dev-a'));
        const other = await refusalOf(create('berth-dev-b', OTHER_ARN));
        const created = await create('berth-dev-c', BOUNDARY_ARN);

        // Assess
        expect(without.name).toBe('AccessDenied');
        expect(without.message).toContain(`iam:CreateRole on resource: ${roleArn('berth-dev-a')}`);
        expect(other.name).toBe('AccessDenied');
        expect(other.message).toContain(`iam:CreateRole on resource: ${roleArn('berth-dev-b')}`);
        expect(created.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(BOUNDARY_ARN);
        client.destroy();
      });

      it('refuses PutRolePermissionsBoundary with another boundary, and allows it with the required one', async () => {
        // Prepare
        await suite.operator.send(
          new CreateRoleCommand({
            RoleName: 'berth-dev-target',
            AssumeRolePolicyDocument: ecsTasksTrustPolicy,
          }),
        );
        const client = new IAMClient(asRole(suite.services, 'BoundarySetter', [requiresBoundary]));

        // Act
        const other = await refusalOf(
          client.send(
            new PutRolePermissionsBoundaryCommand({
              RoleName: 'berth-dev-target',
              PermissionsBoundary: OTHER_ARN,
            }),
          ),
        );
        await client.send(
          new PutRolePermissionsBoundaryCommand({
            RoleName: 'berth-dev-target',
            PermissionsBoundary: BOUNDARY_ARN,
          }),
        );
        const role = await suite.operator.send(new GetRoleCommand({ RoleName: 'berth-dev-target' }));

        // Assess
        expect(other.name).toBe('AccessDenied');
        expect(other.message).toContain(
          `iam:PutRolePermissionsBoundary on resource: ${roleArn('berth-dev-target')}`,
        );
        expect(role.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(BOUNDARY_ARN);
        client.destroy();
      });

      it("carries the role's customer boundary on PutRolePolicy", async () => {
        // Prepare
        await suite.operator.send(
          new CreateRoleCommand({
            RoleName: 'berth-dev-held',
            AssumeRolePolicyDocument: ecsTasksTrustPolicy,
            PermissionsBoundary: BOUNDARY_ARN,
          }),
        );
        await suite.operator.send(
          new CreateRoleCommand({
            RoleName: 'berth-dev-free',
            AssumeRolePolicyDocument: ecsTasksTrustPolicy,
          }),
        );
        const client = new IAMClient(
          asRole(suite.services, 'InlineWriter', [
            {
              Effect: 'Allow',
              Action: 'iam:PutRolePolicy',
              Resource: roleArn('berth-dev-*'),
              Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY_ARN } },
            },
          ]),
        );
        const put = (roleName: string) =>
          client.send(
            new PutRolePolicyCommand({
              RoleName: roleName,
              PolicyName: 'x',
              PolicyDocument: policyDocument([{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }]),
            }),
          );

        // Act
        const held = await put('berth-dev-held');
        const free = await refusalOf(put('berth-dev-free'));

        // Assess
        expect(held.$metadata.httpStatusCode).toBe(200);
        expect(free.name).toBe('AccessDenied');
        expect(free.message).toContain(`iam:PutRolePolicy on resource: ${roleArn('berth-dev-free')}`);
        client.destroy();
      });
    });
  });
});
