/**
 * Section "api": API latency through serverless-offline (the local stack of `npm start`) and of the
 * same handlers called in process with a synthetic API Gateway event carrying the authorizer's
 * context, both against raw DynamoDB Local GetItem/PutItem from this process in the same run, at 1,
 * 8 and 32 concurrent clients; and list latency with 10 vs 10,000 environments in one team.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { LOCAL_ACCOUNT_ID } from '@berth/sfn-local/definitions';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { build } from 'esbuild';
import { signLocalToken } from '../../local/auth';
import { type LocalStack, startLocalStack } from '../../local/start';
import { toAuthorizerContext } from '../../shared/http/identity';
import { newEnvironmentId } from '../../shared/store/ids';
import { esbuildOptions, readServerlessYml } from './cold-start';
import type { Row, SectionResult } from './report';
import { ratioOf } from './report';
import { formatMs, quantile } from './stats';

const ROOT = resolve(__dirname, '..', '..');
const CONCURRENCY = [1, 8, 32] as const;
const REQUESTS: Record<(typeof CONCURRENCY)[number], number> = { 1: 150, 8: 320, 32: 640 };
const LIST_REQUESTS = 100;
const LARGE_TEAM = 10_000;
const P50_TARGET = 1.5;
const P99_TARGET = 2;

type Call = () => Promise<void>;
export type Lambda = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Bundles a handler's module with serverless.yml's esbuild settings; returns the bundle's path. */
export async function bundle(entry: string, folder: string): Promise<string> {
  const outfile = join(folder, entry.replace(/\W+/g, '-'), 'index.js');
  await build({
    ...esbuildOptions(readServerlessYml()),
    entryPoints: [join(ROOT, entry)],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/**
 * The handler as Lambda runs it: bundled with serverless.yml's esbuild settings and required from
 * the bundle (middy is ESM-only, so the TypeScript source cannot be required as it is).
 */
async function bundledHandler(entry: string, folder: string): Promise<Lambda> {
  const outfile = await bundle(entry, folder);
  const loaded: unknown = Reflect.get(require(outfile) as object, 'handler');
  if (typeof loaded !== 'function') throw new Error(`${entry} exports no handler`);
  return loaded as Lambda;
}

interface Series {
  latencies: number[];
  /** Calls that failed (a 504 when serverless-offline's worker missed the 10 s timeout); their time counts. */
  errors: number;
  firstError?: string;
}

/**
 * Latencies (ms) of `total` calls made by `clients` concurrent loops, after a warm-up of two
 * rounds at the same concurrency (serverless-offline starts one worker per concurrent invocation).
 */
async function load(clients: number, total: number, call: Call): Promise<Series> {
  for (let round = 0; round < 2; round += 1) {
    await Promise.all(Array.from({ length: clients }, () => call().catch(() => undefined)));
  }
  const series: Series = { latencies: [], errors: 0 };
  let issued = 0;
  const client = async () => {
    while (issued < total) {
      issued += 1;
      const started = performance.now();
      try {
        await call();
      } catch (error) {
        series.errors += 1;
        series.firstError ??= error instanceof Error ? error.message : String(error);
      }
      series.latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return series;
}

function expectStatus(status: number, expected: number, what: string, text: string): void {
  if (status !== expected)
    throw new Error(`${what} answered ${status}, expected ${expected}: ${text.slice(0, 300)}`);
}

export function syntheticContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function syntheticEvent(
  method: string,
  resource: string,
  path: string,
  options: {
    teams: string[];
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
  },
): APIGatewayProxyEvent {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const event = {
    httpMethod: method,
    resource,
    path,
    headers,
    multiValueHeaders: {},
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      httpMethod: method,
      path,
      resourcePath: resource,
      stage: 'bench',
      requestId: crypto.randomUUID(),
      authorizer: toAuthorizerContext({ subject: 'bench', teams: options.teams, admin: false }),
    },
  };
  // The handlers read only the members above; the rest of the API Gateway event is not needed.
  return event as unknown as APIGatewayProxyEvent;
}

interface Comparison {
  label: string;
  baselineLabel: string;
  measured: Map<number, Series>;
  baseline: Map<number, Series>;
}

function comparisonRows(comparison: Comparison): Row[] {
  const rows: Row[] = [];
  for (const clients of CONCURRENCY) {
    const series = comparison.measured.get(clients);
    const measured = series?.latencies ?? [];
    const baseline = comparison.baseline.get(clients)?.latencies ?? [];
    const errors = series && series.errors > 0 ? `, ${series.errors} failed: ${series.firstError ?? ''}` : '';
    for (const [q, name, target] of [
      [0.5, 'p50', P50_TARGET],
      [0.99, 'p99', P99_TARGET],
    ] as const) {
      const ratio = ratioOf(quantile(measured, q), quantile(baseline, q));
      rows.push({
        figure: `${comparison.label}, ${clients} client${clients > 1 ? 's' : ''}: ${name} (n=${measured.length}${errors}) vs ${comparison.baselineLabel}`,
        measured: formatMs(quantile(measured, q)),
        baseline: formatMs(quantile(baseline, q)),
        ratio,
        target: `≤ ${target}×`,
        met: ratio !== undefined && ratio <= target,
      });
    }
  }
  return rows;
}

/** Informational rows (no target): what serverless-offline costs before berth's code runs. */
function floorRows(label: string, measured: Map<number, Series>): Row[] {
  const quantiles = [
    [0.5, 'p50'],
    [0.99, 'p99'],
  ] as const;
  return CONCURRENCY.flatMap((clients) => {
    const latencies = measured.get(clients)?.latencies ?? [];
    return quantiles.map(([q, name]) => ({
      figure: `${label}, ${clients} client${clients > 1 ? 's' : ''}: ${name} (n=${latencies.length})`,
      measured: formatMs(quantile(latencies, q)),
    }));
  });
}

export async function runApiSection(command: string): Promise<SectionResult> {
  const startedAt = new Date();
  const started = performance.now();
  // Time scale 0.01: the workflows a real POST starts finish in seconds of wall time.
  const stack: LocalStack = await startLocalStack({
    stage: 'bench',
    httpPort: 0,
    lambdaPort: 0,
    websocketPort: 0,
    albPort: 0,
    dynamodbPort: 0,
    awsPort: 0,
    stepFunctionsPort: 0,
    authPort: 0,
    timeScale: 0.01,
  });
  const startupSeconds = (performance.now() - started) / 1000;
  const dynamoEndpoint = stack.endpoints.DYNAMODB ?? '';
  const raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const notes: string[] = [];
  const rows: Row[] = [];
  const bundleFolder = mkdtempSync(join(tmpdir(), 'berth-bench-api-'));
  const savedEnvironment = { ...process.env };
  try {
    const team = `bench-${process.pid % 10_000}`;
    const token = await signLocalToken({
      teams: [team],
      issuer: stack.auth.issuer,
      audience: stack.auth.audience,
    });
    const http = async (method: string, path: string, body?: unknown, authorization = token) => {
      const response = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${authorization}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, text: await response.text() };
    };
    const spec = (name: string, owner = team) => ({
      name,
      team: owner,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });

    // One real environment to read; its workflow runs in the background at time scale 0.01.
    const created = await http('POST', '/environments', spec('bench-get'));
    expectStatus(created.status, 202, 'POST /environments', created.text);
    const environmentId = String((JSON.parse(created.text) as { id?: unknown }).id);
    const item = await raw.send(
      new GetCommand({ TableName: stack.tableName, Key: { pk: `ENV#${environmentId}`, sk: 'ENV' } }),
    );
    const environmentItem = item.Item;
    if (!environmentItem) throw new Error('the created environment is not in the table');
    /** The seeded environment's item under another id and team, keyed as the store keys it. */
    const environmentFor = (id: string, owner: string) => ({
      ...environmentItem,
      pk: `ENV#${id}`,
      sk: 'ENV',
      gsi1pk: `TEAM#${owner}`,
      gsi1sk: id,
      id,
      team: owner,
    });

    // In-process handlers: the same modules serverless-offline bundles, with this stack's endpoints.
    Object.assign(process.env, {
      TABLE_NAME: stack.tableName,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      LOG_LEVEL: 'SILENT',
      CIDR_POOL: '10.0.0.0/8',
      TASK_ROLE_ARN_PATTERN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/berth-task-*`,
      EVENT_BUS_NAME: `berth-${stack.stage}`,
      AUTH_ISSUER: stack.auth.issuer,
      AUTH_AUDIENCE: stack.auth.audience,
      AUTH_JWKS_URL: stack.auth.jwksUrl,
      // serverless.yml builds these from the stage; the local engine names its machines the same way.
      ...Object.fromEntries(
        ['provision', 'teardown', 'update'].map((kind) => [
          `${kind.toUpperCase()}_STATE_MACHINE_ARN`,
          `arn:aws:states:us-east-1:${LOCAL_ACCOUNT_ID}:stateMachine:berth-${stack.stage}-${kind}`,
        ]),
      ),
      ...Object.fromEntries(
        Object.entries(stack.endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url]),
      ),
    });
    const getHandler = await bundledHandler('functions/api/get-environment.ts', bundleFolder);
    const createHandler = await bundledHandler('functions/api/create-environment.ts', bundleFolder);
    const authorizer = (await bundledHandler('functions/authorizer.ts', bundleFolder)) as unknown as (
      event: unknown,
    ) => Promise<{ principalId?: string }>;
    const inProcess = async (handler: Lambda, event: () => APIGatewayProxyEvent, expected: number) => {
      const answer = await handler(event(), syntheticContext('bench'));
      expectStatus(answer.statusCode, expected, 'in-process handler', answer.body);
    };

    const rawGet: Call = async () => {
      await raw.send(
        new GetCommand({ TableName: stack.tableName, Key: { pk: `ENV#${environmentId}`, sk: 'ENV' } }),
      );
    };
    let putCounter = 0;
    const rawPut: Call = async () => {
      putCounter += 1;
      await raw.send(
        new PutCommand({
          TableName: stack.tableName,
          Item: {
            ...environmentItem,
            pk: `BENCH#${putCounter}`,
            sk: 'BENCH',
            gsi1pk: 'BENCH',
            gsi1sk: String(putCounter),
          },
        }),
      );
    };
    const httpGet: Call = async () => {
      const answer = await http('GET', `/environments/${environmentId}`);
      expectStatus(answer.status, 200, 'GET /environments/{id}', answer.text);
    };
    // The same GET from a client that does not accept gzip: hapi compresses every response over 1 KB,
    // as API Gateway does with serverless.yml's minimumCompressionSize (there on API Gateway's side).
    const httpGetIdentity: Call = async () => {
      const response = await fetch(`${stack.apiUrl}/environments/${environmentId}`, {
        headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' },
      });
      const text = await response.text();
      expectStatus(response.status, 200, 'GET /environments/{id} (identity)', text);
      if (response.headers.get('content-encoding')) throw new Error('the identity GET came back compressed');
    };
    // serverless-offline's own floor: a route with no authorizer whose handler touches no AWS.
    const httpHealth: Call = async () => {
      const response = await fetch(`${stack.apiUrl}/health`);
      expectStatus(response.status, 200, 'GET /health', await response.text());
    };
    // Everything but the DynamoDB request: the authorizer's invocation and the handler, which answers 404
    // for an id that is not well-formed before it reads anything.
    const httpMalformed: Call = async () => {
      const answer = await http('GET', '/environments/not-an-environment-id');
      expectStatus(answer.status, 404, 'GET /environments/{malformed id}', answer.text);
    };
    const httpDryRun: Call = async () => {
      const answer = await http('POST', '/environments?dryRun=true', spec('bench-dry'));
      expectStatus(answer.status, 200, 'POST /environments?dryRun=true', answer.text);
    };
    const handlerGet: Call = () =>
      inProcess(
        getHandler,
        () =>
          syntheticEvent('GET', '/environments/{id}', `/environments/${environmentId}`, {
            teams: [team],
            pathParameters: { id: environmentId },
          }),
        200,
      );
    // The authorizer as serverless-offline invokes it before every GET (API Gateway would cache it).
    const handlerAuthorize: Call = async () => {
      const result = await authorizer({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT_ID}:bench/${stack.stage}/GET/environments/${environmentId}`,
        headers: { Authorization: `Bearer ${token}` },
      });
      if (result.principalId === undefined) throw new Error('the authorizer allowed no principal');
    };
    const handlerDryRun: Call = () =>
      inProcess(
        createHandler,
        () =>
          syntheticEvent('POST', '/environments', '/environments', {
            teams: [team],
            query: { dryRun: 'true' },
            body: spec('bench-dry'),
          }),
        200,
      );

    // The environment's own workflow must not run beside the measurements: wait for READY.
    for (let waited = 0; waited < 120; waited += 1) {
      const answer = await http('GET', `/environments/${environmentId}`);
      if (answer.text.includes('"status":"READY"')) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    }
    /** At each concurrency the baseline runs right before what is compared with it. */
    const interleaved = async (calls: Call[]) => {
      const samples = calls.map(() => new Map<number, Series>());
      for (const clients of CONCURRENCY) {
        for (const [index, call] of calls.entries()) {
          samples[index]?.set(clients, await load(clients, REQUESTS[clients], call));
        }
      }
      return samples;
    };
    process.stdout.write('  raw DynamoDB, HTTP and in-process GET…\n');
    const [
      rawGets = new Map(),
      httpGets = new Map(),
      handlerGets = new Map(),
      httpHealths = new Map(),
      authorizations = new Map(),
      httpMalformeds = new Map(),
      httpGetIdentities = new Map(),
    ] = await interleaved([
      rawGet,
      httpGet,
      handlerGet,
      httpHealth,
      handlerAuthorize,
      httpMalformed,
      httpGetIdentity,
    ]);
    process.stdout.write('  raw DynamoDB, HTTP and in-process POST ?dryRun=true…\n');
    const [rawPuts = new Map(), httpDryRuns = new Map(), handlerDryRuns = new Map()] = await interleaved([
      rawPut,
      httpDryRun,
      handlerDryRun,
    ]);
    rows.push(
      ...comparisonRows({
        label: 'GET /environments/{id} via serverless-offline',
        baselineLabel: 'raw GetItem',
        measured: httpGets,
        baseline: rawGets,
      }),
      ...comparisonRows({
        label: 'GET /environments/{id} handler in process',
        baselineLabel: 'raw GetItem',
        measured: handlerGets,
        baseline: rawGets,
      }),
      ...floorRows(
        'GET /health via serverless-offline (no authorizer, no AWS call: the emulator alone)',
        httpHealths,
      ),
      ...floorRows('authorizer handler in process (JWT verified against the cached key set)', authorizations),
      ...floorRows(
        'GET /environments/{id} via serverless-offline, Accept-Encoding: identity (the same GET, its body not gzipped)',
        httpGetIdentities,
      ),
      ...floorRows(
        'GET /environments/{malformed id} via serverless-offline (authorizer invocation + handler 404, no DynamoDB request)',
        httpMalformeds,
      ),
      ...comparisonRows({
        label: 'POST /environments?dryRun=true via serverless-offline',
        baselineLabel: 'raw PutItem',
        measured: httpDryRuns,
        baseline: rawPuts,
      }),
      ...comparisonRows({
        label: 'POST /environments?dryRun=true handler in process',
        baselineLabel: 'raw PutItem',
        measured: handlerDryRuns,
        baseline: rawPuts,
      }),
    );

    // List latency: one team with 10, then 10,000 environments (seeded straight into the table).
    process.stdout.write(`  list: seeding ${LARGE_TEAM} environments…\n`);
    const listTeam = `bench-list-${process.pid % 10_000}`;
    const listToken = await signLocalToken({
      teams: [listTeam],
      issuer: stack.auth.issuer,
      audience: stack.auth.audience,
    });
    const seed = async (from: number, to: number) => {
      const items = Array.from({ length: to - from }, (_, index) => {
        const id = newEnvironmentId(Date.now() - (from + index) * 1000);
        return {
          ...environmentFor(id, listTeam),
          name: `env-${from + index}`,
        };
      });
      const batches: Array<typeof items> = [];
      for (let index = 0; index < items.length; index += 25) batches.push(items.slice(index, index + 25));
      const writer = async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
          let pending: Record<string, unknown>[] = batch;
          while (pending.length > 0) {
            const answer = await raw.send(
              new BatchWriteCommand({
                RequestItems: { [stack.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
              }),
            );
            pending = (answer.UnprocessedItems?.[stack.tableName] ?? []).flatMap((request) =>
              request.PutRequest?.Item ? [request.PutRequest.Item] : [],
            );
          }
        }
      };
      await Promise.all(Array.from({ length: 4 }, writer));
    };
    // A page of 10 in both cases, so the two answers are the same size and only the table differs
    // (the default page of 20 would answer 10 items from the small team and 20 from the large one).
    const list: Call = async () => {
      const answer = await http('GET', `/environments?team=${listTeam}&limit=10`, undefined, listToken);
      expectStatus(answer.status, 200, 'GET /environments', answer.text);
    };
    await seed(0, 10);
    const small = (await load(1, LIST_REQUESTS, list)).latencies;
    await seed(10, LARGE_TEAM);
    const large = (await load(1, LIST_REQUESTS, list)).latencies;
    for (const [q, name] of [
      [0.5, 'p50'],
      [0.99, 'p99'],
    ] as const) {
      const ratio = ratioOf(quantile(large, q), quantile(small, q));
      rows.push({
        figure: `GET /environments?team=&limit=10 with ${LARGE_TEAM.toLocaleString('en')} environments vs 10, 1 client: ${name}`,
        measured: formatMs(quantile(large, q)),
        baseline: formatMs(quantile(small, q)),
        ratio,
        target: 'flat (≤ 1.5×)',
        met: ratio !== undefined && ratio <= 1.5,
      });
    }

    // Real POSTs (each starts a provisioning workflow): few, sequential, each for its own team.
    process.stdout.write('  real POST /environments…\n');
    const postTeams = Array.from({ length: 15 }, (_, index) => `bench-post-${process.pid % 10_000}-${index}`);
    const postToken = await signLocalToken({
      teams: postTeams,
      issuer: stack.auth.issuer,
      audience: stack.auth.audience,
    });
    const realPosts: number[] = [];
    for (const [index, owner] of postTeams.entries()) {
      const t0 = performance.now();
      const answer = await http('POST', '/environments', spec(`bench-post-${index}`, owner), postToken);
      realPosts.push(performance.now() - t0);
      expectStatus(answer.status, 202, 'POST /environments', answer.text);
    }
    // The create's transaction alone, as a raw client sends it: environment, name lock, idempotency
    // record and the usage update, each conditional as berth writes them. Same count, one at a time.
    const rawTransactions: number[] = [];
    for (let index = 0; index < postTeams.length; index += 1) {
      const id = newEnvironmentId();
      const owner = `bench-tx-${process.pid % 10_000}-${index}`;
      const t0 = performance.now();
      await raw.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: stack.tableName,
                Item: environmentFor(id, owner),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: stack.tableName,
                Item: { pk: `NAME#${owner}#tx`, sk: 'NAME', environmentId: id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: stack.tableName,
                Item: { pk: `IDEMPOTENCY#${owner}#tx`, sk: 'IDEMPOTENCY', environmentId: id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: stack.tableName,
                Key: { pk: `TEAM#${owner}`, sk: 'USAGE' },
                UpdateExpression: 'ADD #environments :one',
                ExpressionAttributeNames: { '#environments': 'environments' },
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
          ],
        }),
      );
      rawTransactions.push(performance.now() - t0);
    }
    rows.push({
      figure: `raw TransactWriteItems like the create's (4 items), 1 client: p50 (n=${rawTransactions.length})`,
      measured: formatMs(quantile(rawTransactions, 0.5)),
    });
    notes.push(
      `A real POST writes with a 4-item transaction: sent raw, the same TransactWriteItems took ` +
        `${formatMs(quantile(rawTransactions, 0.5))} at p50 in this run against ${formatMs(quantile(rawPuts.get(1)?.latencies ?? [], 0.5))} ` +
        'for one PutItem. The POST also reads the quota overrides, publishes REQUESTED and calls StartExecution, ' +
        'one after another, while the provisioning workflows the earlier POSTs started run on the same 2 cores.',
    );
    const rawPutSingle = rawPuts.get(1)?.latencies ?? [];
    const postRatio = ratioOf(quantile(realPosts, 0.5), quantile(rawPutSingle, 0.5));
    rows.push({
      figure: `POST /environments (real: writes + StartExecution) via serverless-offline, 1 client: p50 (n=${realPosts.length}) vs raw PutItem`,
      measured: formatMs(quantile(realPosts, 0.5)),
      baseline: formatMs(quantile(rawPutSingle, 0.5)),
      ratio: postRatio,
      target: `≤ ${P50_TARGET}×`,
      met: postRatio !== undefined && postRatio <= P50_TARGET,
    });
    const p50 = (series: Map<number, Series>) => quantile(series.get(1)?.latencies ?? [], 0.5);
    const floor = p50(rawGets) + p50(httpMalformeds);
    notes.push(
      'Through serverless-offline a GET cannot answer faster than the GetItem it makes plus what the emulator spends on ' +
        'the same request without it (a malformed id: routing, the authorizer as a second invocation, the handler ' +
        `answering 404 before any read): at 1 client ${formatMs(p50(rawGets))} + ${formatMs(p50(httpMalformeds))} = ` +
        `${formatMs(floor)}, ${(floor / p50(rawGets)).toFixed(2)}× raw GetItem (of the ${formatMs(p50(httpMalformeds))}, ` +
        `the emulator's floor without an authorizer, /health, is ${formatMs(p50(httpHealths))} and the authorizer's own ` +
        `work in process ${formatMs(p50(authorizations))}). On top of that floor the emulator gzips the ` +
        `environment's body for a client that accepts it, as API Gateway would on its own side: the same GET with ` +
        `Accept-Encoding: identity took ${formatMs(p50(httpGetIdentities))} against ${formatMs(p50(httpGets))}. ` +
        "Those rows stay marked missed; the in-process rows show what berth's own code adds.",
    );
    notes.push(
      `Local stack: startLocalStack (serverless-offline ${stack.apiUrl}, DynamoDB Local, simulated AWS and local ` +
        `Step Functions at time scale 0.01), started in ${startupSeconds.toFixed(0)} s. Every client runs in this one ` +
        'Node process (fetch); two rounds of warm-up calls at the same concurrency precede each series; at each ' +
        'concurrency the baseline series ran in the same process against the same DynamoDB Local right before the ' +
        'series compared with it, after the seeded environment had reached READY (no workflow running beside it).',
      'A real POST makes several DynamoDB requests (quota and name checks, a transaction writing the environment, its ' +
        'name and idempotency items), StartExecution and a status event, so one PutItem is a strict baseline for it.',
      'serverless-offline adds its own work to every request: it runs the REQUEST authorizer as a second Lambda ' +
        'invocation on every call (unlike API Gateway, it does not cache the result for resultTtlInSeconds; the JWT ' +
        'verification itself takes about 0.1 ms), maps the API Gateway event and logs each invocation. `npm start` runs ' +
        'it with --useInProcess, so no call waits for a worker thread to load a bundle. The /health rows show that ' +
        'floor alone. The in-process rows call the exported handler with a synthetic API Gateway event and the ' +
        "authorizer's context: berth's own overhead (middy, zod, the DynamoDB read) without serverless-offline.",
      'POST ?dryRun=true validates and prices the spec without writing: its "raw PutItem" baseline is the write a real ' +
        'POST would make first. The real POSTs each start a provisioning workflow on the local stack (background work ' +
        'on the same 2 cores).',
    );
  } finally {
    // The in-process handlers' endpoints must not leak into later sections (their stack is gone).
    for (const key of Object.keys(process.env)) if (!(key in savedEnvironment)) delete process.env[key];
    Object.assign(process.env, savedEnvironment);
    rmSync(bundleFolder, { recursive: true, force: true });
    raw.destroy();
    await stack.stop();
  }
  return {
    name: 'api',
    title: '3. API latency',
    command,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    rows,
    notes,
  };
}
