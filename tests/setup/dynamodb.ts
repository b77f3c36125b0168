/**
 * The DynamoDB Local shared by one jest run (started by global-setup.ts). Integration tests build
 * their clients from here so that they all talk to the same server and table.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/** The table global-setup.ts creates from serverless.yml. */
export const TEST_TABLE_NAME = 'berth-test';

/** The endpoint exported by global-setup.ts; throws when the run did not start DynamoDB Local. */
export function testDynamoDbEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'DYNAMODB_ENDPOINT is not set: tests/setup/global-setup.ts skips DynamoDB Local when only ' +
        'tests/unit, tests/local, tests/bench or packages/ are selected. Run the test through jest from the repo root.',
    );
  }
  return endpoint;
}

/** Client settings for the shared DynamoDB Local (dummy credentials: it accepts any). */
export function testDynamoDbClientConfig(): DynamoDBClientConfig {
  return {
    endpoint: testDynamoDbEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}
