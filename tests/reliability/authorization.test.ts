/**
 * Through the real stack (serverless-offline, the real authorizer and its JWKS, DynamoDB Local): the
 * authorisation matrix — every authenticated endpoint × another team's token and × every kind of bad
 * token — and the share of the fuzzing that must cross routing and the authorizer (the bulk runs in
 * process, fuzz.test.ts). One stack for the whole file: it takes about a minute to start.
 *
 * Nothing here starts a workflow: the fixtures are written through the use cases with a recording
 * workflow starter, and the stack's quota defaults are zero, so no fuzzed create can succeed. The
 * table therefore only changes when a request changes it, which is what the digests check.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import {
  base64url,
  type CryptoKey,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { ensureLocalKeys, LOCAL_KEY_DIR, signLocalToken } from '../../local/auth';
import { type LocalStack, startLocalStack } from '../../local/start';
import { createEnvironment } from '../../shared/app/create';
import { EnvironmentStore } from '../../shared/store/environments';
import { memberOf } from '../support/callers';
import { reportIamUse } from '../support/iam-usage';
import { RecordingWorkflows } from '../support/recording-workflows';
import {
  type Answer,
  answerViolations,
  type CallerKind,
  callerKinds,
  describeRequest,
  FULL,
  type FuzzRequest,
  type FuzzTeams,
  operations,
  requestsFor,
  runs,
  seedOption,
  tableChanges,
  tableDigest,
} from './hostile';

jest.setTimeout(FULL ? 3_600_000 : 300_000);

const suffix = `${process.pid % 100_000}`;
const teams: FuzzTeams = { member: `az-a-${suffix}`, second: `az-b-${suffix}`, other: `az-c-${suffix}` };
const ZERO_QUOTAS = '{"environments":0,"tasks":0,"natGateways":0,"ec2Instances":0}';

let stack: LocalStack;
let client: DynamoDBDocumentClient;
let tokens: Record<'member' | 'other' | 'admin', string>;
/** A REQUESTED environment of the member's team (and a second one), and one of the other team. */
let ids: { ready: string; requested: string; foreign: string };
const sent: Record<string, number> = {};

beforeAll(async () => {
  stack = await startLocalStack({
    stage: `reliability${suffix}`,
    httpPort: 0,
    lambdaPort: 0,
    websocketPort: 0,
    albPort: 0,
    dynamodbPort: 0,
    awsPort: 0,
    stepFunctionsPort: 0,
    authPort: 0,
    timeScale: 0.001,
    // BERTH_VERBOSE=1 echoes serverless-offline (handler logs) to find the cause of a failure.
    verbose: process.env.BERTH_VERBOSE === '1',
    // Zero quotas: a fuzzed create that passes validation answers 429 instead of starting a workflow.
    // The Slack secret is set so the Slack routes are configured (unset, they answer 500 by design).
    env: { ...process.env, QUOTA_DEFAULTS: ZERO_QUOTAS, SLACK_SIGNING_SECRET: 'reliability-secret' },
  });
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.endpoints.DYNAMODB,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const sign = (teamList: string[], admin = false) =>
    signLocalToken({ teams: teamList, admin, issuer: stack.auth.issuer, audience: stack.auth.audience });
  tokens = {
    member: await sign([teams.member, teams.second]),
    other: await sign([teams.other]),
    admin: await sign([], true),
  };
  const deps = { store: new EnvironmentStore(client, stack.tableName), workflows: new RecordingWorkflows() };
  const made: string[] = [];
  for (const [team, name] of [
    [teams.member, 'first'],
    [teams.member, 'second'],
    [teams.other, 'foreign'],
  ] as const) {
    const outcome = await createEnvironment(deps, memberOf(team, 'setup'), {
      name,
      team,
      services: [{ name: 'api', image: 'nginx:1.27' }],
    });
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    made.push(outcome.environment.id);
  }
  const [ready, requested, foreign] = made;
  if (!ready || !requested || !foreign) throw new Error('fixtures missing');
  ids = { ready, requested, foreign };
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  // Every call the functions made was allowed by their own roles (tests/support/iam-usage.ts).
  if (stack?.simulator) reportIamUse(stack.simulator.sim.iam);
  const total = Object.values(sent).reduce((sum, count) => sum + count, 0);
  process.stdout.write(
    `reliability through the stack: ${total} requests ${JSON.stringify(sent)}\n` +
      `answered by serverless-offline itself: ${JSON.stringify(gatewayAnswers)}\n` +
      `accepted (2xx) by berth: ${acceptedRequests.length}\n${acceptedRequests.filter((line) => !line.startsWith('200')).join('\n')}\n`,
  );
});

async function call(
  method: string,
  path: string,
  options: { authorization?: string; body?: string; headers?: [string, string][] } = {},
): Promise<Answer> {
  const headers = new Headers();
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  if (options.authorization !== undefined) headers.set('authorization', options.authorization);
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body: options.body } : {}),
  });
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    answerHeaders[name] = value;
  });
  return { status: response.status, headers: answerHeaders, body: await response.text() };
}

function problemOf(answer: Answer): Record<string, unknown> {
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  return JSON.parse(answer.body) as Record<string, unknown>;
}

/**
 * An answer serverless-offline (hapi) gave itself, before any berth code ran: an authorizer denial,
 * a header it cannot parse. hapi's errors are `{statusCode, error, message}` (or empty, for a header
 * over Node's limit); berth never answers so. In AWS these come from API Gateway, whose problem+json
 * bodies are the GatewayResponse templates of serverless.yml, which serverless-offline does not apply.
 */
function fromGateway(answer: Answer): boolean {
  if (answer.status >= 400 && answer.body === '') return true;
  try {
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    return typeof body.statusCode === 'number' && typeof body.error === 'string' && body.type === undefined;
  } catch {
    return false;
  }
}

const gatewayAnswers: Record<string, number> = {};
/** The fuzzed requests berth accepted (2xx), printed at the end for the report. */
const acceptedRequests: string[] = [];

function recordGateway(answer: Answer): void {
  const key = `${answer.status} ${answer.body.slice(0, 80)}`;
  gatewayAnswers[key] = (gatewayAnswers[key] ?? 0) + 1;
}

/** Every authenticated operation of docs/openapi.json, with a path for `id` and a body that is valid. */
function authenticatedEndpoints(
  id: string,
  team: string,
): { name: string; method: string; path: string; body?: string }[] {
  const spec = JSON.stringify({ name: 'web', team, services: [{ name: 'api', image: 'nginx:1.27' }] });
  return [
    { name: 'GET /environments', method: 'GET', path: `/environments?team=${team}` },
    { name: 'POST /environments', method: 'POST', path: '/environments', body: spec },
    { name: 'GET /environments/{id}', method: 'GET', path: `/environments/${id}` },
    {
      name: 'PATCH /environments/{id}',
      method: 'PATCH',
      path: `/environments/${id}`,
      body: '{"services":[{"name":"api","image":"nginx:1.28"}]}',
    },
    { name: 'DELETE /environments/{id}', method: 'DELETE', path: `/environments/${id}` },
    { name: 'GET /environments/{id}/drift', method: 'GET', path: `/environments/${id}/drift` },
    { name: 'GET /environments/{id}/events', method: 'GET', path: `/environments/${id}/events` },
    { name: 'GET /environments/{id}/tasks', method: 'GET', path: `/environments/${id}/tasks` },
    {
      name: 'POST /environments/{id}/tasks',
      method: 'POST',
      path: `/environments/${id}/tasks`,
      body: '{"service":"api"}',
    },
    { name: 'GET /teams/{team}/quotas', method: 'GET', path: `/teams/${team}/quotas` },
    {
      name: 'PUT /teams/{team}/quotas',
      method: 'PUT',
      path: `/teams/${team}/quotas`,
      body: '{"environments":50}',
    },
    { name: 'GET /teams/{team}/policy', method: 'GET', path: `/teams/${team}/policy` },
    {
      name: 'PUT /teams/{team}/policy',
      method: 'PUT',
      path: `/teams/${team}/policy`,
      body: '{"hostedZones":[{"hostedZoneId":"Z0123456789ABC","recordNameSuffixes":["example.com"]}]}',
    },
    {
      name: 'PUT /slack/users/{slackTeamId}/{slackUserId}',
      method: 'PUT',
      path: '/slack/users/TAUTHZ/UAUTHZ',
      body: JSON.stringify({ teams: [team], admin: true }),
    },
    {
      name: 'DELETE /slack/users/{slackTeamId}/{slackUserId}',
      method: 'DELETE',
      path: '/slack/users/TAUTHZ/UAUTHZ',
    },
  ];
}

function headersFor(method: string, body: string | undefined): [string, string][] {
  if (body === undefined) return [];
  return [
    ['content-type', method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'],
    ...(method === 'PATCH' ? ([['if-match', '"1"']] as [string, string][]) : []),
  ];
}

describe('authorisation matrix', () => {
  it('declares problem+json for the authorizer’s 401 in AWS (serverless-offline does not apply it)', async () => {
    const template = await readFile(join(__dirname, '..', '..', 'infra', 'resources.yml'), 'utf8');
    const unauthorized =
      /ResponseType: UNAUTHORIZED\s+StatusCode: "401"\s+ResponseParameters: &problemJson\s+gatewayresponse\.header\.Content-Type: "'application\/problem\+json'"\s+ResponseTemplates:\s+application\/json: '(\{.*\})'/.exec(
        template,
      );

    expect(JSON.parse(unauthorized?.[1] ?? '{}')).toEqual({
      type: 'urn:berth:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'a valid bearer token is required',
    });
  });

  it('covers every authenticated operation of docs/openapi.json', () => {
    const listed = authenticatedEndpoints('x', 'y').map((endpoint) => endpoint.name);
    const documented = operations({ ready: 'a', requested: 'b', foreign: 'c' }, teams)
      .filter((operation) => operation.authenticated)
      .map((operation) => operation.name);

    expect(listed.sort()).toEqual(documented.sort());
  });

  it("answers another team's environment exactly like a missing one, and writes nothing", async () => {
    const missing = 'env-00000000000000000000000000';
    const before = await tableDigest(client, stack.tableName);
    const byId = authenticatedEndpoints(ids.ready, teams.member).filter((endpoint) =>
      endpoint.path.includes(ids.ready),
    );

    for (const endpoint of byId) {
      sent.authorization = (sent.authorization ?? 0) + 2;
      const options = {
        authorization: `Bearer ${tokens.other}`,
        headers: headersFor(endpoint.method, endpoint.body),
        ...(endpoint.body !== undefined ? { body: endpoint.body } : {}),
      };
      const foreign = await call(endpoint.method, endpoint.path, options);
      const absent = await call(endpoint.method, endpoint.path.replace(ids.ready, missing), options);

      expect([endpoint.name, foreign.status]).toEqual([endpoint.name, 404]);
      expect(absent.status).toBe(404);
      const normalise = (answer: Answer) => ({ ...problemOf(answer), instance: undefined });
      expect(normalise(foreign)).toEqual(normalise(absent));
    }
    expect(await tableDigest(client, stack.tableName)).toEqual(before);
  });

  it('answers the team-scoped and admin-only routes of another team as the README says, writing nothing', async () => {
    const before = await tableDigest(client, stack.tableName);
    const other = `Bearer ${tokens.other}`;
    const teamScoped = authenticatedEndpoints(ids.ready, teams.member).filter(
      (endpoint) => !endpoint.path.includes(ids.ready),
    );
    const expected: Record<string, number> = {
      'GET /environments': 200,
      'POST /environments': 403,
      'GET /teams/{team}/quotas': 403,
      'PUT /teams/{team}/quotas': 403,
      // A team's policy is read like its environments: another team's answers as a missing one.
      'GET /teams/{team}/policy': 404,
      'PUT /teams/{team}/policy': 403,
      'PUT /slack/users/{slackTeamId}/{slackUserId}': 403,
      'DELETE /slack/users/{slackTeamId}/{slackUserId}': 403,
    };

    const answers: Record<string, number> = {};
    for (const endpoint of teamScoped) {
      sent.authorization = (sent.authorization ?? 0) + 1;
      const answer = await call(endpoint.method, endpoint.path, {
        authorization: other,
        headers: headersFor(endpoint.method, endpoint.body),
        ...(endpoint.body !== undefined ? { body: endpoint.body } : {}),
      });
      answers[endpoint.name] = answer.status;
      if (answer.status === 200) expect(JSON.parse(answer.body)).toEqual({ items: [] });
      else expect(problemOf(answer).status).toBe(answer.status);
    }
    const unfiltered = await call('GET', '/environments', { authorization: other });

    expect(answers).toEqual(expected);
    expect((JSON.parse(unfiltered.body) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual(
      [ids.foreign],
    );
    expect(await tableDigest(client, stack.tableName)).toEqual(before);
  });

  it('answers 401 problem+json to every bad token on every authenticated endpoint, writing nothing', async () => {
    const { privateJwk, publicJwk } = await ensureLocalKeys(LOCAL_KEY_DIR);
    const localKey = await importJWK(privateJwk, 'ES256');
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = {
      iss: stack.auth.issuer,
      aud: stack.auth.audience,
      sub: 'mallory',
      teams: [teams.member],
      iat: now,
      exp: now + 3600,
    };
    const signWith = (
      payload: JWTPayload,
      key: Parameters<SignJWT['sign']>[0],
      alg = 'ES256',
      kid = publicJwk.kid,
    ) => new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) }).sign(key);
    const valid = await signWith(claims, localKey);
    const [header, payload, signature] = valid.split('.');
    const forgedPayload = base64url.encode(
      JSON.stringify({ ...claims, teams: [teams.other], berth_admin: true }),
    );
    const stranger = await generateKeyPair('ES256');
    const publicPem = new TextEncoder().encode(
      await exportSPKI((await importJWK(publicJwk, 'ES256')) as CryptoKey),
    );
    const flipped = `${signature?.slice(0, -2)}${signature?.endsWith('AA') ? 'BB' : 'AA'}`;

    const bad: Record<string, string | undefined> = {
      'no token': undefined,
      'empty bearer': 'Bearer ',
      'not a JWT': 'Bearer not.a.jwt',
      'Basic scheme': `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      expired: `Bearer ${await signWith({ ...claims, exp: now - 3600 }, localKey)}`,
      'not yet valid': `Bearer ${await signWith({ ...claims, nbf: now + 3600 }, localKey)}`,
      'wrong issuer': `Bearer ${await signWith({ ...claims, iss: 'https://evil.example.test/' }, localKey)}`,
      'wrong audience': `Bearer ${await signWith({ ...claims, aud: 'another-api' }, localKey)}`,
      'no expiry': `Bearer ${await signWith({ ...claims, exp: undefined }, localKey)}`,
      'alg none': `Bearer ${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`,
      'HS256 keyed with the public key': `Bearer ${await signWith(claims, publicPem, 'HS256')}`,
      'tampered payload': `Bearer ${header}.${forgedPayload}.${signature}`,
      'tampered signature': `Bearer ${header}.${payload}.${flipped}`,
      'another key, same kid': `Bearer ${await signWith(claims, stranger.privateKey)}`,
      'another key, unknown kid': `Bearer ${await signWith(claims, stranger.privateKey, 'ES256', 'unknown-kid')}`,
    };
    const before = await tableDigest(client, stack.tableName);

    const failures: string[] = [];
    for (const endpoint of authenticatedEndpoints(ids.ready, teams.member)) {
      for (const [kind, authorization] of Object.entries(bad)) {
        sent.authorization = (sent.authorization ?? 0) + 1;
        const answer = await call(endpoint.method, endpoint.path, {
          headers: headersFor(endpoint.method, endpoint.body),
          ...(authorization !== undefined ? { authorization } : {}),
          ...(endpoint.body !== undefined ? { body: endpoint.body } : {}),
        });
        const type = answer.headers['content-type'] ?? '';
        const status = (JSON.parse(answer.body || 'null') as { status?: unknown } | null)?.status;
        // A denial by the authorizer is API Gateway's answer (see fromGateway); one by a handler is ours.
        const gateway = fromGateway(answer);
        if (gateway) recordGateway(answer);
        const shaped = gateway || (type.startsWith('application/problem+json') && status === 401);
        if (answer.status !== 401 || !shaped) {
          failures.push(
            `${endpoint.name} with ${kind}: ${answer.status} ${type} ${answer.body.slice(0, 200)}`,
          );
        }
      }
    }

    expect(failures).toEqual([]);
    expect(await tableDigest(client, stack.tableName)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// The share of the fuzzing that goes through routing and the authorizer
// ---------------------------------------------------------------------------------------------

const FETCH_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND']);

/** Headers fetch (undici) refuses to send; the in-process fuzzer sends them. */
const FETCH_FORBIDDEN = new Set(['transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect']);

/** What fetch can put on the wire: latin-1 header values without control characters. */
function wireSafe(value: string): string {
  return value.replace(/[^\x20-\x7e\xa0-\xff]/g, '?').trim();
}

function encodeQuery(query: [string, string][]): string {
  const parts: string[] = [];
  for (const [key, value] of query) {
    try {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    } catch {
      // A lone surrogate cannot be percent-encoded; the in-process fuzzer sends those.
    }
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function authorizationOf(caller: CallerKind, garbage: string): string | undefined {
  if (caller === 'none') return undefined;
  if (caller === 'garbage') return wireSafe(garbage);
  return `Bearer ${tokens[caller]}`;
}

/** Whether the request names a fixture environment its caller may see (and so could delete). */
function visibleFixture(request: FuzzRequest): boolean {
  const visible: Record<CallerKind, string[]> = {
    member: [ids.ready, ids.requested],
    admin: [ids.ready, ids.requested, ids.foreign],
    other: [ids.foreign],
    none: [],
    garbage: [],
  };
  return visible[request.caller].some((id) => request.path.includes(id));
}

describe('fuzzing through the stack (routing and the authorizer)', () => {
  const perOperation = runs(4, 60);

  it.each(operations({ ready: 'a', requested: 'b', foreign: 'c' }, teams).map((operation) => operation.name))(
    '%s',
    async (name) => {
      const operation = operations(ids, teams).find((candidate) => candidate.name === name);
      if (!operation) throw new Error(`no operation ${name}`);
      // A DELETE of a fixture its caller can see starts a real teardown, whose writes continue after
      // the answer; the in-process fuzzer covers those DELETEs.
      const requests = requestsFor(operation, callerKinds).filter(
        (request) =>
          FETCH_METHODS.has(request.method) && !(request.method === 'DELETE' && visibleFixture(request)),
      );
      let before = await tableDigest(client, stack.tableName);
      await fc.assert(
        fc.asyncProperty(requests, fc.string({ maxLength: 300 }), async (request: FuzzRequest, garbage) => {
          sent[`fuzz ${name}`] = (sent[`fuzz ${name}`] ?? 0) + 1;
          const authorization = authorizationOf(request.caller, garbage);
          const answer = await call(request.method, `${request.path}${encodeQuery(request.query)}`, {
            headers: request.headers
              .filter(([header]) => !FETCH_FORBIDDEN.has(header.toLowerCase()))
              .map(([header, value]) => [header, wireSafe(value)]),
            ...(authorization !== undefined ? { authorization } : {}),
            ...(request.body !== undefined ? { body: request.body } : {}),
          });
          const gateway = fromGateway(answer);
          if (gateway) recordGateway(answer);
          // serverless-offline's own answers are not problem+json (see fromGateway); they must still be 4xx.
          // fetch resolves dot segments (`/environments/.` is sent as `/environments`): judge what was sent.
          const sentPath = new URL(`${stack.apiUrl}${request.path}`).pathname;
          const violations =
            request.method === 'HEAD' || gateway
              ? []
              : answerViolations({ ...request, path: sentPath }, answer);
          // serverless-offline's own 5xx (hapi rejecting a method or path it cannot route) is recorded for
          // the report, not held against berth: API Gateway answers those itself in AWS.
          if (answer.status >= 500 && !gateway) violations.push(`answered ${answer.status}`);
          const after = await tableDigest(client, stack.tableName);
          const accepted = answer.status >= 200 && answer.status < 300;
          if (accepted) acceptedRequests.push(`${answer.status} ${describeRequest(request).slice(0, 300)}`);
          if (!accepted && after.digest !== before.digest) {
            violations.push(`a rejected request changed the table:\n${tableChanges(before, after)}`);
          }
          before = after;
          if (violations.length > 0) {
            throw new Error(
              `${[...new Set(violations)].join('; ')}\nrequest: ${describeRequest(request)}\nanswer: ${answer.status} ${answer.body.slice(0, 500)}`,
            );
          }
        }),
        { numRuns: perOperation, endOnFailure: true, ...seedOption() },
      );
    },
  );
});
