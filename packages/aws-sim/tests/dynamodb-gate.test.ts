/**
 * The IAM gate in front of DynamoDB Local: calls signed as a role are authorised as DynamoDB does —
 * per table and index, per partition key (`dynamodb:LeadingKeys`), a transaction item by item — and
 * every call that passes is answered exactly as DynamoDB Local answers it, errors included.
 *
 * It uses the DynamoDB Local that jest's global setup started (DYNAMODB_ENDPOINT); a run that selects
 * only packages/ starts none, so this file then starts its own.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb';
import type { Statement } from '../src/iam/policy';
import { dynamodbGate } from '../src/services/dynamodb-gate';
import { arn, asRole, refusalOf } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let ownDynamoDbLocal: DynamoDbLocal | undefined;
let services: SimulatedServices;
let operator: DynamoDBClient;
let direct: DynamoDBClient;

const TABLE = `gate-test-${process.pid}`;
const TABLE_ARN = arn('dynamodb', `table/${TABLE}`);
const INDEX_ARN = `${TABLE_ARN}/index/gsi1`;

beforeAll(async () => {
  let upstream = process.env.DYNAMODB_ENDPOINT;
  if (upstream === undefined) {
    ownDynamoDbLocal = await startDynamoDbLocal({ port: 0 });
    upstream = ownDynamoDbLocal.endpoint;
  }
  services = await startServices([dynamodbGate({ upstream })]);
  operator = new DynamoDBClient(services.clientConfig);
  direct = new DynamoDBClient({ ...services.clientConfig, endpoint: upstream });
  // The operator's table, created through the gate (the operator is not evaluated).
  await operator.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  await operator.send(new DeleteTableCommand({ TableName: TABLE }));
  operator.destroy();
  direct.destroy();
  await services.running.close();
  await ownDynamoDbLocal?.stop();
});

/** berth's item grants: one table and its index, partition keys with one prefix (infra/grants.js). */
function teamItems(
  actions: readonly string[],
  resources: readonly string[] = [TABLE_ARN, INDEX_ARN],
): Statement {
  return {
    Effect: 'Allow',
    Action: actions,
    Resource: resources,
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TEAM#*'] } },
  };
}

const itemWrites = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

function item(pk: string, sk = 'META', extra: Record<string, { S: string }> = {}) {
  return { pk: { S: pk }, sk: { S: sk }, ...extra };
}

async function stored(pk: string, sk = 'META') {
  const answer = await direct.send(new GetItemCommand({ TableName: TABLE, Key: item(pk, sk) }));
  return answer.Item;
}

describe('relaying', () => {
  it('answers the operator exactly what DynamoDB Local answers', async () => {
    // Act
    const { $metadata: _gate, ...throughGate } = await operator.send(
      new DescribeTableCommand({ TableName: TABLE }),
    );
    const { $metadata: _direct, ...fromLocal } = await direct.send(
      new DescribeTableCommand({ TableName: TABLE }),
    );

    // Assess
    expect(throughGate).toEqual(fromLocal);
    expect(throughGate.Table?.TableArn).toContain(TABLE);
  });
});

describe('items and leading keys', () => {
  it('lets a role write an item whose partition key its leading keys allow', async () => {
    // Prepare
    const client = new DynamoDBClient(
      asRole(services, 'TeamWriter', [teamItems(['dynamodb:GetItem', ...itemWrites])]),
    );

    // Act
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: item('TEAM#payments', 'META', { name: { S: 'Payments' } }),
      }),
    );
    const read = await client.send(new GetItemCommand({ TableName: TABLE, Key: item('TEAM#payments') }));

    // Assess
    expect(read.Item?.name).toEqual({ S: 'Payments' });
    client.destroy();
  });

  it('refuses a write outside its leading keys with AccessDeniedException naming the action, and writes nothing', async () => {
    // Prepare
    const client = new DynamoDBClient(asRole(services, 'TeamOnlyWriter', [teamItems(itemWrites)]));

    // Act
    const refusal = await refusalOf(
      client.send(new PutItemCommand({ TableName: TABLE, Item: item('USER#mallory') })),
    );

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.$metadata?.httpStatusCode).toBe(400);
    expect(refusal.message).toContain(
      `is not authorized to perform: dynamodb:PutItem on resource: ${TABLE_ARN}`,
    );
    expect(await stored('USER#mallory')).toBeUndefined();
    client.destroy();
  });
});

describe('transactions', () => {
  it('refuses a transaction when one of its items is outside the leading keys, and writes none of them', async () => {
    // Prepare
    const client = new DynamoDBClient(asRole(services, 'TeamTransactor', [teamItems(itemWrites)]));
    const input: TransactWriteItemsCommandInput = {
      TransactItems: [
        { Put: { TableName: TABLE, Item: item('TEAM#billing') } },
        { Put: { TableName: TABLE, Item: item('SLACKUSER#U1') } },
      ],
    };

    // Act
    const refusal = await refusalOf(client.send(new TransactWriteItemsCommand(input)));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain('dynamodb:PutItem');
    expect(await stored('TEAM#billing')).toBeUndefined();
    expect(await stored('SLACKUSER#U1')).toBeUndefined();
    client.destroy();
  });

  it('authorises a transaction item by item: a ConditionCheck needs dynamodb:ConditionCheckItem', async () => {
    // Prepare
    const client = new DynamoDBClient(asRole(services, 'TeamPutOnly', [teamItems(['dynamodb:PutItem'])]));

    // Act
    const refusal = await refusalOf(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: item('TEAM#ops') } },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: item('TEAM#payments'),
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      ),
    );

    // Assess
    expect(refusal.message).toContain('dynamodb:ConditionCheckItem');
    expect(await stored('TEAM#ops')).toBeUndefined();
    client.destroy();
  });

  it('relays TransactionCanceledException with the CancellationReasons DynamoDB Local gives', async () => {
    // Prepare
    const client = new DynamoDBClient(asRole(services, 'TeamCanceller', [teamItems(itemWrites)]));
    const input: TransactWriteItemsCommandInput = {
      TransactItems: [
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: item('TEAM#nobody'),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        { Put: { TableName: TABLE, Item: item('TEAM#audit') } },
      ],
    };

    // Act
    const throughGate = await refusalOf(client.send(new TransactWriteItemsCommand(input)));
    const fromLocal = await refusalOf(direct.send(new TransactWriteItemsCommand(input)));

    // Assess
    expect(throughGate).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error: unknown) => (error as TransactionCanceledException).CancellationReasons;
    expect(reasons(throughGate)?.map((reason) => reason.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    expect(reasons(throughGate)).toEqual(reasons(fromLocal));
    expect(throughGate.message).toBe(fromLocal.message);
    expect(await stored('TEAM#audit')).toBeUndefined();
    client.destroy();
  });
});

describe('queries and batches', () => {
  it('authorises a Query by the partition-key value its key condition binds', async () => {
    // Prepare
    const client = new DynamoDBClient(asRole(services, 'TeamReader', [teamItems(['dynamodb:Query'])]));
    const query = (team: string) =>
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: '#pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': { S: team }, ':prefix': { S: 'META' } },
        }),
      );

    // Act
    const allowed = await query('TEAM#payments');
    const refusal = await refusalOf(query('USER#mallory'));

    // Assess
    expect(allowed.Items).toBeDefined();
    expect(refusal.message).toContain(`dynamodb:Query on resource: ${TABLE_ARN}`);
    client.destroy();
  });

  it('authorises a Query on an index against the index ARN', async () => {
    // Prepare
    const tableOnly = new DynamoDBClient(
      asRole(services, 'TableOnlyReader', [teamItems(['dynamodb:Query'], [TABLE_ARN])]),
    );
    const withIndex = new DynamoDBClient(asRole(services, 'IndexReader', [teamItems(['dynamodb:Query'])]));
    const query = new QueryCommand({
      TableName: TABLE,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :team',
      ExpressionAttributeValues: { ':team': { S: 'TEAM#payments' } },
    });

    // Act
    const refusal = await refusalOf(tableOnly.send(query));
    const allowed = await withIndex.send(query);

    // Assess
    expect(refusal.message).toContain(`dynamodb:Query on resource: ${INDEX_ARN}`);
    expect(allowed.Items).toEqual([]);
    tableOnly.destroy();
    withIndex.destroy();
  });

  it('authorises BatchWriteItem as its own action, not as PutItem', async () => {
    // Prepare
    const putOnly = new DynamoDBClient(asRole(services, 'TeamPutter', [teamItems(['dynamodb:PutItem'])]));
    const batcher = new DynamoDBClient(
      asRole(services, 'TeamBatcher', [teamItems(['dynamodb:BatchWriteItem'])]),
    );
    const batch = new BatchWriteItemCommand({
      RequestItems: { [TABLE]: [{ PutRequest: { Item: item('TEAM#batch') } }] },
    });

    // Act
    const refusal = await refusalOf(putOnly.send(batch));
    await batcher.send(batch);

    // Assess
    expect(refusal.message).toContain(`dynamodb:BatchWriteItem on resource: ${TABLE_ARN}`);
    expect(await stored('TEAM#batch')).toBeDefined();
    putOnly.destroy();
    batcher.destroy();
  });
});
