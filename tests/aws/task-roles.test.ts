/**
 * Task roles from services[].iam (shared/aws/iam.ts) against the simulated IAM, called as berth's own
 * step roles (the statements infra/functions/steps.js declares), with the stage's TaskRoleBoundary of
 * infra/resources.yml loaded as the template loads it: the role carries the boundary, the tags and
 * exactly the statements; the step cannot create or change one outside the boundary; the role is
 * evaluated within it; remove-task-roles and teardown delete it.
 */
import { resolve } from 'node:path';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { Statement } from '@berth/aws-sim/iam/policy';
import { iam } from '@berth/aws-sim/services/iam';
import { asRole, refusalOf } from '@berth/aws-sim/tests/iam-session';
import { stackTemplate } from '../../local/function-identities';
import { deleteEnvironmentRoles, deleteTaskRoles, ensureTaskRoles } from '../../shared/aws/iam';
import { type EnvironmentRef, environmentTags, names, tagList } from '../../shared/domain/naming';
import { TASK_ROLE_POLICY_NAME, TASK_ROLE_TRUST } from '../../shared/domain/task-roles';
import { ACCOUNT, declaredGrants, REGION } from './declared-grants';
import { awsWithOperator, environment, inlinePolicyOf, specWith } from './simulated-aws';

const STAGE = 'dev';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/berth-${STAGE}-task-boundary`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:payments-orders`;
const USER = `arn:aws:iam::${ACCOUNT}:user/payments-robot`;
const BERTH_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/berth-${STAGE}`;

/** The declared grants of `functionKey`, the deploy parameter filled in as osls would. */
function grantsOf(functionKey: string): Statement[] {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the osls variable as infra/grants.js writes it
  const variable = '${self:custom.taskRoleBoundaryArn}';
  return JSON.parse(
    JSON.stringify(declaredGrants(functionKey, 'iam')).replaceAll(variable, BOUNDARY),
  ) as Statement[];
}

const statements = [
  { actions: ['sqs:SendMessage', 'iam:CreateUser'], resources: [QUEUE, USER] },
  { actions: ['dynamodb:GetItem'], resources: [BERTH_TABLE] },
];

const suite = awsWithOperator([iam]);
let asCreateStep: IAMClient;
let asRemoveStep: IAMClient;
let asTeardown: IAMClient;

beforeEach(async () => {
  suite.aws.running.sim.reset();
  // The stage's boundary policy, exactly as serverless.yml's resources declare it.
  const { template } = await stackTemplate(resolve(__dirname, '..', '..', 'serverless.yml'), STAGE);
  suite.aws.running.sim.loadTemplateRoles({
    Resources: { TaskRoleBoundary: template.Resources.TaskRoleBoundary },
  });
  asCreateStep = new IAMClient(asRole(suite.aws, 'CreateExecutionRoleRole', grantsOf('createExecutionRole')));
  asRemoveStep = new IAMClient(asRole(suite.aws, 'RemoveTaskRolesRole', grantsOf('removeTaskRoles')));
  asTeardown = new IAMClient(asRole(suite.aws, 'TeardownPassRole', grantsOf('teardownPass')));
});

afterEach(() => {
  asCreateStep.destroy();
  asRemoveStep.destroy();
  asTeardown.destroy();
});

/** A berth-tagged role named `name`, trusted by ECS tasks, without a boundary (made by the operator). */
async function roleWithoutBoundary(env: EnvironmentRef, name: string): Promise<void> {
  await suite.operator.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify(TASK_ROLE_TRUST),
      Tags: tagList(environmentTags(env)),
    }),
  );
}

describe('ensureTaskRoles', () => {
  it('creates a role per service with iam, under the boundary, tagged, its policy exactly the statements', async () => {
    // Prepare
    const env = environment('shop', 'T1B2C3D4');
    const spec = specWith([
      { name: 'api', iam: { statements } },
      { name: 'web', routing: { pathPatterns: ['/web/*'] } },
    ]);
    const tags = environmentTags(env, { 'cost-center': 'cc-1' });

    // Act
    const roleArns = await ensureTaskRoles(
      env,
      spec,
      { region: REGION, tags, boundaryArn: BOUNDARY },
      asCreateStep,
    );

    // Assess
    const name = names.taskRole(env, 'api');
    expect(roleArns).toEqual({ api: `arn:aws:iam::${ACCOUNT}:role/${name}` });
    const { Role } = await suite.operator.send(new GetRoleCommand({ RoleName: name }));
    expect(Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(BOUNDARY);
    expect(Role?.Tags).toEqual(expect.arrayContaining(tagList(tags)));
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ''))).toEqual(TASK_ROLE_TRUST);
    expect(await inlinePolicyOf(suite.operator, name, TASK_ROLE_POLICY_NAME)).toEqual({
      Version: '2012-10-17',
      Statement: statements.map(({ actions, resources }) => ({
        Effect: 'Allow',
        Action: actions,
        Resource: resources,
      })),
    });
    const web = await refusalOf(
      suite.operator.send(new GetRoleCommand({ RoleName: names.taskRole(env, 'web') })),
    );
    expect(web.name).toBe('NoSuchEntityException');
  });

  it('replaces the policy on a second run, and puts a role found under no boundary under it first', async () => {
    // Prepare: a berth-tagged role of that name without a boundary (made before the boundary existed).
    const env = environment('shop', 'T2B2C3D4');
    const name = names.taskRole(env, 'api');
    await roleWithoutBoundary(env, name);
    const narrower = [{ actions: ['sqs:SendMessage'], resources: [QUEUE] }];

    // Act
    await ensureTaskRoles(
      env,
      specWith([{ name: 'api', iam: { statements: narrower } }]),
      { region: REGION, tags: environmentTags(env), boundaryArn: BOUNDARY },
      asCreateStep,
    );

    // Assess
    const { Role } = await suite.operator.send(new GetRoleCommand({ RoleName: name }));
    expect(Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(BOUNDARY);
    expect(await inlinePolicyOf(suite.operator, name, TASK_ROLE_POLICY_NAME)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [QUEUE] }],
    });
  });
});

describe("the create step's grants", () => {
  it('refuse a task role without the boundary, or under another one', async () => {
    // Prepare
    const env = environment('shop', 'T3B2C3D4');
    const create = (boundary?: string) =>
      asCreateStep.send(
        new CreateRoleCommand({
          RoleName: names.taskRole(env, 'api'),
          AssumeRolePolicyDocument: JSON.stringify(TASK_ROLE_TRUST),
          Tags: tagList(environmentTags(env)),
          ...(boundary ? { PermissionsBoundary: boundary } : {}),
        }),
      );

    // Act
    const without = await refusalOf(create());
    const other = await refusalOf(create('arn:aws:iam::aws:policy/AdministratorAccess'));

    // Assess
    expect([without.name, other.name]).toEqual(['AccessDenied', 'AccessDenied']);
    expect(without.message).toContain('iam:CreateRole');
  });

  it('refuse a policy on a task role that has no boundary', async () => {
    // Prepare
    const env = environment('shop', 'T4B2C3D4');
    const name = names.taskRole(env, 'api');
    await roleWithoutBoundary(env, name);

    // Act
    const policy = await refusalOf(
      asCreateStep.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: TASK_ROLE_POLICY_NAME,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
          }),
        }),
      ),
    );

    // Assess
    expect(policy.name).toBe('AccessDenied');
    expect(policy.message).toContain('iam:PutRolePolicy');
  });
});

describe('a task role berth created', () => {
  it('is evaluated within its boundary: what both allow is allowed, what the boundary denies is not', async () => {
    // Prepare
    const env = environment('shop', 'T5B2C3D4');
    const { api } = await ensureTaskRoles(
      env,
      specWith([{ name: 'api', iam: { statements } }]),
      { region: REGION, tags: environmentTags(env), boundaryArn: BOUNDARY },
      asCreateStep,
    );
    const role = api ?? '';
    const decide = (action: string, resource: string) =>
      suite.aws.running.sim.iam.roleAllows(role, { action, resource }).decision;

    // Act
    const decisions = {
      sendMessage: decide('sqs:SendMessage', QUEUE),
      createUser: decide('iam:CreateUser', USER),
      berthTable: decide('dynamodb:GetItem', BERTH_TABLE),
      undeclared: decide('sqs:DeleteQueue', QUEUE),
    };

    // Assess
    expect(decisions).toEqual({
      sendMessage: 'Allow',
      createUser: 'ExplicitDeny',
      berthTable: 'ExplicitDeny',
      undeclared: 'ImplicitDeny',
    });
  });

  it('is deleted by remove-task-roles and by the teardown pass, each under its own grants', async () => {
    // Prepare
    const env = environment('shop', 'T6B2C3D4');
    const spec = specWith([
      { name: 'api', iam: { statements } },
      { name: 'worker', iam: { statements }, routing: { pathPatterns: ['/worker/*'] } },
    ]);
    const options = { region: REGION, tags: environmentTags(env), boundaryArn: BOUNDARY };
    await ensureTaskRoles(env, spec, options, asCreateStep);

    // Act
    const removed = await deleteTaskRoles(env, ['api', 'web'], asRemoveStep);
    const tornDown = await deleteEnvironmentRoles(env, ['worker'], asTeardown);

    // Assess
    expect([removed, tornDown]).toEqual([
      { done: true, blocked: [] },
      { done: true, blocked: [] },
    ]);
    for (const service of ['api', 'worker']) {
      const gone = await refusalOf(
        suite.operator.send(new GetRoleCommand({ RoleName: names.taskRole(env, service) })),
      );
      expect(gone.name).toBe('NoSuchEntityException');
    }
    const policies = await refusalOf(
      suite.operator.send(new ListRolePoliciesCommand({ RoleName: names.taskRole(env, 'api') })),
    );
    expect(policies.name).toBe('NoSuchEntityException');
  });
});
