/**
 * berth's jobs under IAM: the createJobs step's Scheduler and Pipes calls (berth's tags, passing the
 * jobs role), teardown's group deletion, and the jobs role as Pipes uses it: a pipe whose role may
 * not receive from its queue ends CREATE_FAILED with Pipes' StateReason, and an invocation whose
 * role may not run the task or pass its roles is recorded with the refusal.
 */

import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreatePipeCommand,
  type CreatePipeCommandInput,
  DescribePipeCommand,
  PipesClient,
  UpdatePipeCommand,
} from '@aws-sdk/client-pipes';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleGroupCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Statement } from '../src/iam/policy';
import { ecs } from '../src/services/ecs';
import { pipeInvocations, pipes } from '../src/services/pipes';
import { scheduler } from '../src/services/scheduler';
import { sqs } from '../src/services/sqs';
import { arn, asRole, refusalOf } from './iam-session';
import { type SimulatedServices, startServices, waitAwsSeconds } from './simulated-services';

let services: SimulatedServices;
let operatorPipes: PipesClient;
let operatorScheduler: SchedulerClient;
let queues: SQSClient;
let queueUrl: string;
const destroyable: Array<{ destroy: () => void }> = [];

beforeAll(async () => {
  services = await startServices([ecs, pipes, scheduler, sqs]);
  operatorPipes = new PipesClient(services.clientConfig);
  operatorScheduler = new SchedulerClient(services.clientConfig);
  queues = new SQSClient(services.clientConfig);
});

afterAll(async () => {
  for (const client of [operatorPipes, operatorScheduler, queues]) client.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  services.running.sim.iam.enforce = true;
  queueUrl = (await queues.send(new CreateQueueCommand({ QueueName: 'berth-dev-jobs' }))).QueueUrl ?? '';
});

afterEach(() => {
  for (const client of destroyable.splice(0)) client.destroy();
});

const QUEUE = arn('sqs', 'berth-dev-jobs');
const CLUSTER = arn('ecs', 'cluster/berth-dev');
const JOBS_ROLE = 'arn:aws:iam::000000000000:role/berth-dev-jobs';
const EXECUTION_ROLE = 'arn:aws:iam::000000000000:role/berth-env-1a2b3c-execution';

function allow(
  sid: string,
  action: string | string[],
  resource: string | string[],
  condition?: Statement['Condition'],
): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
}

const without = (statements: Statement[], sid: string) => statements.filter((s) => s.Sid !== sid);

/** steps.js createJobs (its Scheduler and Pipes part). */
const createJobsGrants: Statement[] = [
  allow(
    'Groups',
    ['scheduler:CreateScheduleGroup', 'scheduler:GetScheduleGroup', 'scheduler:TagResource'],
    arn('scheduler', 'schedule-group/berth-*'),
  ),
  allow(
    'Schedules',
    [
      'scheduler:CreateSchedule',
      'scheduler:UpdateSchedule',
      'scheduler:GetSchedule',
      'scheduler:DeleteSchedule',
    ],
    arn('scheduler', 'schedule/berth-*/*'),
  ),
  allow(
    'Pipes',
    ['pipes:CreatePipe', 'pipes:UpdatePipe', 'pipes:DescribePipe', 'pipes:DeletePipe', 'pipes:TagResource'],
    arn('pipes', 'pipe/berth-*'),
  ),
  allow('PassJobsRole', 'iam:PassRole', JOBS_ROLE, {
    StringEquals: { 'iam:PassedToService': ['scheduler.amazonaws.com', 'pipes.amazonaws.com'] },
  }),
];

/** steps.js teardownPass (its Scheduler part). */
const teardownGrants: Statement[] = [
  allow(
    'Groups',
    ['scheduler:GetScheduleGroup', 'scheduler:DeleteScheduleGroup'],
    arn('scheduler', 'schedule-group/berth-*'),
  ),
];

/** service-roles.js JobsRole. */
const jobsRoleGrants: Statement[] = [
  allow('Run', 'ecs:RunTask', arn('ecs', 'task-definition/*'), {
    ArnLike: { 'ecs:cluster': arn('ecs', 'cluster/*') },
  }),
  allow('TagOnRun', 'ecs:TagResource', arn('ecs', 'task/*'), {
    StringEquals: { 'ecs:CreateAction': 'RunTask' },
  }),
  allow(
    'PassTaskRoles',
    'iam:PassRole',
    ['arn:aws:iam::000000000000:role/berth-env-*-execution', 'arn:aws:iam::000000000000:role/berth-task-*'],
    { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  ),
  allow(
    'Queue',
    ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
    arn('sqs', 'berth-*'),
  ),
];

function schedulerAs(roleName: string, statements: Statement[]): SchedulerClient {
  const client = new SchedulerClient(asRole(services, roleName, statements));
  destroyable.push(client);
  return client;
}

function pipesAs(roleName: string, statements: Statement[]): PipesClient {
  const client = new PipesClient(asRole(services, roleName, statements));
  destroyable.push(client);
  return client;
}

/** Loads the jobs role (as the template declares it) with these statements. */
function loadJobsRole(statements: Statement[]): void {
  asRole(services, 'berth-dev-jobs', statements);
}

function nightly(overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: 'berth-dev-nightly',
    GroupName: 'berth-dev',
    ScheduleExpression: 'cron(0 3 * * ? *)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: CLUSTER,
      RoleArn: JOBS_ROLE,
      EcsParameters: {
        TaskDefinitionArn: arn('ecs', 'task-definition/berth-dev-nightly:1'),
        LaunchType: 'FARGATE',
      },
    },
    ...overrides,
  };
}

function queuePipe(overrides: Partial<CreatePipeCommandInput> = {}): CreatePipeCommandInput {
  return {
    Name: 'berth-dev-jobs',
    Source: QUEUE,
    Target: CLUSTER,
    TargetParameters: {
      EcsTaskParameters: {
        TaskDefinitionArn: arn('ecs', 'task-definition/berth-dev-worker:1'),
        LaunchType: 'FARGATE',
        Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
      },
    },
    RoleArn: JOBS_ROLE,
    Tags: { 'berth:managed-by': 'berth' },
    ...overrides,
  };
}

describe('createJobs: Scheduler', () => {
  it('creates a tagged schedule group and a schedule that passes the jobs role', async () => {
    // Prepare
    const client = schedulerAs('CreateJobsRole', createJobsGrants);

    // Act
    await client.send(
      new CreateScheduleGroupCommand({
        Name: 'berth-dev',
        Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
      }),
    );
    const created = await client.send(new CreateScheduleCommand(nightly()));

    // Assess
    expect(created.ScheduleArn).toBe(arn('scheduler', 'schedule/berth-dev/berth-dev-nightly'));
  });

  it('refuses a tagged group when scheduler:TagResource is not granted', async () => {
    // Prepare
    const grants = [
      allow('Groups', 'scheduler:CreateScheduleGroup', arn('scheduler', 'schedule-group/berth-*')),
      ...without(createJobsGrants, 'Groups'),
    ];
    const client = schedulerAs('CreateJobsRole', grants);

    // Act
    const refusal = await refusalOf(
      client.send(
        new CreateScheduleGroupCommand({
          Name: 'berth-dev',
          Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `scheduler:TagResource on resource: ${arn('scheduler', 'schedule-group/berth-dev')}`,
    );
  });

  it('refuses a schedule whose role it may not pass', async () => {
    // Prepare
    await operatorScheduler.send(new CreateScheduleGroupCommand({ Name: 'berth-dev' }));
    const client = schedulerAs('CreateJobsRole', without(createJobsGrants, 'PassJobsRole'));

    // Act
    const refusal = await refusalOf(client.send(new CreateScheduleCommand(nightly())));

    // Assess
    expect(refusal.message).toContain(`iam:PassRole on resource: ${JOBS_ROLE}`);
  });

  it('refuses a schedule outside berth’s groups', async () => {
    // Prepare
    const client = schedulerAs('CreateJobsRole', createJobsGrants);

    // Act
    const refusal = await refusalOf(
      client.send(new CreateScheduleCommand(nightly({ GroupName: 'default' }))),
    );

    // Assess
    expect(refusal.message).toContain(
      `scheduler:CreateSchedule on resource: ${arn('scheduler', 'schedule/default/berth-dev-nightly')}`,
    );
  });
});

describe('teardownPass: Scheduler', () => {
  async function groupWithSchedule(): Promise<void> {
    await operatorScheduler.send(new CreateScheduleGroupCommand({ Name: 'berth-dev' }));
    await operatorScheduler.send(new CreateScheduleCommand(nightly()));
  }

  it('refuses to delete a group holding a schedule without scheduler:DeleteSchedule (berth’s grant lacks it)', async () => {
    // Prepare
    await groupWithSchedule();
    const client = schedulerAs('TeardownRole', teardownGrants);

    // Act
    const refusal = await refusalOf(client.send(new DeleteScheduleGroupCommand({ Name: 'berth-dev' })));

    // Assess
    expect(refusal.message).toContain(
      `scheduler:DeleteSchedule on resource: ${arn('scheduler', 'schedule/berth-dev/berth-dev-nightly')}`,
    );
  });

  it('deletes a group holding a schedule when its schedules may be deleted too', async () => {
    // Prepare
    await groupWithSchedule();
    const client = schedulerAs('TeardownRole', [
      ...teardownGrants,
      allow('Schedules', 'scheduler:DeleteSchedule', arn('scheduler', 'schedule/berth-*/*')),
    ]);

    // Act
    const deleted = await client.send(new DeleteScheduleGroupCommand({ Name: 'berth-dev' }));

    // Assess
    expect(deleted.$metadata.httpStatusCode).toBe(200);
  });

  it('deletes an empty group with scheduler:DeleteScheduleGroup alone', async () => {
    // Prepare
    await operatorScheduler.send(new CreateScheduleGroupCommand({ Name: 'berth-dev' }));
    const client = schedulerAs('TeardownRole', teardownGrants);

    // Act
    const deleted = await client.send(new DeleteScheduleGroupCommand({ Name: 'berth-dev' }));

    // Assess
    expect(deleted.$metadata.httpStatusCode).toBe(200);
  });
});

describe('createJobs: Pipes', () => {
  it('creates a tagged pipe that passes the jobs role', async () => {
    // Prepare
    const client = pipesAs('CreateJobsRole', createJobsGrants);

    // Act
    const created = await client.send(new CreatePipeCommand(queuePipe()));

    // Assess
    expect(created.Arn).toBe(arn('pipes', 'pipe/berth-dev-jobs'));
  });

  it('refuses a tagged pipe when pipes:TagResource is not granted', async () => {
    // Prepare
    const grants = [
      allow('Pipes', 'pipes:CreatePipe', arn('pipes', 'pipe/berth-*')),
      ...without(createJobsGrants, 'Pipes'),
    ];
    const client = pipesAs('CreateJobsRole', grants);

    // Act
    const refusal = await refusalOf(client.send(new CreatePipeCommand(queuePipe())));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `pipes:TagResource on resource: ${arn('pipes', 'pipe/berth-dev-jobs')}`,
    );
  });

  it('refuses a pipe whose role may be passed to Scheduler only', async () => {
    // Prepare
    const grants = [
      allow('PassJobsRole', 'iam:PassRole', JOBS_ROLE, {
        StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      }),
      ...without(createJobsGrants, 'PassJobsRole'),
    ];
    const client = pipesAs('CreateJobsRole', grants);

    // Act
    const refusal = await refusalOf(client.send(new CreatePipeCommand(queuePipe())));

    // Assess
    expect(refusal.message).toContain(`iam:PassRole on resource: ${JOBS_ROLE}`);
  });
});

describe('the jobs role as Pipes uses it', () => {
  it('runs a pipe whose role may receive from its queue', async () => {
    // Prepare
    loadJobsRole(jobsRoleGrants);

    // Act
    await operatorPipes.send(new CreatePipeCommand(queuePipe()));
    await waitAwsSeconds(60);
    const described = await operatorPipes.send(new DescribePipeCommand({ Name: 'berth-dev-jobs' }));

    // Assess
    expect(described.CurrentState).toBe('RUNNING');
  });

  it('ends CREATE_FAILED with Pipes’ StateReason when its role may not receive from the queue', async () => {
    // Prepare
    loadJobsRole(without(jobsRoleGrants, 'Queue'));

    // Act
    await operatorPipes.send(new CreatePipeCommand(queuePipe()));
    await waitAwsSeconds(60);
    const described = await operatorPipes.send(new DescribePipeCommand({ Name: 'berth-dev-jobs' }));

    // Assess
    expect(described.CurrentState).toBe('CREATE_FAILED');
    expect(described.StateReason).toBe(
      'Input parameter is invalid from the request due to : The provided customer role does not have permissions to call ReceiveMessage on SQS',
    );
  });

  it('ends UPDATE_FAILED when an update names a role that may not receive from the queue', async () => {
    // Prepare
    loadJobsRole(jobsRoleGrants);
    asRole(services, 'berth-dev-other', []);
    await operatorPipes.send(new CreatePipeCommand(queuePipe()));
    await waitAwsSeconds(60);

    // Act
    await operatorPipes.send(
      new UpdatePipeCommand({
        Name: 'berth-dev-jobs',
        RoleArn: 'arn:aws:iam::000000000000:role/berth-dev-other',
      }),
    );
    await waitAwsSeconds(60);
    const described = await operatorPipes.send(new DescribePipeCommand({ Name: 'berth-dev-jobs' }));

    // Assess
    expect(described.CurrentState).toBe('UPDATE_FAILED');
  });

  it('hands messages to the target when its role may run the task and pass its roles', async () => {
    // Prepare
    loadJobsRole(jobsRoleGrants);
    await registerWorker();
    await operatorPipes.send(new CreatePipeCommand(queuePipe()));
    await waitAwsSeconds(60);

    // Act
    await queues.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'job-1' }));
    const invocations = pipeInvocations(services.running.sim.ctx, 'berth-dev-jobs');

    // Assess
    expect(invocations.map((invocation) => [invocation.bodies, invocation.error])).toEqual([
      [['job-1'], undefined],
    ]);
  });

  it('records the refusal when its role may not pass the task’s execution role', async () => {
    // Prepare
    loadJobsRole(without(jobsRoleGrants, 'PassTaskRoles'));
    await registerWorker();
    await operatorPipes.send(new CreatePipeCommand(queuePipe()));
    await waitAwsSeconds(60);

    // Act
    await queues.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'job-1' }));
    const invocations = pipeInvocations(services.running.sim.ctx, 'berth-dev-jobs');

    // Assess
    expect(invocations[0]?.error).toMatchObject({
      errorCode: 'AccessDeniedException',
      action: 'iam:PassRole',
      resource: EXECUTION_ROLE,
    });
  });
});

/** The worker task definition the pipe runs (registered by the operator). */
async function registerWorker(): Promise<void> {
  const client = new ECSClient(services.clientConfig);
  destroyable.push(client);
  await client.send(
    new RegisterTaskDefinitionCommand({
      family: 'berth-dev-worker',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: EXECUTION_ROLE,
      containerDefinitions: [{ name: 'worker', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
    }),
  );
}
