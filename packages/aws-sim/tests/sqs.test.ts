import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  QueueDoesNotExist,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { sqs } from '../src/services/sqs';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let client: SQSClient;

beforeAll(async () => {
  services = await startServices([sqs]);
  client = new SQSClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(() => services.running.sim.reset());
afterEach(() => services.running.sim.clock.setScale(0.001));

async function createQueue(name: string): Promise<string> {
  const created = await client.send(
    new CreateQueueCommand({ QueueName: name, tags: { 'berth:environment': 'env-1' } }),
  );
  if (!created.QueueUrl) throw new Error('no queue url');
  return created.QueueUrl;
}

it('creates a queue with an AWS-style URL, tags and attributes', async () => {
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: 'jobs',
      Attributes: { VisibilityTimeout: '60' },
      tags: { 'berth:team': 'payments' },
    }),
  );
  const url = created.QueueUrl ?? '';

  const attributes = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
  );
  const tags = await client.send(new ListQueueTagsCommand({ QueueUrl: url }));

  expect(url).toBe('https://sqs.us-east-1.amazonaws.com/000000000000/jobs');
  expect(attributes.Attributes).toMatchObject({
    QueueArn: 'arn:aws:sqs:us-east-1:000000000000:jobs',
    VisibilityTimeout: '60',
    ApproximateNumberOfMessages: '0',
  });
  expect(tags.Tags).toEqual({ 'berth:team': 'payments' });
});

it('is idempotent for the same attributes and refuses different ones', async () => {
  await createQueue('jobs');

  const again = await client.send(new CreateQueueCommand({ QueueName: 'jobs' }));

  expect(again.QueueUrl).toContain('/jobs');
  await expect(
    client.send(new CreateQueueCommand({ QueueName: 'jobs', Attributes: { DelaySeconds: '5' } })),
  ).rejects.toMatchObject({ name: 'QueueNameExists' });
});

it('finds queues by name and by prefix', async () => {
  const url = await createQueue('berth-env-1-jobs');
  await createQueue('other');

  const found = await client.send(new GetQueueUrlCommand({ QueueName: 'berth-env-1-jobs' }));
  const listed = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'berth-' }));

  expect(found.QueueUrl).toBe(url);
  expect(listed.QueueUrls).toEqual([url]);
});

it('answers QueueDoesNotExist for a missing queue, with the legacy query code', async () => {
  const failure = client.send(new GetQueueUrlCommand({ QueueName: 'missing' }));

  await expect(failure).rejects.toBeInstanceOf(QueueDoesNotExist);
  await expect(failure).rejects.toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue' });
});

it('sends a message with the body MD5 the SDK checks, and counts it', async () => {
  const url = await createQueue('jobs');

  const sent = await client.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: '{"job":"nightly"}',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'job' } },
    }),
  );
  const attributes = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );

  expect(sent.MessageId).toBeDefined();
  expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  expect(attributes.Attributes).toEqual({ ApproximateNumberOfMessages: '1' });
});

it('changes the attributes of an existing queue, and refuses an unknown one', async () => {
  const url = await createQueue('attributes');

  await client.send(
    new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '120' } }),
  );

  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
  );
  expect(Attributes?.VisibilityTimeout).toBe('120');
  await expect(
    client.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { Colour: 'blue' } as Record<string, string>,
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidAttributeName' });
});

it('tags an existing queue', async () => {
  const url = await createQueue('jobs');

  await client.send(new TagQueueCommand({ QueueUrl: url, Tags: { owner: 'berth' } }));
  const tags = await client.send(new ListQueueTagsCommand({ QueueUrl: url }));

  expect(tags.Tags).toEqual({ 'berth:environment': 'env-1', owner: 'berth' });
});

it('deletes a queue and keeps its name reserved for 60 seconds', async () => {
  // At real speed the 60 s reservation cannot run out during the test.
  services.running.sim.clock.setScale(1);
  const url = await createQueue('jobs');

  await client.send(new DeleteQueueCommand({ QueueUrl: url }));

  await expect(client.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).rejects.toBeInstanceOf(
    QueueDoesNotExist,
  );
  await expect(client.send(new CreateQueueCommand({ QueueName: 'jobs' }))).rejects.toMatchObject({
    name: 'QueueDeletedRecently',
  });
});

describe('through the AWS CLI v2', () => {
  // CLI 2.9.19 (botocore before SQS moved to JSON) sends SQS as awsQuery (`Action=CreateQueue`), which
  // real SQS still accepts: the simulator answers such requests through its query adapter.
  it('creates a queue and finds its URL through the form-encoded protocol the CLI speaks', async () => {
    const endpoint = services.running.url;
    const created = await awsCli(['sqs', 'create-queue', '--queue-name', 'cli-jobs'], { endpoint });

    const found = await awsCli(['sqs', 'get-queue-url', '--queue-name', 'cli-jobs'], { endpoint });

    expect((created.json as { QueueUrl?: string } | undefined)?.QueueUrl).toBe(
      'https://sqs.us-east-1.amazonaws.com/000000000000/cli-jobs',
    );
    expect(found.json).toEqual({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/cli-jobs' });
  });

  it('reports a missing queue with the legacy error code the CLI reads', async () => {
    const result = await awsCli(['sqs', 'get-queue-url', '--queue-name', 'no-such-queue'], {
      endpoint: services.running.url,
    });

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('AWS.SimpleQueueService.NonExistentQueue');
  });
});
