/**
 * The table's client and its environment adapters, built once per Lambda container (SDK clients
 * reuse their connections across invocations). Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, so a local run differs from AWS only in its environment.
 * Imported by handlers and workflow steps only; a function bundles the factories it calls.
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

/** The environments, read and written: the functions that change them and the workflow steps. */
export function environmentStore(): EnvironmentStore {
  store ??= new EnvironmentStore(documentClient(), requireEnv('TABLE_NAME'));
  return store;
}

/** Reads only: the functions that never write bundle none of the store's transactions. */
export function environmentReader(): EnvironmentReader {
  reader ??= new EnvironmentReader(documentClient(), requireEnv('TABLE_NAME'));
  return reader;
}
