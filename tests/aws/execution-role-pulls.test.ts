/**
 * The execution role's ECR grant, as executionRolePolicy writes it, against the simulated ECS's task
 * start (which pulls as the execution role): a task whose image is in a repository the spec named
 * starts; one whose image is in any other repository stops with CannotPullContainerError
 * (docs/aws-facts.md#execution-role-pulls-named-by-repository).
 */
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { ecs } from '@berth/aws-sim/services/ecs';
import { iam } from '@berth/aws-sim/services/iam';
import {
  ECS_TASKS_TRUST,
  EXECUTION_ROLE_POLICY_NAME,
  executionRolePolicy,
} from '../../shared/domain/execution-role';
import { names } from '../../shared/domain/naming';
import { ACCOUNT, REGION } from './declared-grants';
import {
  createNetwork,
  environment,
  eventually,
  type SimulatedAws,
  specWith,
  startAws,
  type TestNetwork,
} from './simulated-aws';

const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const CLUSTER = 'shop-a1b2c3d4';

let aws: SimulatedAws;
/** Unsigned: the operator, as the workflow's steps would be for these calls. */
let operatorEcs: ECSClient;
let operatorIam: IAMClient;
let network: TestNetwork;

beforeAll(async () => {
  aws = await startAws([ec2, ecs, iam]);
  operatorEcs = new ECSClient(aws.clientConfig);
  operatorIam = new IAMClient(aws.clientConfig);
});

beforeEach(async () => {
  aws.running.sim.reset();
  aws.running.sim.iam.enforce = true;
  network = await createNetwork(aws);
  await operatorEcs.send(new CreateClusterCommand({ clusterName: CLUSTER, capacityProviders: ['FARGATE'] }));
});

afterAll(async () => {
  operatorEcs.destroy();
  operatorIam.destroy();
  await aws.stop();
});

/** The environment's execution role with the policy berth writes for services of `images`; its ARN. */
async function executionRoleFor(images: string[]): Promise<string> {
  const env = environment();
  const spec = specWith(images.map((image, index) => ({ name: `svc${index}`, image })));
  const roleName = names.executionRole(env);
  const created = await operatorIam.send(
    new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(ECS_TASKS_TRUST) }),
  );
  const policy = executionRolePolicy({ partition: 'aws', account: ACCOUNT, region: REGION }, env, spec);
  await operatorIam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: EXECUTION_ROLE_POLICY_NAME,
      PolicyDocument: JSON.stringify(policy),
    }),
  );
  return created.Role?.Arn ?? '';
}

/** Runs a one-container Fargate task of `image` with `executionRoleArn`; the task once it has stopped. */
async function runUntilStopped(executionRoleArn: string, image: string): Promise<Task> {
  const registered = await operatorEcs.send(
    new RegisterTaskDefinitionCommand({
      family: 'shop-a1b2c3d4-web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn,
      containerDefinitions: [{ name: 'web', image, essential: true }],
    }),
  );
  const run = await operatorEcs.send(
    new RunTaskCommand({
      cluster: CLUSTER,
      taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
    }),
  );
  const taskArn = run.tasks?.[0]?.taskArn ?? '';
  return eventually(async () => {
    const described = await operatorEcs.send(
      new DescribeTasksCommand({ cluster: CLUSTER, tasks: [taskArn] }),
    );
    const task = described.tasks?.[0];
    return task?.lastStatus === 'STOPPED' ? task : undefined;
  });
}

describe("a task pulling with its environment's execution role", () => {
  it('starts when its image is in a repository the spec names', async () => {
    // Prepare
    const role = await executionRoleFor([`${REGISTRY}/payments/web:1.4.2`]);

    // Act
    const task = await runUntilStopped(role, `${REGISTRY}/payments/web:1.4.2`);

    // Assess
    expect(task.startedAt).toBeDefined();
    expect(task.stopCode).toBe('EssentialContainerExited');
  });

  it('cannot pull an image of a repository the spec does not name, even of the same account', async () => {
    // Prepare
    const role = await executionRoleFor([`${REGISTRY}/payments/web:1.4.2`]);
    const other = `${REGISTRY}/billing/ledger:7`;

    // Act
    const task = await runUntilStopped(role, other);

    // Assess
    expect(task.startedAt).toBeUndefined();
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(/^CannotPullContainerError: /);
    expect(task.stoppedReason).toContain(`failed to resolve ref ${other}`);
    expect(task.stoppedReason).toContain('403 Forbidden');
  });

  it('cannot pull from ECR at all when every image of the spec is public', async () => {
    // Prepare
    const role = await executionRoleFor(['nginx:1.27']);

    // Act
    const task = await runUntilStopped(role, `${REGISTRY}/payments/web:1.4.2`);

    // Assess
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toContain(
      'unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException:',
    );
  });

  it('starts a public image with a role that has no ECR statement', async () => {
    // Prepare
    const role = await executionRoleFor(['public.ecr.aws/nginx/nginx:latest']);

    // Act
    const task = await runUntilStopped(role, 'public.ecr.aws/nginx/nginx:latest');

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
  });
});
