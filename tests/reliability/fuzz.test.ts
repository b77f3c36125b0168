/**
 * Fuzzing, in process: hostile requests for every endpoint of docs/openapi.json, handed to the real
 * middy handlers as API Gateway proxy events (the authorizer context set as shared/http/identity.ts
 * reads it) against DynamoDB Local. Only the AWS boundary is replaced: workflows and status events
 * are recorded, not started. Every answer must be a non-5xx, every error RFC 9457 problem+json, and
 * a rejected request must leave the table exactly as it was (a digest of every item, before/after).
 *
 * `npm test` sends a sample; `BERTH_RELIABILITY=full` sends over 10,000 requests. The share that goes
 * through serverless-offline and the real authorizer is in authorization.test.ts (one stack).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { updateQuotaSettings } from '@berth/aws-sim/services/quotas';
import { serviceQuotas } from '@berth/aws-sim/services/service-quotas';
import { type SimulatedServices, startServices } from '@berth/aws-sim/tests/simulated-services';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { createTable } from '../../local/dynamodb';
import type { Dependencies, StatusNotifier } from '../../shared/app/ports';
import type { StatusEvent } from '../../shared/domain/status-event';
import { BUILT_IN_QUOTA_DEFAULTS } from '../../shared/domain/usage';
import { endpoints } from '../../shared/http/routes';
import type { SlackDependencies } from '../../shared/slack/ports';
import { EnvironmentStore } from '../../shared/store/environments';
import { QuotaStore } from '../../shared/store/quotas';
import { SlackStore } from '../../shared/store/slack';
import { testDynamoDbClientConfig, testDynamoDbEndpoint } from '../setup/dynamodb';
import { handlerOf } from '../support/functions';
import { RecordingWorkflows } from '../support/recording-workflows';
import { clickBody, commandBody, signedEvent, TEST_SIGNING_SECRET } from '../support/slack';
import {
  type Answer,
  answerViolations,
  type CallerKind,
  callerKinds,
  describeRequest,
  FULL,
  type FuzzIds,
  type FuzzRequest,
  type FuzzTeams,
  hostileString,
  operations,
  prototypeViolations,
  requestsFor,
  runs,
  seedOption,
  tableChanges,
  tableDigest,
} from './hostile';

jest.setTimeout(FULL ? 3_600_000 : 240_000);

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

class RecordingNotifier implements StatusNotifier {
  readonly published: StatusEvent[] = [];
  async publish(event: StatusEvent): Promise<void> {
    this.published.push(event);
  }
}

const suffix = `${process.pid % 100_000}-${randomBytes(3).toString('hex')}`;
/** A table of its own, so the digest sees only what this file's requests write. */
const TABLE = `berth-fuzz-${suffix}`;
const teams: FuzzTeams = { member: `fz-a-${suffix}`, second: `fz-b-${suffix}`, other: `fz-c-${suffix}` };
const workflows = new RecordingWorkflows();
const notifier = new RecordingNotifier();

let client: DynamoDBDocumentClient;
let store: EnvironmentStore;
let deps: Dependencies;
let ids: FuzzIds;
let routes: { method: string; template: string; handler: Handler }[];
let notFound: Handler;
const counts: Record<string, number> = {};
const statuses: Record<string, number> = {};

function context(): Context {
  return {
    functionName: 'berth-fuzz',
    awsRequestId: randomBytes(8).toString('hex'),
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
}

let aws: SimulatedServices;

beforeAll(async () => {
  // Creates are admitted against the account's quotas: the simulated Service Quotas and EC2 answer,
  // with quotas raised well above what the fuzzing creates.
  aws = await startServices([serviceQuotas, ec2]);
  updateQuotaSettings(aws.running.sim.ctx, {
    quotas: {
      'vpc/L-F678F1CE': 1000,
      'vpc/L-A4707A72': 1000,
      'ec2/L-0263D0A3': 1000,
      'vpc/L-FE5A380F': 1000,
    },
  });
  process.env.AWS_ENDPOINT_URL_SERVICE_QUOTAS = aws.running.url;
  process.env.AWS_ENDPOINT_URL_EC2 = aws.running.url;
  // The handlers build their dependencies from the environment, as in Lambda.
  process.env.TABLE_NAME = TABLE;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = testDynamoDbEndpoint();
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.SLACK_SIGNING_SECRET = TEST_SIGNING_SECRET;
  process.env.TASK_ROLE_ARN_PATTERN = 'arn:aws:iam::000000000000:role/berth-task-*';

  const raw = new DynamoDBClient(testDynamoDbClientConfig());
  await createTable(raw, TABLE);
  client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  store = new EnvironmentStore(client, TABLE);
  deps = {
    store,
    workflows,
    notifier,
    quotas: { store: new QuotaStore(client, TABLE), defaults: BUILT_IN_QUOTA_DEFAULTS },
    region: 'us-east-1',
  };

  // The one seam the handlers lack: workflowStarter() and statusNotifier() would start real Step
  // Functions executions and publish to EventBridge. Everything else (store, quotas) is the real
  // wiring's, on the table named by the environment.
  jest.doMock('../../shared/wiring/workflow-starter', () => ({ workflowStarter: () => workflows }));
  jest.doMock('../../shared/wiring/status-notifier', () => ({ statusNotifier: () => notifier }));
  const slackDeps = (): SlackDependencies => ({
    ...deps,
    slack: new SlackStore(client, TABLE),
    signingSecret: TEST_SIGNING_SECRET,
    adminContact: 'a berth admin',
    responseUrlOrigins: ['http://127.0.0.1'],
  });
  const load = async (functionKey: string): Promise<Handler> => {
    const { module, exportName } = handlerOf(functionKey);
    return Reflect.get((await import(module)) as object, exportName) as Handler;
  };
  // The Slack handlers take their dependencies (signing secret included) from the test.
  const built: Record<string, Handler> = {
    slackCommands: (await import('../../functions/slack/commands')).createHandler(slackDeps),
    slackInteractions: (await import('../../functions/slack/interactions')).createHandler(slackDeps),
  };
  routes = await Promise.all(
    endpoints.map(async (endpoint) => ({
      method: endpoint.method,
      template: endpoint.path,
      handler: built[endpoint.function] ?? (await load(endpoint.function)),
    })),
  );
  notFound = await load('notFound');

  // Fixtures: a READY and a REQUESTED environment of the member's team, one of another team.
  const create = routes.find(
    (entry) => entry.method === 'POST' && entry.template === '/environments',
  )?.handler;
  if (!create) throw new Error('no create handler');
  const made: string[] = [];
  for (const [team, name] of [
    [teams.member, 'ready'],
    [teams.member, 'requested'],
    [teams.other, 'foreign'],
  ] as const) {
    const result = await create(
      event('POST', '/environments', {
        body: JSON.stringify({ name, team, services: [{ name: 'api', image: 'nginx:1.27' }] }),
        headers: { 'content-type': 'application/json' },
        authorizer: { subject: 'setup', teams: team, admin: 'false' },
      }),
      context(),
    );
    expect(result.statusCode).toBe(202);
    made.push((JSON.parse(result.body) as { id: string }).id);
  }
  const [ready, requested, foreign] = made;
  if (!ready || !requested || !foreign) throw new Error('fixtures missing');
  ids = { ready, requested, foreign };
  await makeReady(ready);
  // A Slack user mapped to the member's team, so signed commands reach the use cases.
  await new SlackStore(client, TABLE).putUser({
    slackTeamId: 'TSIGNED',
    slackUserId: 'USIGNED',
    teams: [teams.member],
    admin: false,
    updatedAt: new Date().toISOString(),
    updatedBy: 'setup',
  });
}, 120_000);

afterAll(async () => {
  await aws.running.close();
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  process.stdout.write(
    `fuzz (in process): ${total} requests ${JSON.stringify(counts)}; statuses ${JSON.stringify(statuses)}\n`,
  );
});

/** Puts a fixture back to READY (as a finished workflow would), outside any fuzzed request. */
async function makeReady(id: string): Promise<void> {
  const current = await store.get(id);
  if (current?.status !== 'READY') await store.update(id, {}, { status: 'READY' });
}

function event(
  method: string,
  path: string,
  options: {
    body?: string;
    headers?: Record<string, string>;
    query?: [string, string][];
    authorizer?: Record<string, unknown>;
    pathParameters?: Record<string, string> | null;
  },
): APIGatewayProxyEvent {
  const query = options.query ?? [];
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: options.headers ?? {},
    multiValueHeaders: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k, [v]])),
    body: options.body ?? null,
    isBase64Encoded: false,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: query.length > 0 ? Object.fromEntries(query) : null,
    multiValueQueryStringParameters:
      query.length > 0
        ? Object.fromEntries(query.map(([key]) => [key, query.filter(([k]) => k === key).map(([, v]) => v)]))
        : null,
    stageVariables: null,
    requestContext: {
      ...(options.authorizer ? { authorizer: options.authorizer } : {}),
      httpMethod: method,
      path,
      stage: 'fuzz',
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

function authorizerOf(caller: CallerKind): Record<string, unknown> | undefined {
  switch (caller) {
    case 'member':
      return { subject: 'fuzz-member', teams: `${teams.member},${teams.second}`, admin: 'false' };
    case 'other':
      return { subject: 'fuzz-other', teams: teams.other, admin: false };
    case 'admin':
      return { subject: 'fuzz-admin', teams: '', admin: 'true' };
    case 'garbage':
      return { subject: 42, teams: [teams.member], admin: 'yes' };
    case 'none':
      return undefined;
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** API Gateway's routing: a declared method and path template, else the catch-all route. */
function route(
  method: string,
  path: string,
): { handler: Handler; pathParameters: Record<string, string> | null } {
  const segments = path.split('/');
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const template = candidate.template.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = template.every((part, index) => {
      const actual = segments[index] ?? '';
      if (part.startsWith('{')) {
        params[part.slice(1, -1)] = decode(actual);
        return actual !== '';
      }
      return part === actual;
    });
    if (matches)
      return { handler: candidate.handler, pathParameters: Object.keys(params).length > 0 ? params : null };
  }
  return { handler: notFound, pathParameters: null };
}

async function send(request: FuzzRequest): Promise<Answer> {
  const { handler, pathParameters } = route(request.method, request.path.replace(/\/$/, '') || '/');
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  const authorizer = authorizerOf(request.caller);
  const result = await handler(
    event(request.method, request.path, {
      ...(request.body !== undefined ? { body: request.body } : {}),
      headers,
      query: request.query,
      ...(authorizer ? { authorizer } : {}),
      pathParameters,
    }),
    context(),
  );
  const answerHeaders = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  return { status: result.statusCode, headers: answerHeaders, body: result.body };
}

/** Sends one request and checks it; rejected requests must not have changed the table. */
type Digest = Awaited<ReturnType<typeof tableDigest>>;

async function check(request: FuzzRequest, before: Digest): Promise<Digest> {
  counts[request.operation] = (counts[request.operation] ?? 0) + 1;
  const answer = await send(request);
  statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  const violations = [...answerViolations(request, answer), ...prototypeViolations()];
  const after = await tableDigest(client, TABLE);
  const accepted = answer.status >= 200 && answer.status < 300;
  if (!accepted && after.digest !== before.digest) {
    violations.push(`a rejected request changed the table:\n${tableChanges(before, after)}`);
  }
  if (violations.length > 0) {
    throw new Error(
      `${violations.join('; ')}\nrequest: ${describeRequest(request)}\nanswer: ${answer.status} ${answer.body.slice(0, 500)}`,
    );
  }
  if (accepted && (request.operation.startsWith('PATCH') || request.operation.startsWith('DELETE'))) {
    await makeReady(ids.ready);
    return tableDigest(client, TABLE);
  }
  return after;
}

describe('every endpoint answers hostile requests without a 5xx and writes nothing when it refuses', () => {
  const perOperation = runs(15, 560);

  it.each(
    operations({ ready: 'env-placeholder', requested: 'x', foreign: 'y' }, teams).map(
      (operation) => operation.name,
    ),
  )('%s', async (name) => {
    const operation = operations(ids, teams).find((candidate) => candidate.name === name);
    if (!operation) throw new Error(`no operation ${name}`);
    let baseline = await tableDigest(client, TABLE);
    await fc.assert(
      fc.asyncProperty(requestsFor(operation, callerKinds), async (request) => {
        baseline = await check(request, baseline);
      }),
      // Shrinking a stateful run re-sends requests against a changed table; the first report is kept.
      { numRuns: perOperation, endOnFailure: true, ...seedOption() },
    );
  });

  it('reads a body serverless-offline hands over already parsed (false, 0, true) without a 5xx', async () => {
    const answers: string[] = [];
    for (const candidate of routes.filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method))) {
      for (const parsed of [false, 0, true, 1]) {
        const path = candidate.template
          .replace('{id}', ids.ready)
          .replace('{team}', teams.member)
          .replace('{slackTeamId}', 'TFUZZ')
          .replace('{slackUserId}', 'UFUZZ');
        const request = event(candidate.method, path, {
          headers: { 'content-type': 'application/json', 'if-match': '"1"' },
          authorizer: { subject: 'fuzz-member', teams: teams.member, admin: 'false' },
          pathParameters: null,
        });
        // What serverless-offline 14 sends for a JSON body that parses to a falsy scalar.
        const result = await candidate.handler({ ...request, body: parsed as unknown as string }, context());
        answers.push(`${candidate.method} ${candidate.template} ${String(parsed)}: ${result.statusCode}`);
      }
    }
    await makeReady(ids.ready);

    expect(answers.filter((answer) => /: 5\d\d$/.test(answer))).toEqual([]);
  });

  it('answers signed Slack commands and clicks with hostile text without a 5xx', async () => {
    const commands = routes.find((candidate) => candidate.template === '/slack/commands')?.handler;
    const interactions = routes.find((candidate) => candidate.template === '/slack/interactions')?.handler;
    if (!commands || !interactions) throw new Error('no Slack handlers');
    const verb = fc.constantFrom('create', 'status', 'list', 'delete', 'help', '', 'CREATE', 'rm');
    const text = fc
      .tuple(
        verb,
        fc.array(
          hostileString.filter((value) => value.length < 3_000),
          { maxLength: 4 },
        ),
      )
      .map(([command, args]) => [command, ...args].join(' '));
    const click = fc.record({
      actionId: fc.oneof(fc.constantFrom('berth-delete-confirm', 'berth-delete-cancel'), hostileString),
      value: fc.oneof(fc.constantFrom(ids.ready, ids.requested, ids.foreign), hostileString),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text.map((value) => ({ text: value })),
          click,
        ),
        async (input) => {
          const body =
            'text' in input
              ? commandBody({
                  team: 'TSIGNED',
                  user: 'USIGNED',
                  text: input.text,
                  responseUrl: 'http://127.0.0.1:9/',
                })
              : clickBody({ team: 'TSIGNED', user: 'USIGNED', responseUrl: 'http://127.0.0.1:9/', ...input });
          const path = 'text' in input ? '/slack/commands' : '/slack/interactions';
          counts[`signed ${path}`] = (counts[`signed ${path}`] ?? 0) + 1;
          const result = await ('text' in input ? commands : interactions)(
            signedEvent(body, { path }),
            context(),
          );
          statuses[result.statusCode] = (statuses[result.statusCode] ?? 0) + 1;
          expect(result.statusCode).toBeLessThan(500);
          expect(prototypeViolations()).toEqual([]);
        },
      ),
      { numRuns: runs(10, 300), endOnFailure: true },
    );
  });
});
