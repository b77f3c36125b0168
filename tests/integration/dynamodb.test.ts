import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { createTable, type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb';
import { TEST_TABLE_NAME, testDynamoDbClientConfig } from '../setup/dynamodb';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('DynamoDB Local', () => {
  it('starts on a free port and stops', async () => {
    // Prepare
    const dynamodb: DynamoDbLocal = await startDynamoDbLocal({ port: 0 });
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'eu-west-1', credentials });
    try {
      // Act
      const tables = await client.send(new ListTablesCommand({}));
      // Assess
      expect(dynamodb.port).toBeGreaterThan(0);
      expect(dynamodb.endpoint).toBe(`http://127.0.0.1:${dynamodb.port}`);
      expect(tables.TableNames).toEqual([]);
    } finally {
      client.destroy();
      await dynamodb.stop();
    }
    await expect(fetch(dynamodb.endpoint)).rejects.toThrow();
  });
});

describe('the shared test table', () => {
  const client = new DynamoDBClient(testDynamoDbClientConfig());
  afterAll(() => client.destroy());

  it('has the keys and the gsi1 index of serverless.yml', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TEST_TABLE_NAME }));

    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }),
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('expires items by expiresAt', async () => {
    const { TimeToLiveDescription } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: TEST_TABLE_NAME }),
    );

    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('is created idempotently', async () => {
    await expect(createTable(client, TEST_TABLE_NAME)).resolves.toBeUndefined();
  });

  it('is visible whatever the caller’s Region and credentials (sharedDb)', async () => {
    const other = new DynamoDBClient({
      ...testDynamoDbClientConfig(),
      region: 'ap-southeast-2',
      credentials: { accessKeyId: 'other', secretAccessKey: 'other' },
    });
    try {
      const { TableNames } = await other.send(new ListTablesCommand({}));
      expect(TableNames).toContain(TEST_TABLE_NAME);
    } finally {
      other.destroy();
    }
  });
});
