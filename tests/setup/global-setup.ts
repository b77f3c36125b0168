/**
 * Starts one DynamoDB Local for the whole jest run on a free port, exports DYNAMODB_ENDPOINT (jest
 * workers are forked after this and inherit it) and creates the `berth-test` table from serverless.yml.
 * An endpoint already in DYNAMODB_ENDPOINT is used as is; runs that select only suites which never
 * touch DynamoDB (tests/unit, tests/local, tests/bench, packages/) start nothing.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GlobalConfig } from 'jest';
import { createTable, type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb';
import { USAGE_DIR_VARIABLE } from '../support/iam-usage';
import { TEST_TABLE_NAME, testDynamoDbClientConfig } from './dynamodb';

const DATABASE_FREE_SUITES = /(^|[/\\])(tests[/\\](unit|local|bench)|packages)([/\\]|$)/;

declare global {
  /** Shared with global-teardown.ts: both run in jest's parent process. */
  var berthDynamoDbLocal: DynamoDbLocal | undefined;
}

export default async function globalSetup(globalConfig: GlobalConfig): Promise<void> {
  // Where each suite's simulated AWS leaves its unused IAM grants (tests/support/iam-usage.ts).
  process.env[USAGE_DIR_VARIABLE] ??= mkdtempSync(join(tmpdir(), 'berth-iam-usage-'));
  const patterns = globalConfig.testPathPatterns.patterns;
  if (patterns.length > 0 && patterns.every((pattern) => DATABASE_FREE_SUITES.test(pattern))) return;

  if (!process.env.DYNAMODB_ENDPOINT) {
    const dynamodb = await startDynamoDbLocal({ port: 0 });
    globalThis.berthDynamoDbLocal = dynamodb;
    process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  }
  const client = new DynamoDBClient(testDynamoDbClientConfig());
  try {
    await createTable(client, TEST_TABLE_NAME);
  } finally {
    client.destroy();
  }
}
