/**
 * An IAM gate in front of DynamoDB Local: the `dynamodb` service of the simulator authorises each call
 * as DynamoDB would, then forwards it unchanged to DynamoDB Local and relays the answer unchanged
 * (status, body, `__type` and extra error fields such as `CancellationReasons`).
 *
 * Why it exists: berth's functions reach their table with grants scoped to one table, its index and
 * partition-key prefixes (`dynamodb:LeadingKeys`); DynamoDB Local checks none of that. Pointing the
 * functions' `AWS_ENDPOINT_URL_DYNAMODB` at the simulator puts their table calls under the same IAM
 * evaluation as every other call, while DynamoDB Local keeps the data. It is not in the default service
 * list: the local stack adds `dynamodbGate({ upstream })`. It has no rate limits.
 *
 * What is evaluated (docs/aws-facts.md#dynamodb-gate): `dynamodb:<Action>` on the table ARN (on
 * `…/index/<name>` for a Query or Scan of an index), with `dynamodb:LeadingKeys` the partition-key values
 * the call touches — from `Key`/`Item`, or the value a Query binds to the partition key. A transaction
 * is authorised item by item as PutItem/UpdateItem/DeleteItem/ConditionCheckItem/GetItem, with
 * `dynamodb:EnclosingOperation`; BatchGetItem and BatchWriteItem are their own actions, once per table.
 * The key schema comes from DescribeTable on DynamoDB Local, cached per table. Authorisation needs that
 * asynchronous look-up, so it happens in the operation rather than in the synchronous `authorize`
 * table; `dynamodb:Attributes`, `dynamodb:Select` and `dynamodb:ReturnValues` are not modelled, and
 * PartiQL is refused to role sessions (the evaluator fails closed on what it does not know).
 */
import type { AccessRequest } from '../iam/access';
import { arnOf } from '../iam/access';
import { denialMessage } from '../iam/identities';
import { isRecord, readString } from '../input';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  HttpAnswer,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
} from '../kernel';

export interface DynamoDbGateOptions {
  /** DynamoDB Local, e.g. `http://127.0.0.1:8000`. */
  readonly upstream: string;
}

const TARGET_PREFIX = 'DynamoDB_20120810';

/** The operations of the DynamoDB API (2012-08-10); DynamoDB Local answers those it lacks itself. */
const OPERATIONS = [
  'BatchExecuteStatement',
  'BatchGetItem',
  'BatchWriteItem',
  'CreateBackup',
  'CreateGlobalTable',
  'CreateTable',
  'DeleteBackup',
  'DeleteItem',
  'DeleteResourcePolicy',
  'DeleteTable',
  'DescribeBackup',
  'DescribeContinuousBackups',
  'DescribeContributorInsights',
  'DescribeEndpoints',
  'DescribeExport',
  'DescribeGlobalTable',
  'DescribeGlobalTableSettings',
  'DescribeImport',
  'DescribeKinesisStreamingDestination',
  'DescribeLimits',
  'DescribeTable',
  'DescribeTableReplicaAutoScaling',
  'DescribeTimeToLive',
  'DisableKinesisStreamingDestination',
  'EnableKinesisStreamingDestination',
  'ExecuteStatement',
  'ExecuteTransaction',
  'ExportTableToPointInTime',
  'GetItem',
  'GetResourcePolicy',
  'ImportTable',
  'ListBackups',
  'ListContributorInsights',
  'ListExports',
  'ListGlobalTables',
  'ListImports',
  'ListTables',
  'ListTagsOfResource',
  'PutItem',
  'PutResourcePolicy',
  'Query',
  'RestoreTableFromBackup',
  'RestoreTableToPointInTime',
  'Scan',
  'TagResource',
  'TransactGetItems',
  'TransactWriteItems',
  'UntagResource',
  'UpdateContinuousBackups',
  'UpdateContributorInsights',
  'UpdateGlobalTable',
  'UpdateGlobalTableSettings',
  'UpdateItem',
  'UpdateKinesisStreamingDestination',
  'UpdateTable',
  'UpdateTableReplicaAutoScaling',
  'UpdateTimeToLive',
] as const;

/** PartiQL is authorised per statement (`dynamodb:PartiQLSelect`…), which the gate does not parse. */
const PARTIQL = new Set(['ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction']);

/** Calls after which a table's key schema may differ (new table, new index, table gone). */
const SCHEMA_CHANGES = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);

/** Answer headers that belong to the hop, not to the answer; the server sets its own. */
const HOP_HEADERS = new Set([
  'connection',
  'content-length',
  'date',
  'keep-alive',
  'server',
  'transfer-encoding',
  'x-amzn-requestid',
]);

/** The partition-key attribute of the table and of each of its indexes. */
interface KeySchema {
  readonly partitionKey: string;
  readonly indexes: ReadonlyMap<string, string>;
}

interface Table {
  readonly name: string;
  readonly arn: string;
}

type Context = Record<string, string | readonly string[]>;

/** What DynamoDB Local answered, as it is relayed. */
interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** DynamoDB Local over HTTP, signed with the gate's own key so every caller shares one database. */
class Upstream {
  constructor(private readonly url: string) {}

  async send(operation: string, body: string, region: string): Promise<UpstreamAnswer> {
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/+$/, '')}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `${TARGET_PREFIX}.${operation}`,
          'x-amz-date': amzDate,
          // DynamoDB Local reads the key and Region from here and verifies no signature.
          authorization:
            `AWS4-HMAC-SHA256 Credential=awssimgate/${amzDate.slice(0, 8)}/${region}/dynamodb/aws4_request, ` +
            `SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
        },
        body,
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new AwsError('InternalServerError', `DynamoDB Local at ${this.url} did not answer: ${why}`, 500);
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!HOP_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    });
    return { status: response.status, headers, body: await response.text() };
  }
}

/** Key schemas from DescribeTable, cached per table name (a table not found is not cached). */
class KeySchemas {
  private readonly cache = new Map<string, Promise<KeySchema | undefined>>();

  constructor(private readonly upstream: Upstream) {}

  get(tableName: string, region: string, options: { fresh?: boolean } = {}): Promise<KeySchema | undefined> {
    if (options.fresh) this.cache.delete(tableName);
    const cached = this.cache.get(tableName);
    if (cached) return cached;
    const loading = this.describe(tableName, region).then((schema) => {
      if (schema === undefined) this.cache.delete(tableName);
      return schema;
    });
    this.cache.set(tableName, loading);
    return loading;
  }

  forget(tableName: string): void {
    this.cache.delete(tableName);
  }

  private async describe(tableName: string, region: string): Promise<KeySchema | undefined> {
    const answer = await this.upstream.send(
      'DescribeTable',
      JSON.stringify({ TableName: tableName }),
      region,
    );
    if (answer.status !== 200) return undefined;
    const table = parseObject(answer.body)?.Table;
    if (!isRecord(table)) return undefined;
    const partitionKey = hashKey(table.KeySchema);
    if (partitionKey === undefined) return undefined;
    const indexes = new Map<string, string>();
    for (const list of [table.GlobalSecondaryIndexes, table.LocalSecondaryIndexes]) {
      for (const index of Array.isArray(list) ? list : []) {
        const name = isRecord(index) ? readString(index, 'IndexName') : undefined;
        const key = isRecord(index) ? hashKey(index.KeySchema) : undefined;
        if (name !== undefined && key !== undefined) indexes.set(name, key);
      }
    }
    return { partitionKey, indexes };
  }
}

function parseObject(text: string): OperationInput | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function hashKey(keySchema: unknown): string | undefined {
  if (!Array.isArray(keySchema)) return undefined;
  const hash = keySchema.find((element) => isRecord(element) && element.KeyType === 'HASH');
  return isRecord(hash) ? readString(hash, 'AttributeName') : undefined;
}

/** A table named by name or ARN (DynamoDB accepts both in `TableName`). */
function tableOf(ctx: SimContext, nameOrArn: string): Table {
  const fromArn = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)/.exec(nameOrArn);
  if (fromArn?.[1]) return { name: fromArn[1], arn: fromArn[0] };
  return { name: nameOrArn, arn: arnOf(ctx, 'dynamodb', `table/${nameOrArn}`) };
}

/** The text of a partition-key AttributeValue (`{ "S": "TEAM#a" }`, `{ "N": "7" }`, `{ "B": "…" }`). */
function keyText(attributeValue: unknown): string | undefined {
  if (!isRecord(attributeValue)) return undefined;
  for (const type of ['S', 'N', 'B']) {
    const value = attributeValue[type];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function leadingKeys(values: readonly (string | undefined)[]): Context {
  const known = [...new Set(values.filter((value): value is string => value !== undefined))];
  return known.length > 0 ? { 'dynamodb:LeadingKeys': known } : {};
}

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message, 400);
}

/**
 * The value a Query's key condition binds to the partition key: `#pk = :v` or `pk = :v` (either side),
 * names and values resolved; or the legacy `KeyConditions` with `EQ`.
 */
export function queryPartitionValue(input: OperationInput, partitionKey: string): string | undefined {
  const expression = readString(input, 'KeyConditionExpression');
  if (expression === undefined) {
    const condition = isRecord(input.KeyConditions) ? input.KeyConditions[partitionKey] : undefined;
    if (!isRecord(condition) || condition.ComparisonOperator !== 'EQ') return undefined;
    const [value] = Array.isArray(condition.AttributeValueList) ? condition.AttributeValueList : [];
    return keyText(value);
  }
  const names = isRecord(input.ExpressionAttributeNames) ? input.ExpressionAttributeNames : {};
  const values = isRecord(input.ExpressionAttributeValues) ? input.ExpressionAttributeValues : {};
  const operand = '(#?[A-Za-z0-9_.-]+|:[A-Za-z0-9_]+)';
  // `(?<![<>!])` keeps `<=`/`>=` out; `(?!=)` keeps `==` out (no such operator in key conditions).
  const equality = new RegExp(`${operand}\\s*(?<![<>!])=(?!=)\\s*${operand}`, 'g');
  for (const [, left = '', right = ''] of expression.matchAll(equality)) {
    const [name, placeholder] = left.startsWith(':') ? [right, left] : [left, right];
    if (!placeholder.startsWith(':')) continue;
    const attribute = name.startsWith('#') ? names[name] : name;
    if (attribute === partitionKey) return keyText(values[placeholder]);
  }
  return undefined;
}

/** The IAM requests of one call, as DynamoDB evaluates them. */
class Requests {
  constructor(
    private readonly ctx: SimContext,
    private readonly schemas: KeySchemas,
  ) {}

  async of(operation: string, input: OperationInput): Promise<AccessRequest[]> {
    switch (operation) {
      case 'GetItem':
      case 'DeleteItem':
      case 'UpdateItem':
        return [await this.item(`dynamodb:${operation}`, readString(input, 'TableName'), input.Key)];
      case 'PutItem':
        return [await this.item('dynamodb:PutItem', readString(input, 'TableName'), input.Item)];
      case 'Query':
        return [await this.query(input)];
      case 'Scan':
        return [{ action: 'dynamodb:Scan', resource: this.tableOrIndex(input) }];
      case 'BatchGetItem':
        return this.batch('dynamodb:BatchGetItem', input, (entry) =>
          isRecord(entry) && Array.isArray(entry.Keys) ? entry.Keys : [],
        );
      case 'BatchWriteItem':
        return this.batch('dynamodb:BatchWriteItem', input, (entry) =>
          (Array.isArray(entry) ? entry : []).map((write) => {
            if (!isRecord(write)) return undefined;
            if (isRecord(write.PutRequest)) return write.PutRequest.Item;
            if (isRecord(write.DeleteRequest)) return write.DeleteRequest.Key;
            return undefined;
          }),
        );
      case 'TransactWriteItems':
        return this.transaction(input, 'TransactWriteItems', {
          Put: ['dynamodb:PutItem', 'Item'],
          Update: ['dynamodb:UpdateItem', 'Key'],
          Delete: ['dynamodb:DeleteItem', 'Key'],
          ConditionCheck: ['dynamodb:ConditionCheckItem', 'Key'],
        });
      case 'TransactGetItems':
        return this.transaction(input, 'TransactGetItems', { Get: ['dynamodb:GetItem', 'Key'] });
      default:
        return [{ action: `dynamodb:${operation}`, resource: this.resourceOf(input) }];
    }
  }

  /** One item's action, with its partition-key value as `dynamodb:LeadingKeys`. */
  private async item(
    action: string,
    tableName: string | undefined,
    key: unknown,
    extra: Context = {},
  ): Promise<AccessRequest> {
    const table = tableOf(this.ctx, tableName ?? '');
    const schema = await this.schemas.get(table.name, this.ctx.region);
    const value = schema && isRecord(key) ? keyText(key[schema.partitionKey]) : undefined;
    // No key value (no such table, or the key is missing): nothing is touched; DynamoDB Local refuses it.
    return { action, resource: table.arn, context: { ...leadingKeys([value]), ...extra } };
  }

  private async query(input: OperationInput): Promise<AccessRequest> {
    const table = tableOf(this.ctx, readString(input, 'TableName') ?? '');
    const indexName = readString(input, 'IndexName');
    const resource = this.tableOrIndex(input);
    let schema = await this.schemas.get(table.name, this.ctx.region);
    if (schema === undefined) return { action: 'dynamodb:Query', resource };
    if (indexName !== undefined && !schema.indexes.has(indexName)) {
      schema = await this.schemas.get(table.name, this.ctx.region, { fresh: true });
    }
    const partitionKey = indexName === undefined ? schema?.partitionKey : schema?.indexes.get(indexName);
    if (partitionKey === undefined) {
      throw validation(`The table does not have the specified index: ${indexName ?? ''}`);
    }
    // A Query reads one partition; if the gate cannot tell which, it refuses rather than guess.
    const value = queryPartitionValue(input, partitionKey);
    if (value === undefined) throw validation(`Query condition missed key schema element: ${partitionKey}`);
    return { action: 'dynamodb:Query', resource, context: leadingKeys([value]) };
  }

  private tableOrIndex(input: OperationInput): string {
    const table = tableOf(this.ctx, readString(input, 'TableName') ?? '');
    const indexName = readString(input, 'IndexName');
    return indexName === undefined ? table.arn : `${table.arn}/index/${indexName}`;
  }

  /** A batch is one request per table, with the partition-key values of all its items there. */
  private async batch(
    action: string,
    input: OperationInput,
    keysOf: (entry: unknown) => unknown[],
  ): Promise<AccessRequest[]> {
    const requestItems = isRecord(input.RequestItems) ? input.RequestItems : {};
    const requests: AccessRequest[] = [];
    for (const [tableName, entry] of Object.entries(requestItems)) {
      const table = tableOf(this.ctx, tableName);
      const schema = await this.schemas.get(table.name, this.ctx.region);
      const values = keysOf(entry).map((key) =>
        schema && isRecord(key) ? keyText(key[schema.partitionKey]) : undefined,
      );
      requests.push({ action, resource: table.arn, context: leadingKeys(values) });
    }
    return requests;
  }

  /** Each item of a transaction is authorised as the single-item action it performs. */
  private async transaction(
    input: OperationInput,
    enclosing: string,
    kinds: Record<string, readonly [action: string, keyMember: string]>,
  ): Promise<AccessRequest[]> {
    const requests: AccessRequest[] = [];
    for (const item of Array.isArray(input.TransactItems) ? input.TransactItems : []) {
      if (!isRecord(item)) continue;
      for (const [kind, [action, keyMember]] of Object.entries(kinds)) {
        const entry = item[kind];
        if (!isRecord(entry)) continue;
        requests.push(
          await this.item(action, readString(entry, 'TableName'), entry[keyMember], {
            'dynamodb:EnclosingOperation': enclosing,
          }),
        );
      }
    }
    return requests;
  }

  /** The resource of a table-level or account-level call: the ARN it names, else `*`. */
  private resourceOf(input: OperationInput): string {
    const arn = readString(input, 'ResourceArn') ?? readString(input, 'TableArn');
    if (arn !== undefined) return arn;
    const tableName = readString(input, 'TableName');
    return tableName === undefined ? '*' : tableOf(this.ctx, tableName).arn;
  }
}

/** The simulator's `dynamodb` service: IAM here, data in DynamoDB Local. */
export function dynamodbGate(options: DynamoDbGateOptions): ServiceDefinition {
  const upstream = new Upstream(options.upstream);
  const schemas = new KeySchemas(upstream);

  async function relay(operation: string, input: OperationInput, ctx: SimContext): Promise<HttpAnswer> {
    if (ctx.caller && ctx.iam.enforce) {
      if (PARTIQL.has(operation)) {
        throw new AwsError(
          'AccessDeniedException',
          `User: ${ctx.caller.arn} is not authorized to perform: ${operation} (simulated IAM: PartiQL statements are not modelled by the DynamoDB gate)`,
          400,
        );
      }
      const requests = await new Requests(ctx, schemas).of(operation, input);
      const verdict = ctx.iam.authorize(ctx.caller, requests);
      if (!verdict.allowed) {
        throw new AwsError(
          'AccessDeniedException',
          denialMessage(ctx.caller.arn, verdict.request, verdict.decision),
          400,
        );
      }
    }
    const answer = await upstream.send(operation, JSON.stringify(input), ctx.region);
    const tableName = readString(input, 'TableName');
    const tableGone = answer.status !== 200 && answer.body.includes('ResourceNotFoundException');
    if (tableName !== undefined && (SCHEMA_CHANGES.has(operation) || tableGone)) {
      schemas.forget(tableOf(ctx, tableName).name);
    }
    return new HttpAnswer(answer.body, answer.status, answer.headers);
  }

  // The requests are built in the operation (they need the key schema, an asynchronous look-up), so
  // the synchronous check before it has nothing to evaluate.
  const nothingYet: Authorizer = () => [];
  return {
    signingName: 'dynamodb',
    protocol: 'json',
    jsonVersion: '1.0',
    targetPrefix: TARGET_PREFIX,
    operations: Object.fromEntries(
      OPERATIONS.map((operation) => [
        operation,
        (input: OperationInput, ctx: SimContext) => relay(operation, input, ctx),
      ]),
    ),
    authorize: Object.fromEntries(OPERATIONS.map((operation) => [operation, nothingYet])),
    accessDenied: { code: 'AccessDeniedException', status: 400 },
  };
}
