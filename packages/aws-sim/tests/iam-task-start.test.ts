/**
 * Starting a task with its execution role: ECS pulls ECR images, fetches the containers' secrets
 * (and the KMS key a secret is encrypted with) and creates the awslogs stream as that role. A task
 * whose role may do all of it runs; one whose role lacks a permission stops while PENDING with
 * `TaskFailedToStart` and ECS's own stoppedReason. Execution roles the simulator does not know
 * (made-up ARNs in fixtures) are not checked.
 */
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import type { Statement } from '../src/iam/policy';
import { ec2 } from '../src/services/ec2';
import { ecs, registerSecretKey } from '../src/services/ecs';
import { arn } from './iam-session';
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let client: ECSClient;
let network: TestNetwork;

beforeAll(async () => {
  services = await startServices([ec2, ecs]);
  client = new ECSClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  services.running.sim.iam.enforce = true;
  network = await createNetwork(services);
  await client.send(new CreateClusterCommand({ clusterName: 'berth-dev', capacityProviders: ['FARGATE'] }));
});

const SECRET = arn('secretsmanager', 'secret:berth/dev/db-AbCdEf');
const KEY = arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab');
const ECR_IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/berth/web:v7';
const PUBLIC_IMAGE = 'public.ecr.aws/nginx/nginx:latest';
const TASK_EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

const allow = (
  action: string | string[],
  resource: string | string[],
  condition?: Statement['Condition'],
): Statement => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...(condition ? { Condition: condition } : {}),
});

/** Loads an execution role (trusted by ECS tasks) with these statements and managed policies; answers its ARN. */
function executionRole(name: string, statements: Statement[], managedPolicyArns: string[] = []): string {
  services.running.sim.loadTemplateRoles({
    Resources: {
      [name]: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: name,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'ecs-tasks.amazonaws.com' },
                Action: 'sts:AssumeRole',
              },
            ],
          },
          ...(statements.length > 0
            ? {
                Policies: [
                  { PolicyName: 'test', PolicyDocument: { Version: '2012-10-17', Statement: statements } },
                ],
              }
            : {}),
          ...(managedPolicyArns.length > 0 ? { ManagedPolicyArns: managedPolicyArns } : {}),
        },
      },
    },
  });
  const role = services.running.sim.iam.role(name);
  if (!role) throw new Error(`role ${name} not loaded`);
  return role.roleArn;
}

/** Registers a one-container Fargate task definition and runs it; answers the task's ARN. */
async function runTask(executionRoleArn: string, container: Partial<ContainerDefinition>): Promise<string> {
  const registered = await client.send(
    new RegisterTaskDefinitionCommand({
      family: 'berth-dev-job',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn,
      containerDefinitions: [{ name: 'web', image: PUBLIC_IMAGE, essential: true, ...container }],
    }),
  );
  const run = await client.send(
    new RunTaskCommand({
      cluster: 'berth-dev',
      taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
    }),
  );
  return run.tasks?.[0]?.taskArn ?? '';
}

/** The task once it has stopped (a started standalone task stops when its container exits). */
function stopped(taskArn: string): Promise<Task> {
  return eventually(async () => {
    const described = await client.send(new DescribeTasksCommand({ cluster: 'berth-dev', tasks: [taskArn] }));
    const task = described.tasks?.[0];
    return task?.lastStatus === 'STOPPED' ? task : undefined;
  });
}

const taskIdOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);

const secretsFrom = (valueFrom: string) => ({ secrets: [{ name: 'DB_PASSWORD', valueFrom }] });

describe('secrets', () => {
  it('runs a task whose execution role may read its Secrets Manager secret', async () => {
    // Prepare
    const role = executionRole('ReadsSecret', [allow('secretsmanager:GetSecretValue', SECRET)]);

    // Act
    const task = await stopped(await runTask(role, secretsFrom(`${SECRET}:password::`)));

    // Assess
    expect(task.startedAt).toBeDefined();
    expect(task.stopCode).toBe('EssentialContainerExited');
  });

  it('stops a task whose execution role may not read its secret, with ECS’s stoppedReason', async () => {
    // Prepare
    const role = executionRole('NoSecret', []);

    // Act
    const taskArn = await runTask(role, secretsFrom(`${SECRET}:password::`));
    const task = await stopped(taskArn);

    // Assess
    expect(task.startedAt).toBeUndefined();
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(
      new RegExp(
        '^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval ' +
          'failed: unable to retrieve secret from asm: service call has been retried 1 time\\(s\\): failed to ' +
          `fetch secret ${SECRET} from secrets manager: AccessDeniedException: User: ` +
          `arn:aws:sts::000000000000:assumed-role/NoSecret/${taskIdOf(taskArn)} is not authorized to perform: ` +
          `secretsmanager:GetSecretValue on resource: ${SECRET} because no identity-based policy allows the ` +
          'secretsmanager:GetSecretValue action status code: 400, request id: [0-9a-f-]{36}$',
      ),
    );
  });

  it('stops a task whose execution role may not read its SSM parameter, naming the parameter ARN', async () => {
    // Prepare
    const role = executionRole('NoParameter', [
      allow('ssm:GetParameters', arn('ssm', 'parameter/berth/dev/other')),
    ]);

    // Act
    const task = await stopped(await runTask(role, secretsFrom('/berth/dev/api-key')));

    // Assess
    expect(task.stoppedReason).toContain(
      'unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException:',
    );
    expect(task.stoppedReason).toContain(
      `ssm:GetParameters on resource: ${arn('ssm', 'parameter/berth/dev/api-key')}`,
    );
  });

  it('stops a task whose secret names a KMS key the execution role may not decrypt with', async () => {
    // Prepare
    registerSecretKey(services.running.sim.ctx, SECRET, KEY);
    const role = executionRole('NoDecrypt', [allow('secretsmanager:GetSecretValue', SECRET)]);

    // Act
    const task = await stopped(await runTask(role, secretsFrom(SECRET)));

    // Assess
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toContain(
      `failed to fetch secret ${SECRET} from secrets manager: AccessDeniedException: Access to KMS is not allowed`,
    );
  });

  it('runs a task whose execution role may decrypt its secret’s key through Secrets Manager', async () => {
    // Prepare
    registerSecretKey(services.running.sim.ctx, SECRET, KEY);
    const role = executionRole('Decrypts', [
      allow('secretsmanager:GetSecretValue', SECRET),
      allow('kms:Decrypt', KEY, {
        StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
      }),
    ]);

    // Act
    const task = await stopped(await runTask(role, secretsFrom(SECRET)));

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
  });
});

describe('images and logs', () => {
  it('stops a task whose execution role may not get ECR registry auth', async () => {
    // Prepare
    const role = executionRole('NoRegistryAuth', [
      allow(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], arn('ecr', 'repository/berth/web')),
    ]);

    // Act
    const task = await stopped(await runTask(role, { image: ECR_IMAGE }));

    // Assess
    expect(task.stoppedReason).toContain(
      'execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException:',
    );
    expect(task.stoppedReason).toContain(
      'is not authorized to perform: ecr:GetAuthorizationToken on resource: *',
    );
  });

  it('stops a task whose execution role may not pull from the image’s repository', async () => {
    // Prepare
    const role = executionRole('OtherRepository', [
      allow('ecr:GetAuthorizationToken', '*'),
      allow(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], arn('ecr', 'repository/berth/other')),
    ]);

    // Act
    const task = await stopped(await runTask(role, { image: ECR_IMAGE }));

    // Assess
    expect(task.stoppedReason).toBe(
      `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${ECR_IMAGE}: ` +
        'pulling from host 000000000000.dkr.ecr.us-east-1.amazonaws.com failed with status code [manifests v7]: 403 Forbidden',
    );
  });

  it('stops a task whose execution role may not create its awslogs stream', async () => {
    // Prepare
    const role = executionRole('NoLogs', []);
    const logConfiguration = {
      logDriver: 'awslogs' as const,
      options: { 'awslogs-group': '/berth/dev/web', 'awslogs-stream-prefix': 'web' },
    };

    // Act
    const taskArn = await runTask(role, { logConfiguration });
    const task = await stopped(taskArn);

    // Assess
    expect(task.stoppedReason).toContain(
      'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException:',
    );
    expect(task.stoppedReason).toContain(
      `logs:CreateLogStream on resource: ${arn('logs', `log-group:/berth/dev/web:log-stream:web/web/${taskIdOf(taskArn)}`)}`,
    );
  });
});

describe('berth’s execution role for an environment (shared/domain/execution-role.ts)', () => {
  // The spec names its secret by a partial ARN; berth grants it widened by Secrets Manager's suffix.
  const partialSecret = arn('secretsmanager', 'secret:berth/payments/dev/db');
  const berthPolicy = (secrets: string[]): Statement[] => [
    allow(
      'secretsmanager:GetSecretValue',
      secrets.map((secret) => `${secret}-??????`),
    ),
    allow(['logs:CreateLogStream', 'logs:PutLogEvents'], arn('logs', 'log-group:/berth/payments/dev/*')),
    allow('ecr:GetAuthorizationToken', '*'),
    allow(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], '*'),
  ];
  const berthContainer = {
    image: ECR_IMAGE,
    logConfiguration: {
      logDriver: 'awslogs' as const,
      options: { 'awslogs-group': '/berth/payments/dev/web', 'awslogs-stream-prefix': 'web' },
    },
  };

  it('runs an ECR image that logs to its log group and reads the secret its spec names', async () => {
    // Prepare
    const role = executionRole('berth-env-1a2b3c-execution', berthPolicy([partialSecret]));

    // Act
    const task = await stopped(await runTask(role, { ...berthContainer, ...secretsFrom(partialSecret) }));

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
  });

  it('cannot start a task whose secret the role does not name', async () => {
    // Prepare
    const role = executionRole('berth-env-1a2b3c-execution', berthPolicy([partialSecret]));
    const other = arn('secretsmanager', 'secret:berth/payments/dev/other');

    // Act
    const task = await stopped(await runTask(role, { ...berthContainer, ...secretsFrom(other) }));

    // Assess
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toContain(`failed to fetch secret ${other} from secrets manager`);
    expect(task.stoppedReason).toMatch(
      new RegExp(`secretsmanager:GetSecretValue on resource: ${other}-[A-Za-z0-9]{6} because`),
    );
  });

  it('runs an ECR image with AmazonECSTaskExecutionRolePolicy alone', async () => {
    // Prepare
    const role = executionRole('ManagedPolicyOnly', [], [TASK_EXECUTION_POLICY]);

    // Act
    const task = await stopped(await runTask(role, berthContainer));

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
  });
});

describe('what is not checked', () => {
  it('starts a task whose execution role the simulator does not know', async () => {
    // Prepare
    const madeUp = 'arn:aws:iam::000000000000:role/not-loaded-anywhere';

    // Act
    const task = await stopped(await runTask(madeUp, secretsFrom(SECRET)));

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
  });

  it('starts a task whose role falls short while enforcement is off', async () => {
    // Prepare
    const role = executionRole('NoSecretUnenforced', []);
    services.running.sim.iam.enforce = false;

    // Act
    const task = await stopped(await runTask(role, secretsFrom(SECRET)));

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
  });
});

describe('service tasks', () => {
  it('counts tasks that fail to start against the deployment, tripping the circuit breaker', async () => {
    // Prepare
    const role = executionRole('ServiceNoSecret', []);
    const registered = await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'berth-dev-web',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        executionRoleArn: role,
        containerDefinitions: [{ name: 'web', image: PUBLIC_IMAGE, essential: true, ...secretsFrom(SECRET) }],
      }),
    );

    // Act
    await client.send(
      new CreateServiceCommand({
        cluster: 'berth-dev',
        serviceName: 'web',
        taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      }),
    );
    const deployment = await eventually(async () => {
      const described = await client.send(
        new DescribeServicesCommand({ cluster: 'berth-dev', services: ['web'] }),
      );
      const primary = described.services?.[0]?.deployments?.[0];
      return primary?.rolloutState === 'FAILED' ? primary : undefined;
    });

    // Assess
    expect(deployment.failedTasks).toBe(3);
    expect(deployment.runningCount).toBe(0);
  });
});
