/**
 * Per-environment identities (issue #16), read back from the simulated IAM after the real provisioning
 * workflow: an EC2 environment's execution role and container-instance role name only that
 * environment's resources — its log groups, the secrets and ECR repositories its spec names, its own
 * cluster and that cluster's container instances — and `*` only for the actions AWS accepts no
 * resource for. Two environments of two teams provisioned side by side name nothing of each other.
 */
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import { ecrRepositoryArn, secretResource } from '../../shared/domain/execution-role';
import { names } from '../../shared/domain/naming';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(240_000);

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/**
 * The actions these roles may hold on `*`, each because the Service Authorization Reference lists no
 * resource type for it (docs/aws-facts.md#task-execution-roles-and-task-roles-berth-creates-or-passes,
 * #per-environment-container-instance-roles).
 */
const STAR_ONLY_ACTIONS: Record<string, string> = {
  // Registry auth for any ECR image: a token for the registry, not a repository.
  'ecr:GetAuthorizationToken': 'no resource type: the token is for the whole registry',
  // The ECS agent asks where to poll before it has a container instance.
  'ecs:DiscoverPollEndpoint': 'no resource type: asked before the instance is registered',
};

let stack: WorkflowStack;
let iam: IAMClient;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  iam = new IAMClient({
    endpoint: stack.simulator.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  iam.destroy();
  await stack.stop();
});

interface Tenant {
  team: string;
  caller: Caller;
  body: Record<string, unknown>;
  secret: string;
  images: string[];
}

/** An EC2 environment of team `<label>` with a secret under the team's prefix, ECR images and a job. */
function tenant(label: string): Tenant {
  const team = `roles${process.pid % 10_000}-${label}`;
  const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:berth/${team}/db-AbCdEf`;
  const web = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${team}/web:1.0`;
  const report = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${team}/tools/report@sha256:${'ab'.repeat(32)}`;
  return {
    team,
    caller: memberOf(team),
    secret,
    images: [web, report],
    body: {
      name: 'shop',
      team,
      cluster: {
        capacity: 'EC2',
        ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 2, desiredCapacity: 1 },
      },
      services: [{ name: 'web', image: web, secrets: { DB_PASSWORD: secret } }],
      jobs: [{ name: 'report', image: report, trigger: { schedule: 'rate(1 hour)' } }],
    },
  };
}

async function create(owner: Tenant): Promise<Environment> {
  const outcome = await createEnvironment(stack.deps, owner.caller, owner.body);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id, 180_000);
  return getEnvironment(stack.deps, owner.caller, outcome.environment.id);
}

async function destroy(owner: Tenant, id: string): Promise<Environment> {
  await deleteEnvironment(stack.deps, owner.caller, id);
  await stack.settle(id, 180_000);
  return getEnvironment(stack.deps, owner.caller, id);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/** Every statement of every inline policy of `roleName`, as the simulated IAM answers them. */
async function inlineStatements(roleName: string): Promise<Statement[]> {
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const statements: Statement[] = [];
  for (const PolicyName of PolicyNames) {
    const { PolicyDocument = '' } = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName }),
    );
    const document = JSON.parse(decodeURIComponent(PolicyDocument)) as { Statement: Statement[] };
    statements.push(...document.Statement);
  }
  return statements;
}

/** What `environment`'s roles may name: its own log groups, secrets, repositories and cluster. */
function ownResources(owner: Tenant, environment: Environment): Set<string> {
  const cluster = names.cluster(environment);
  return new Set([
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${names.logGroup(environment, '')}*`,
    secretResource(owner.secret).resource,
    ...owner.images.flatMap((image) => ecrRepositoryArn(image) ?? []),
    `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`,
    `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${cluster}/*`,
  ]);
}

/** Each (action, resource) pair that is neither one of `allowed` nor `*` for a star-only action. */
function foreignGrants(statements: Statement[], allowed: Set<string>): string[] {
  return statements.flatMap((statement) => {
    const actions = [statement.Action].flat();
    return [statement.Resource].flat().flatMap((resource) => {
      if (resource === '*') {
        return actions.filter((action) => !(action in STAR_ONLY_ACTIONS)).map((action) => `${action} on *`);
      }
      return allowed.has(resource) ? [] : actions.map((action) => `${action} on ${resource}`);
    });
  });
}

it("names in an environment's execution and instance roles only that environment's resources, and nothing of another team's", async () => {
  // Prepare
  const a = tenant('a');
  const b = tenant('b');

  // Act
  const [readyA, readyB] = await Promise.all([create(a), create(b)]);
  const rolesOf = (environment: Environment) =>
    Promise.all([names.executionRole(environment), names.instanceRole(environment)].map(inlineStatements));
  const rolesA = await rolesOf(readyA);
  const rolesB = await rolesOf(readyB);

  // Assess: both READY (their tasks started under these roles), every grant their own.
  expect([readyA.status, readyA.error, readyB.status, readyB.error]).toEqual([
    'READY',
    undefined,
    'READY',
    undefined,
  ]);
  for (const statements of [...rolesA, ...rolesB]) expect(statements.length).toBeGreaterThan(0);
  expect(foreignGrants(rolesA.flat(), ownResources(a, readyA))).toEqual([]);
  expect(foreignGrants(rolesB.flat(), ownResources(b, readyB))).toEqual([]);
  // The execution role names exactly the spec's secret and repositories; the instance role its cluster.
  const [executionA, instanceA] = rolesA;
  const resourcesOf = (statements: Statement[] = []) =>
    statements.flatMap((statement) => [statement.Resource].flat());
  expect(resourcesOf(executionA)).toEqual(
    expect.arrayContaining([
      secretResource(a.secret).resource,
      ...a.images.flatMap((image) => ecrRepositoryArn(image) ?? []),
    ]),
  );
  expect(resourcesOf(instanceA)).toContain(
    `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${names.cluster(readyA)}`,
  );
  // Neither names anything of the other: its team, secret, repositories, environment id or cluster.
  const marks = (owner: Tenant, environment: Environment) => [
    owner.team,
    environment.id,
    names.cluster(environment),
    secretResource(owner.secret).resource,
    ...owner.images.flatMap((image) => ecrRepositoryArn(image) ?? []),
  ];
  const textA = JSON.stringify(rolesA);
  const textB = JSON.stringify(rolesB);
  expect(marks(b, readyB).filter((mark) => textA.includes(mark))).toEqual([]);
  expect(marks(a, readyA).filter((mark) => textB.includes(mark))).toEqual([]);

  // Act / Assess: teardown deletes both environments' roles.
  const deleted = await Promise.all([destroy(a, readyA.id), destroy(b, readyB.id)]);
  expect(deleted.map((environment) => environment.status)).toEqual(['DELETED', 'DELETED']);
});
