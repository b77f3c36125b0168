/**
 * shared/aws/iam.ts against the simulated IAM, called as berth's own step roles: the statements
 * infra/functions/steps.js declares for create-execution-role and the teardown pass, with this
 * account's ARNs. What the grants allow succeeds; what AWS would refuse them is refused.
 */
import {
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { iam } from '@berth/aws-sim/services/iam';
import { asRole, refusalOf } from '@berth/aws-sim/tests/iam-session';
import { deleteEnvironmentRoles, ensureExecutionRole, ensureInstanceRole } from '../../shared/aws/iam';
import { EXECUTION_ROLE_POLICY_NAME, executionRolePolicy } from '../../shared/domain/execution-role';
import { INSTANCE_ROLE_POLICY_NAME, instanceRolePolicy } from '../../shared/domain/instance-role';
import { environmentTags, names, tagList } from '../../shared/domain/naming';
import { ACCOUNT, declaredGrants, REGION } from './declared-grants';
import { awsWithOperator, environment, inlinePolicyOf, specWith } from './simulated-aws';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/db-AbCdEf';
const PARAMETER = 'arn:aws:ssm:us-east-1:123456789012:parameter/payments/api-key';

const suite = awsWithOperator([iam]);
let asCreateStep: IAMClient;
let asTeardown: IAMClient;
let asCreateCluster: IAMClient;

beforeEach(() => {
  suite.aws.running.sim.reset();
  asCreateStep = new IAMClient(
    asRole(suite.aws, 'CreateExecutionRoleRole', declaredGrants('createExecutionRole', 'iam')),
  );
  asTeardown = new IAMClient(asRole(suite.aws, 'TeardownPassRole', declaredGrants('teardownPass', 'iam')));
  asCreateCluster = new IAMClient(
    asRole(suite.aws, 'CreateClusterRole', declaredGrants('createCluster', 'iam')),
  );
});

afterEach(() => {
  asCreateStep.destroy();
  asTeardown.destroy();
  asCreateCluster.destroy();
});

/** A role of the environment's execution-role name created by someone else, with `tags`. */
async function roleMadeElsewhere(env: { id: string }, tags: Record<string, string>): Promise<void> {
  await suite.operator.send(
    new CreateRoleCommand({
      RoleName: names.executionRole(env),
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      Tags: tagList(tags),
    }),
  );
}

describe('ensureExecutionRole', () => {
  it("creates the role with the environment's tags, ECS tasks' trust and the spec's policy", async () => {
    // Prepare
    const env = environment('shop', 'A1B2C3D4');
    const spec = specWith([{ name: 'api', secrets: { DB_PASSWORD: SECRET, API_KEY: PARAMETER } }]);
    const tags = environmentTags(env, { costCentre: '42' });

    // Act
    const { roleArn } = await ensureExecutionRole(env, spec, { region: REGION, tags }, asCreateStep);

    // Assess
    const roleName = names.executionRole(env);
    expect(roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${roleName}`);
    const { Role: role } = await suite.operator.send(new GetRoleCommand({ RoleName: roleName }));
    expect(role?.Tags).toEqual(expect.arrayContaining(tagList(tags)));
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    expect(await inlinePolicyOf(suite.operator, roleName, EXECUTION_ROLE_POLICY_NAME)).toEqual(
      executionRolePolicy({ partition: 'aws', account: ACCOUNT, region: REGION }, env, spec),
    );
  });

  it('gives the same role when run again, its one policy following the new spec', async () => {
    // Prepare
    const env = environment('shop', 'B1B2C3D4');
    const tags = environmentTags(env);
    const before = specWith([{ name: 'api', secrets: { DB_PASSWORD: SECRET } }]);
    const after = specWith([{ name: 'api', secrets: { API_KEY: PARAMETER } }]);
    const first = await ensureExecutionRole(env, before, { region: REGION, tags }, asCreateStep);

    // Act
    const second = await ensureExecutionRole(env, after, { region: REGION, tags }, asCreateStep);

    // Assess
    const roleName = names.executionRole(env);
    expect(second.roleArn).toBe(first.roleArn);
    const listed = await suite.operator.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    expect(listed.PolicyNames).toEqual([EXECUTION_ROLE_POLICY_NAME]);
    const policy = await inlinePolicyOf(suite.operator, roleName, EXECUTION_ROLE_POLICY_NAME);
    expect(JSON.stringify(policy)).toContain(PARAMETER);
    expect(JSON.stringify(policy)).not.toContain(SECRET);
  });

  it("refuses to adopt a role of its name that carries another environment's tag, and leaves it alone", async () => {
    // Prepare
    const env = environment('shop', 'C1B2C3D4');
    const other = { ...environment('shop', 'C1B2C3D4', 'search'), id: `${env.id.slice(0, -1)}X` };
    await roleMadeElsewhere(env, environmentTags(other));

    // Act
    const refusal = await refusalOf(
      ensureExecutionRole(
        env,
        specWith([{ name: 'api', secrets: { DB_PASSWORD: SECRET } }]),
        { region: REGION, tags: environmentTags(env) },
        asCreateStep,
      ),
    );

    // Assess
    expect(refusal.name).toBe('ResourceOwnedElsewhere');
    const listed = await suite.operator.send(
      new ListRolePoliciesCommand({ RoleName: names.executionRole(env) }),
    );
    expect(listed.PolicyNames).toEqual([]);
  });

  it('is refused a create with tags without iam:TagRole, as AWS refuses it', async () => {
    // Prepare
    const withoutTagRole = declaredGrants('createExecutionRole', 'iam').map((statement) => ({
      ...statement,
      Action: (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter(
        (action) => action !== 'iam:TagRole',
      ),
    }));
    const client = new IAMClient(asRole(suite.aws, 'NoTagRoleRole', withoutTagRole));
    const env = environment('shop', 'D1B2C3D4');

    // Act
    const refusal = await refusalOf(
      ensureExecutionRole(
        env,
        specWith([{ name: 'api' }]),
        { region: REGION, tags: environmentTags(env) },
        client,
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain('iam:TagRole');
    client.destroy();
  });

  it("is refused PutRolePolicy on a role of berth's name that lacks berth's tag", async () => {
    // Prepare
    const env = environment('shop', 'E1B2C3D4');
    await roleMadeElsewhere(env, { 'berth:environment': env.id });

    // Act
    const refusal = await refusalOf(
      asCreateStep.send(
        new PutRolePolicyCommand({
          RoleName: names.executionRole(env),
          PolicyName: EXECUTION_ROLE_POLICY_NAME,
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
  });
});

describe('deleteEnvironmentRoles', () => {
  it("deletes the environment's role and its policy under the teardown pass's grants", async () => {
    // Prepare
    const env = environment('shop', 'F1B2C3D4');
    const spec = specWith([{ name: 'api', secrets: { DB_PASSWORD: SECRET } }]);
    await ensureExecutionRole(env, spec, { region: REGION, tags: environmentTags(env) }, asCreateStep);

    // Act
    const pass = await deleteEnvironmentRoles(env, [], asTeardown);

    // Assess
    expect(pass).toEqual({ done: true, blocked: [] });
    const gone = await refusalOf(
      suite.operator.send(new GetRoleCommand({ RoleName: names.executionRole(env) })),
    );
    expect(gone.name).toBe('NoSuchEntityException');
  });

  it('is done at once for an environment whose role was never created', async () => {
    // Act
    const pass = await deleteEnvironmentRoles(environment('shop', 'G1B2C3D4'), [], asTeardown);

    // Assess
    expect(pass).toEqual({ done: true, blocked: [] });
  });

  it('would be refused by a GetRole grant with a tag condition: a missing role has no tags', async () => {
    // Prepare
    const tagConditioned = declaredGrants('teardownPass', 'iam').map((statement) => ({
      ...statement,
      Condition: { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } },
    }));
    const client = new IAMClient(asRole(suite.aws, 'TagConditionedTeardownRole', tagConditioned));

    // Act
    const refusal = await refusalOf(deleteEnvironmentRoles(environment('shop', 'H1B2C3D4'), [], client));

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain('iam:GetRole');
    client.destroy();
  });

  it("leaves a role of berth's name that another environment owns", async () => {
    // Prepare
    const env = environment('shop', 'J1B2C3D4');
    const owner = { ...env, id: `${env.id.slice(0, -1)}X` };
    await roleMadeElsewhere(env, environmentTags(owner));

    // Act
    const pass = await deleteEnvironmentRoles(env, [], asTeardown);

    // Assess
    expect(pass).toEqual({ done: true, blocked: [] });
    const kept = await suite.operator.send(new GetRoleCommand({ RoleName: names.executionRole(env) }));
    expect(kept.Role?.Tags).toContainEqual({ Key: 'berth:environment', Value: owner.id });
  });
});

describe('ensureInstanceRole', () => {
  it("creates the environment's instance role and profile, the policy naming only its own cluster", async () => {
    // Prepare
    const env = environment('shop', 'K1B2C3D4');

    // Act
    const made = await ensureInstanceRole(
      env,
      'shop-cluster',
      { region: REGION, tags: environmentTags(env) },
      asCreateCluster,
    );

    // Assess
    const name = names.instanceRole(env);
    expect(made).toEqual({
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
      instanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/${name}`,
    });
    const { InstanceProfile } = await suite.operator.send(
      new GetInstanceProfileCommand({ InstanceProfileName: name }),
    );
    expect(InstanceProfile?.Roles?.map((role) => role.RoleName)).toEqual([name]);
    expect(InstanceProfile?.Tags).toContainEqual({ Key: 'berth:environment', Value: env.id });
    const answer = await suite.operator.send(
      new GetRolePolicyCommand({ RoleName: name, PolicyName: INSTANCE_ROLE_POLICY_NAME }),
    );
    const policy = JSON.parse(decodeURIComponent(answer.PolicyDocument ?? ''));
    expect(policy).toEqual(
      instanceRolePolicy({ partition: 'aws', account: ACCOUNT, region: REGION }, 'shop-cluster'),
    );
    const resources = JSON.stringify(
      policy.Statement.map((statement: { Resource: unknown }) => statement.Resource),
    );
    expect(resources).toContain(':cluster/shop-cluster"');
    expect(resources).not.toContain(':cluster/*');
  });

  it('gives the same role and profile when run again', async () => {
    // Prepare
    const env = environment('shop', 'L1B2C3D4');
    const options = { region: REGION, tags: environmentTags(env) };
    const first = await ensureInstanceRole(env, 'shop-cluster', options, asCreateCluster);

    // Act
    const second = await ensureInstanceRole(env, 'shop-cluster', options, asCreateCluster);

    // Assess
    expect(second).toEqual(first);
  });

  it('refuses a profile of its name that holds another role, and leaves it alone', async () => {
    // Prepare
    const env = environment('shop', 'M1B2C3D4');
    const name = names.instanceRole(env);
    await suite.operator.send(
      new CreateRoleCommand({
        RoleName: 'someone-else',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      }),
    );
    await suite.operator.send(
      new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: tagList(environmentTags(env)) }),
    );
    const { AddRoleToInstanceProfileCommand } = await import('@aws-sdk/client-iam');
    await suite.operator.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: 'someone-else' }),
    );

    // Act
    const refusal = await refusalOf(
      ensureInstanceRole(
        env,
        'shop-cluster',
        { region: REGION, tags: environmentTags(env) },
        asCreateCluster,
      ),
    );

    // Assess
    expect(refusal.name).toBe('ResourceOwnedElsewhere');
    const { InstanceProfile } = await suite.operator.send(
      new GetInstanceProfileCommand({ InstanceProfileName: name }),
    );
    expect(InstanceProfile?.Roles?.map((role) => role.RoleName)).toEqual(['someone-else']);
  });

  it('is deleted with its profile by the teardown pass, under its grants', async () => {
    // Prepare
    const env = environment('shop', 'N1B2C3D4');
    await ensureInstanceRole(
      env,
      'shop-cluster',
      { region: REGION, tags: environmentTags(env) },
      asCreateCluster,
    );

    // Act
    const pass = await deleteEnvironmentRoles(env, [], asTeardown);

    // Assess
    expect(pass).toEqual({ done: true, blocked: [] });
    const name = names.instanceRole(env);
    const role = await refusalOf(suite.operator.send(new GetRoleCommand({ RoleName: name })));
    const profile = await refusalOf(
      suite.operator.send(new GetInstanceProfileCommand({ InstanceProfileName: name })),
    );
    expect([role.name, profile.name]).toEqual(['NoSuchEntityException', 'NoSuchEntityException']);
  });
});
