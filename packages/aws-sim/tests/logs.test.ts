import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { logs } from '../src/services/logs';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let client: CloudWatchLogsClient;

beforeAll(async () => {
  services = await startServices([logs]);
  client = new CloudWatchLogsClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.reset();
});

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: { name: string }) => error,
  );

it('creates a tagged log group once, with retention, and describes it by prefix', async () => {
  await client.send(
    new CreateLogGroupCommand({ logGroupName: '/berth/dev/web', tags: { 'berth:environment': 'dev' } }),
  );
  const duplicate = await errorOf(client.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev/web' })));
  await client.send(new PutRetentionPolicyCommand({ logGroupName: '/berth/dev/web', retentionInDays: 30 }));
  const invalidRetention = await errorOf(
    client.send(new PutRetentionPolicyCommand({ logGroupName: '/berth/dev/web', retentionInDays: 2 })),
  );

  const described = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/berth/dev' }));

  expect(duplicate.name).toBe('ResourceAlreadyExistsException');
  expect(invalidRetention.name).toBe('InvalidParameterException');
  expect(described.logGroups).toEqual([
    expect.objectContaining({
      logGroupName: '/berth/dev/web',
      retentionInDays: 30,
      arn: 'arn:aws:logs:us-east-1:000000000000:log-group:/berth/dev/web:*',
      logGroupArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/berth/dev/web',
      creationTime: expect.any(Number),
    }),
  ]);
});

it('pages log groups with nextToken', async () => {
  for (const name of ['/a', '/b', '/c']) await client.send(new CreateLogGroupCommand({ logGroupName: name }));

  const first = await client.send(new DescribeLogGroupsCommand({ limit: 2 }));
  const second = await client.send(new DescribeLogGroupsCommand({ limit: 2, nextToken: first.nextToken }));

  expect(first.logGroups?.map((group) => group.logGroupName)).toEqual(['/a', '/b']);
  expect(second.logGroups?.map((group) => group.logGroupName)).toEqual(['/c']);
  expect(second.nextToken).toBeUndefined();
});

it('tags by ARN and deletes, answering ResourceNotFoundException for a missing group', async () => {
  await client.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev/api' }));
  const resourceArn = 'arn:aws:logs:us-east-1:000000000000:log-group:/berth/dev/api';

  await client.send(new TagResourceCommand({ resourceArn, tags: { 'berth:team': 'payments' } }));
  const tags = await client.send(new ListTagsForResourceCommand({ resourceArn }));
  await client.send(new DeleteLogGroupCommand({ logGroupName: '/berth/dev/api' }));
  const missing = await errorOf(client.send(new DeleteLogGroupCommand({ logGroupName: '/berth/dev/api' })));

  expect(tags.tags).toEqual({ 'berth:team': 'payments' });
  expect(missing.name).toBe('ResourceNotFoundException');
});
