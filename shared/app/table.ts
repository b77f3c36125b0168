/**
 * The table's client and store, built once per Lambda container (SDK clients reuse their connections
 * across invocations): all that the functions that only read, and the workflow steps, need. Apart
 * from dependencies.ts so that they bundle no Step Functions or EventBridge client and no schema.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '../config';
import { EnvironmentReader } from '../store/environment-reader';
import { EnvironmentStore } from '../store/environments';

let client: DynamoDBDocumentClient | undefined;
let store: EnvironmentStore | undefined;
let reader: EnvironmentReader | undefined;

/** One client per container, shared by every store built on it (one connection pool, one credential chain). */
export function documentClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}

/** The table only: what reads and the workflow steps need (they never start workflows). */
export function defaultStore(): EnvironmentStore {
  store ??= new EnvironmentStore(documentClient(), requireEnv('TABLE_NAME'));
  return store;
}

/** Reads only: the functions that never write bundle none of the store's transactions. */
export function defaultReader(): EnvironmentReader {
  reader ??= new EnvironmentReader(documentClient(), requireEnv('TABLE_NAME'));
  return reader;
}
