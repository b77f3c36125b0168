import {
  CreatePipeCommand,
  type CreatePipeCommandInput,
  DeletePipeCommand,
  DescribePipeCommand,
  ListPipesCommand,
  PipesClient,
  UpdatePipeCommand,
} from '@aws-sdk/client-pipes';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { pipeInvocations, pipes } from '../src/services/pipes';
import { sqs } from '../src/services/sqs';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices, waitAwsSeconds } from './simulated-services';

const queueArn = 'arn:aws:sqs:us-east-1:000000000000:env-1-jobs';
let services: SimulatedServices;
let client: PipesClient;
let queues: SQSClient;
let queueUrl: string;

/**
 * Pipe transitions last 400 AWS seconds here (0.4 s of wall time), not the model's 20–60 (under
 * 0.1 s): the tests look at pipes mid-transition, which a loaded CI machine could otherwise pass.
 */
const TRANSITION_SECONDS = 400;
const SETTLED_SECONDS = TRANSITION_SECONDS + 50;

beforeAll(async () => {
  services = await startServices([pipes, sqs], 7, {
    pipeTransition: [TRANSITION_SECONDS, TRANSITION_SECONDS],
  });
  client = new PipesClient(services.clientConfig);
  queues = new SQSClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  queues.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  queueUrl = (await queues.send(new CreateQueueCommand({ QueueName: 'env-1-jobs' }))).QueueUrl ?? '';
});

function queuePipe(overrides: Partial<CreatePipeCommandInput> = {}): CreatePipeCommandInput {
  return {
    Name: 'env-1-jobs',
    Source: queueArn,
    SourceParameters: { SqsQueueParameters: { BatchSize: 2 } },
    Target: 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-env-1',
    TargetParameters: {
      EcsTaskParameters: {
        TaskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/worker:3',
        LaunchType: 'FARGATE',
        NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-0123456789abcdef0'] } },
      },
    },
    RoleArn: 'arn:aws:iam::000000000000:role/berth-pipes',
    Tags: { 'berth:environment': 'env-1' },
    ...overrides,
  };
}

it('creates a pipe: CREATING, then RUNNING, with its tags', async () => {
  const created = await client.send(new CreatePipeCommand(queuePipe()));
  await waitAwsSeconds(SETTLED_SECONDS);
  const described = await client.send(new DescribePipeCommand({ Name: 'env-1-jobs' }));

  expect(created).toMatchObject({
    Arn: 'arn:aws:pipes:us-east-1:000000000000:pipe/env-1-jobs',
    CurrentState: 'CREATING',
    DesiredState: 'RUNNING',
  });
  expect(described).toMatchObject({
    CurrentState: 'RUNNING',
    Source: queueArn,
    Tags: { 'berth:environment': 'env-1' },
    TargetParameters: { EcsTaskParameters: { LaunchType: 'FARGATE' } },
  });
});

it('refuses a duplicate pipe with ConflictException (409)', async () => {
  await client.send(new CreatePipeCommand(queuePipe()));

  await expect(client.send(new CreatePipeCommand(queuePipe()))).rejects.toMatchObject({
    name: 'ConflictException',
    $metadata: { httpStatusCode: 409 },
  });
});

it('ends CREATE_FAILED with a reason when the source queue does not exist', async () => {
  await client.send(
    new CreatePipeCommand(queuePipe({ Source: 'arn:aws:sqs:us-east-1:000000000000:missing' })),
  );
  await waitAwsSeconds(SETTLED_SECONDS);

  const described = await client.send(new DescribePipeCommand({ Name: 'env-1-jobs' }));

  expect(described.CurrentState).toBe('CREATE_FAILED');
  expect(described.StateReason).toContain('missing');
});

it('hands queued messages to the ECS target in batches once RUNNING', async () => {
  await client.send(new CreatePipeCommand(queuePipe()));
  for (const body of ['a', 'b', 'c'])
    await queues.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  const whileCreating = pipeInvocations(services.running.sim.ctx, 'env-1-jobs');
  await waitAwsSeconds(SETTLED_SECONDS);

  const invocations = pipeInvocations(services.running.sim.ctx, 'env-1-jobs');

  expect(whileCreating).toEqual([]);
  expect(invocations.map((invocation) => invocation.bodies)).toEqual([['a', 'b'], ['c']]);
  expect(invocations[0]?.taskDefinitionArn).toContain('worker:3');
});

it('updates a settled pipe (UPDATING) and refuses changes while it is transitioning', async () => {
  await client.send(new CreatePipeCommand(queuePipe()));
  const update = {
    Name: 'env-1-jobs',
    RoleArn: 'arn:aws:iam::000000000000:role/berth-pipes',
    DesiredState: 'STOPPED' as const,
  };

  await expect(client.send(new UpdatePipeCommand(update))).rejects.toMatchObject({
    name: 'ConflictException',
  });
  await waitAwsSeconds(SETTLED_SECONDS);
  const updated = await client.send(new UpdatePipeCommand(update));
  await waitAwsSeconds(SETTLED_SECONDS);
  const described = await client.send(new DescribePipeCommand({ Name: 'env-1-jobs' }));

  expect(updated.CurrentState).toBe('UPDATING');
  expect(described).toMatchObject({ CurrentState: 'STOPPED', DesiredState: 'STOPPED' });
});

it('deletes a pipe: DELETING, then NotFoundException', async () => {
  await client.send(new CreatePipeCommand(queuePipe()));
  await waitAwsSeconds(SETTLED_SECONDS);

  const deleted = await client.send(new DeletePipeCommand({ Name: 'env-1-jobs' }));
  await waitAwsSeconds(SETTLED_SECONDS);

  expect(deleted).toMatchObject({ CurrentState: 'DELETING', DesiredState: 'DELETED' });
  await expect(client.send(new DescribePipeCommand({ Name: 'env-1-jobs' }))).rejects.toMatchObject({
    name: 'NotFoundException',
    $metadata: { httpStatusCode: 404 },
  });
});

it('lists pipes by name prefix', async () => {
  await client.send(new CreatePipeCommand(queuePipe()));
  await client.send(new CreatePipeCommand(queuePipe({ Name: 'other' })));

  const listed = await client.send(new ListPipesCommand({ NamePrefix: 'env-1-' }));

  expect(listed.Pipes?.map((pipe) => [pipe.Name, pipe.Source, pipe.Target])).toEqual([
    ['env-1-jobs', queueArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-env-1'],
  ]);
});

it('requires EcsTaskParameters for an ECS cluster target', async () => {
  await expect(client.send(new CreatePipeCommand(queuePipe({ TargetParameters: {} })))).rejects.toMatchObject(
    {
      name: 'ValidationException',
    },
  );
});

describe('through the AWS CLI v2', () => {
  it('creates and lists a pipe, and reports a missing one as NotFoundException', async () => {
    const endpoint = services.running.url;
    const pipe = queuePipe();
    const created = await awsCli(
      [
        'pipes',
        'create-pipe',
        '--name',
        'cli-pipe',
        '--source',
        queueArn,
        '--target',
        pipe.Target ?? '',
        '--role-arn',
        pipe.RoleArn ?? '',
        '--target-parameters',
        JSON.stringify(pipe.TargetParameters),
      ],
      { endpoint },
    );
    const listed = await awsCli(['pipes', 'list-pipes', '--name-prefix', 'cli-'], { endpoint });
    const missing = await awsCli(['pipes', 'describe-pipe', '--name', 'nope'], { endpoint });

    expect(created.json).toMatchObject({ CurrentState: 'CREATING' });
    expect(listed.json).toMatchObject({ Pipes: [{ Name: 'cli-pipe' }] });
    expect(missing.stderr).toContain('NotFoundException');
  });
});
