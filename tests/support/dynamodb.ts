/** The DynamoDB Local that tests/setup started for this jest run, and its table. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const TEST_TABLE = 'berth-test';

export function testEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error(
      'DYNAMODB_ENDPOINT is not set: run the tests through jest (tests/setup starts DynamoDB Local)',
    );
  return endpoint;
}

export function testDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: testEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
