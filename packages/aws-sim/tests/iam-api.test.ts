/**
 * The simulated IAM API through the SDK v3 IAM client: the role operations berth uses, AWS's errors,
 * and the point of it all — a role created here is evaluated like a role of the template (its inline
 * and attached policies, its boundary), and the IAM calls themselves are authorised as AWS does.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
} from '@aws-sdk/client-iam';
import type { Statement } from '../src/iam/policy';
import { iam } from '../src/services/iam';
import { logs } from '../src/services/logs';
import { ACCOUNT, asRole, refusalOf } from './iam-session';
import { ecsTasksTrustPolicy, iamSuite, policyDocument } from './support/iam-suite';

const suite = iamSuite([iam, logs]);

const EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

function createRole(
  roleName: string,
  extra: Partial<ConstructorParameters<typeof CreateRoleCommand>[0]> = {},
) {
  return suite.operator.send(
    new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: ecsTasksTrustPolicy, ...extra }),
  );
}

describe('roles', () => {
  it('creates a role and answers it with its path, URL-encoded trust policy, boundary and tags', async () => {
    // Prepare
    await createRole('berth-dev-execution', {
      Path: '/berth/',
      Description: 'task execution role of dev',
      MaxSessionDuration: 7200,
      PermissionsBoundary: EXECUTION_POLICY,
      Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
    });

    // Act
    const { Role: role } = await suite.operator.send(new GetRoleCommand({ RoleName: 'berth-dev-execution' }));

    // Assess
    expect(role).toMatchObject({
      RoleName: 'berth-dev-execution',
      Path: '/berth/',
      Arn: `arn:aws:iam::${ACCOUNT}:role/berth/berth-dev-execution`,
      Description: 'task execution role of dev',
      MaxSessionDuration: 7200,
      PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: EXECUTION_POLICY },
      Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
    });
    expect(role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(role?.CreateDate).toBeInstanceOf(Date);
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      JSON.parse(ecsTasksTrustPolicy),
    );
  });

  it('refuses a second role of the same name, whatever its case, with EntityAlreadyExists', async () => {
    // Prepare
    await createRole('berth-dev-execution');

    // Act
    const refusal = await refusalOf(createRole('BERTH-DEV-EXECUTION'));

    // Assess
    expect(refusal.name).toBe('EntityAlreadyExistsException');
    expect(refusal.$metadata?.httpStatusCode).toBe(409);
  });

  it('refuses a role name outside [\\w+=,.@-]{1,64} with ValidationError', async () => {
    // Act
    const refusal = await refusalOf(createRole('berth dev'));

    // Assess
    expect(refusal.name).toBe('ValidationError');
    expect(refusal.$metadata?.httpStatusCode).toBe(400);
    expect(refusal.message).toContain("at 'roleName'");
  });

  it('refuses a trust policy that is not JSON with MalformedPolicyDocument', async () => {
    // Act
    const refusal = await refusalOf(
      createRole('berth-dev-execution', { AssumeRolePolicyDocument: '{"Version":' }),
    );

    // Assess
    expect(refusal.name).toBe('MalformedPolicyDocumentException');
    expect(refusal.$metadata?.httpStatusCode).toBe(400);
  });

  it('answers NoSuchEntity (404) for a role that does not exist', async () => {
    // Act
    const refusal = await refusalOf(suite.operator.send(new GetRoleCommand({ RoleName: 'nobody' })));

    // Assess
    expect(refusal.name).toBe('NoSuchEntityException');
    expect(refusal.$metadata?.httpStatusCode).toBe(404);
  });

  it('refuses to delete a role that still has an inline policy (DeleteConflict), and deletes it once it has none', async () => {
    // Prepare
    await createRole('berth-dev-task');
    await suite.operator.send(
      new PutRolePolicyCommand({
        RoleName: 'berth-dev-task',
        PolicyName: 'logs',
        PolicyDocument: policyDocument([{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }]),
      }),
    );

    // Act
    const conflict = await refusalOf(
      suite.operator.send(new DeleteRoleCommand({ RoleName: 'berth-dev-task' })),
    );
    await suite.operator.send(
      new DeleteRolePolicyCommand({ RoleName: 'berth-dev-task', PolicyName: 'logs' }),
    );
    await suite.operator.send(new DeleteRoleCommand({ RoleName: 'berth-dev-task' }));
    const gone = await refusalOf(suite.operator.send(new GetRoleCommand({ RoleName: 'berth-dev-task' })));

    // Assess
    expect(conflict.name).toBe('DeleteConflictException');
    expect(conflict.$metadata?.httpStatusCode).toBe(409);
    expect(gone.name).toBe('NoSuchEntityException');
  });

  it('refuses to delete a role with an attached managed policy (DeleteConflict)', async () => {
    // Prepare
    await createRole('berth-dev-execution');
    await suite.operator.send(
      new AttachRolePolicyCommand({ RoleName: 'berth-dev-execution', PolicyArn: EXECUTION_POLICY }),
    );

    // Act
    const conflict = await refusalOf(
      suite.operator.send(new DeleteRoleCommand({ RoleName: 'berth-dev-execution' })),
    );

    // Assess
    expect(conflict.name).toBe('DeleteConflictException');
  });

  it('lists roles under a path prefix, page by page with Marker and MaxItems', async () => {
    // Prepare
    for (const name of ['berth-a', 'berth-b', 'berth-c']) await createRole(name, { Path: '/berth/' });
    await createRole('other', { Path: '/other/' });

    // Act
    const first = await suite.operator.send(new ListRolesCommand({ PathPrefix: '/berth/', MaxItems: 2 }));
    const second = await suite.operator.send(
      new ListRolesCommand({ PathPrefix: '/berth/', MaxItems: 2, Marker: first.Marker }),
    );

    // Assess
    expect(first.Roles?.map((role) => role.RoleName)).toEqual(['berth-a', 'berth-b']);
    expect(first.IsTruncated).toBe(true);
    expect(second.Roles?.map((role) => role.RoleName)).toEqual(['berth-c']);
    expect(second.IsTruncated).toBe(false);
    expect(first.Roles?.[0]?.Tags).toBeUndefined();
  });

  it('shows a role of the template but refuses to change it (UnmodifiableEntity)', async () => {
    // Prepare
    asRole(suite.services, 'TemplateRole', [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }]);

    // Act
    const { Role: role } = await suite.operator.send(new GetRoleCommand({ RoleName: 'TemplateRole' }));
    const taken = await refusalOf(createRole('templaterole'));
    const refusal = await refusalOf(
      suite.operator.send(
        new AttachRolePolicyCommand({ RoleName: 'TemplateRole', PolicyArn: EXECUTION_POLICY }),
      ),
    );

    // Assess
    expect(role?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/TemplateRole`);
    expect(taken.name).toBe('EntityAlreadyExistsException');
    expect(refusal.name).toBe('UnmodifiableEntityException');
  });

  it('lists a created role in the inventory by tag, and forgets it on reset', async () => {
    // Prepare
    await createRole('berth-dev-execution', { Tags: [{ Key: 'berth:environment', Value: 'dev' }] });

    // Act
    const listed = (await (
      await fetch(`${suite.services.running.url}/_local/resources?tag=berth:environment=dev`)
    ).json()) as { resources: Record<string, Array<{ id: string }>> };
    await fetch(`${suite.services.running.url}/_local/reset`, { method: 'POST' });
    const afterReset = await refusalOf(
      suite.operator.send(new GetRoleCommand({ RoleName: 'berth-dev-execution' })),
    );

    // Assess
    expect(listed.resources['iam-role']?.map((role) => role.id)).toEqual(['berth-dev-execution']);
    expect(afterReset.name).toBe('NoSuchEntityException');
  });
});

describe('policies and tags', () => {
  it('keeps an inline policy and answers it URL-encoded', async () => {
    // Prepare
    await createRole('berth-dev-task');
    const document = policyDocument([{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }]);

    // Act
    await suite.operator.send(
      new PutRolePolicyCommand({ RoleName: 'berth-dev-task', PolicyName: 'logs', PolicyDocument: document }),
    );
    const names = await suite.operator.send(new ListRolePoliciesCommand({ RoleName: 'berth-dev-task' }));
    const policy = await suite.operator.send(
      new GetRolePolicyCommand({ RoleName: 'berth-dev-task', PolicyName: 'logs' }),
    );

    // Assess
    expect(names.PolicyNames).toEqual(['logs']);
    expect(decodeURIComponent(policy.PolicyDocument ?? '')).toBe(document);
  });

  it('refuses an inline policy that names a principal with MalformedPolicyDocument', async () => {
    // Prepare
    await createRole('berth-dev-task');

    // Act
    const refusal = await refusalOf(
      suite.operator.send(
        new PutRolePolicyCommand({
          RoleName: 'berth-dev-task',
          PolicyName: 'bad',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
          }),
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('MalformedPolicyDocumentException');
  });

  it('attaches and detaches an AWS managed policy it has a copy of', async () => {
    // Prepare
    await createRole('berth-dev-execution');

    // Act
    await suite.operator.send(
      new AttachRolePolicyCommand({ RoleName: 'berth-dev-execution', PolicyArn: EXECUTION_POLICY }),
    );
    const attached = await suite.operator.send(
      new ListAttachedRolePoliciesCommand({ RoleName: 'berth-dev-execution' }),
    );
    await suite.operator.send(
      new DetachRolePolicyCommand({ RoleName: 'berth-dev-execution', PolicyArn: EXECUTION_POLICY }),
    );
    const detached = await suite.operator.send(
      new ListAttachedRolePoliciesCommand({ RoleName: 'berth-dev-execution' }),
    );

    // Assess
    expect(attached.AttachedPolicies).toEqual([
      { PolicyName: 'AmazonECSTaskExecutionRolePolicy', PolicyArn: EXECUTION_POLICY },
    ]);
    expect(detached.AttachedPolicies).toEqual([]);
  });

  it('refuses to attach a policy ARN it has no copy of with NoSuchEntity', async () => {
    // Prepare
    await createRole('berth-dev-execution');

    // Act
    const refusal = await refusalOf(
      suite.operator.send(
        new AttachRolePolicyCommand({
          RoleName: 'berth-dev-execution',
          PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('NoSuchEntityException');
    expect(refusal.message).toContain('AdministratorAccess');
  });

  it('tags and untags a role, and lists its tags sorted by key', async () => {
    // Prepare
    await createRole('berth-dev-task', { Tags: [{ Key: 'team', Value: 'payments' }] });

    // Act
    await suite.operator.send(
      new TagRoleCommand({
        RoleName: 'berth-dev-task',
        Tags: [
          { Key: 'berth:service', Value: 'api' },
          { Key: 'stage', Value: 'dev' },
        ],
      }),
    );
    await suite.operator.send(new UntagRoleCommand({ RoleName: 'berth-dev-task', TagKeys: ['stage'] }));
    const tags = await suite.operator.send(new ListRoleTagsCommand({ RoleName: 'berth-dev-task' }));

    // Assess
    expect(tags.Tags).toEqual([
      { Key: 'berth:service', Value: 'api' },
      { Key: 'team', Value: 'payments' },
    ]);
  });
});

describe('evaluation of roles created through the API', () => {
  const describeLogGroups: Statement = { Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' };

  it('allows what its inline policy allows, and no longer once the policy is deleted', async () => {
    // Prepare
    await createRole('berth-dev-reader');
    await suite.operator.send(
      new PutRolePolicyCommand({
        RoleName: 'berth-dev-reader',
        PolicyName: 'read',
        PolicyDocument: policyDocument([describeLogGroups]),
      }),
    );
    const client = new CloudWatchLogsClient(suite.sessionOf('berth-dev-reader'));

    // Act
    const allowed = await client.send(new DescribeLogGroupsCommand({}));
    await suite.operator.send(
      new DeleteRolePolicyCommand({ RoleName: 'berth-dev-reader', PolicyName: 'read' }),
    );
    const refused = await refusalOf(client.send(new DescribeLogGroupsCommand({})));

    // Assess
    expect(allowed.logGroups).toEqual([]);
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain('assumed-role/berth-dev-reader/');
    client.destroy();
  });

  it('holds the role to its permissions boundary', async () => {
    // Prepare
    await createRole('berth-dev-bounded', { PermissionsBoundary: EXECUTION_POLICY });
    await suite.operator.send(
      new PutRolePolicyCommand({
        RoleName: 'berth-dev-bounded',
        PolicyName: 'read',
        PolicyDocument: policyDocument([describeLogGroups]),
      }),
    );
    const client = new CloudWatchLogsClient(suite.sessionOf('berth-dev-bounded'));

    // Act
    const refused = await refusalOf(client.send(new DescribeLogGroupsCommand({})));

    // Assess
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain('permissions boundary');
    client.destroy();
  });

  it('is what a service acting as the role sees: its attached managed policy allows, nothing else does', async () => {
    // Prepare
    const created = await createRole('berth-dev-execution');
    await suite.operator.send(
      new AttachRolePolicyCommand({ RoleName: 'berth-dev-execution', PolicyArn: EXECUTION_POLICY }),
    );
    const arn = created.Role?.Arn ?? '';

    // Act
    const pull = suite.services.running.sim.iam.roleAllows(arn, {
      action: 'ecr:BatchGetImage',
      resource: '*',
    });
    const other = suite.services.running.sim.iam.roleAllows(arn, { action: 'ecs:RunTask', resource: '*' });

    // Assess
    expect(pull.decision).toBe('Allow');
    expect(other.decision).toBe('ImplicitDeny');
  });
});

describe('authorisation of the IAM calls', () => {
  const berthRole = (name: string) => `arn:aws:iam::${ACCOUNT}:role/berth/${name}`;
  const createTagged: Statement = {
    Effect: 'Allow',
    Action: 'iam:CreateRole',
    Resource: berthRole('*'),
    Condition: { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } },
  };
  const tagOnCreate: Statement = {
    Effect: 'Allow',
    Action: 'iam:TagRole',
    Resource: berthRole('*'),
    Condition: { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } },
  };
  const tagged = { Path: '/berth/', Tags: [{ Key: 'berth:managed-by', Value: 'berth' }] };

  it('allows CreateRole with tags when the role may create and tag under its path', async () => {
    // Prepare
    const client = new IAMClient(asRole(suite.services, 'RoleMaker', [createTagged, tagOnCreate]));

    // Act
    const created = await client.send(
      new CreateRoleCommand({
        RoleName: 'berth-dev-task',
        AssumeRolePolicyDocument: ecsTasksTrustPolicy,
        ...tagged,
      }),
    );

    // Assess
    expect(created.Role?.Arn).toBe(berthRole('berth-dev-task'));
    client.destroy();
  });

  it('refuses CreateRole with tags without iam:TagRole, naming the implicit TagRole', async () => {
    // Prepare
    const client = new IAMClient(asRole(suite.services, 'RoleMakerNoTag', [createTagged]));

    // Act
    const refusal = await refusalOf(
      client.send(
        new CreateRoleCommand({
          RoleName: 'berth-dev-task',
          AssumeRolePolicyDocument: ecsTasksTrustPolicy,
          ...tagged,
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.$metadata?.httpStatusCode).toBe(403);
    expect(refusal.message).toContain(`iam:TagRole on resource: ${berthRole('berth-dev-task')}`);
    client.destroy();
  });

  it('refuses CreateRole without the required tag, naming iam:CreateRole', async () => {
    // Prepare
    const client = new IAMClient(asRole(suite.services, 'RoleMakerUntagged', [createTagged, tagOnCreate]));

    // Act
    const refusal = await refusalOf(
      client.send(
        new CreateRoleCommand({
          RoleName: 'berth-dev-task',
          AssumeRolePolicyDocument: ecsTasksTrustPolicy,
          Path: '/berth/',
        }),
      ),
    );

    // Assess
    expect(refusal.message).toContain(`iam:CreateRole on resource: ${berthRole('berth-dev-task')}`);
    client.destroy();
  });

  it('allows AttachRolePolicy only for the policy ARN its iam:PolicyARN condition names', async () => {
    // Prepare
    await createRole('berth-dev-execution', { Path: '/berth/' });
    const client = new IAMClient(
      asRole(suite.services, 'Attacher', [
        {
          Effect: 'Allow',
          Action: 'iam:AttachRolePolicy',
          Resource: berthRole('*'),
          Condition: { ArnEquals: { 'iam:PolicyARN': EXECUTION_POLICY } },
        },
      ]),
    );
    const ecsForEc2 = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';

    // Act
    await client.send(
      new AttachRolePolicyCommand({ RoleName: 'berth-dev-execution', PolicyArn: EXECUTION_POLICY }),
    );
    const refusal = await refusalOf(
      client.send(new AttachRolePolicyCommand({ RoleName: 'berth-dev-execution', PolicyArn: ecsForEc2 })),
    );

    // Assess
    expect(refusal.message).toContain('iam:AttachRolePolicy');
    client.destroy();
  });

  it('allows PutRolePolicy only on roles carrying the tag its aws:ResourceTag condition names', async () => {
    // Prepare
    await createRole('berth-dev-task', tagged);
    await createRole('foreign-task', { Path: '/berth/' });
    const client = new IAMClient(
      asRole(suite.services, 'PolicyWriter', [
        {
          Effect: 'Allow',
          Action: 'iam:PutRolePolicy',
          Resource: berthRole('*'),
          Condition: { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } },
        },
      ]),
    );
    const put = (roleName: string) =>
      client.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: 'logs',
          PolicyDocument: policyDocument([{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }]),
        }),
      );

    // Act
    await put('berth-dev-task');
    const refusal = await refusalOf(put('foreign-task'));

    // Assess
    expect(refusal.message).toContain(`iam:PutRolePolicy on resource: ${berthRole('foreign-task')}`);
    client.destroy();
  });
});

describe('endpoint', () => {
  it('is reached through AWS_ENDPOINT_URL_IAM', async () => {
    // Prepare
    const previous = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = suite.services.running.url;
    const { endpoint: _endpoint, ...withoutEndpoint } = suite.services.clientConfig;
    const client = new IAMClient(withoutEndpoint);
    await createRole('berth-dev-execution');

    // Act
    const answer = await client.send(new GetRoleCommand({ RoleName: 'berth-dev-execution' }));

    // Assess
    expect(answer.Role?.RoleName).toBe('berth-dev-execution');
    client.destroy();
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
    else process.env.AWS_ENDPOINT_URL_IAM = previous;
  });
});
