/**
 * The HTTP contract against the local stack `npm start` runs: serverless-offline with the real
 * authorizer and handlers, DynamoDB Local, local Step Functions and the simulated AWS. One stack
 * for the whole file, because serverless-offline bundles every function before it listens.
 */
import fc from 'fast-check';
import { signLocalToken } from '../../local/auth';
import { type LocalStack, startLocalStack } from '../../local/start';
import { DELETE_ACTION } from '../../shared/slack/messages';
import { signSlackRequest } from '../../shared/slack/signature';
import { reportIamUse } from '../support/iam-usage';
import {
  clickBody,
  commandBody,
  slackId,
  startResponseUrlServer,
  TEST_SIGNING_SECRET,
} from '../support/slack';

jest.setTimeout(240_000);

let stack: LocalStack;
let counter = 0;

beforeAll(async () => {
  stack = await startLocalStack({
    stage: 'httptest',
    httpPort: 0,
    lambdaPort: 0,
    websocketPort: 0,
    albPort: 0,
    dynamodbPort: 0,
    awsPort: 0,
    stepFunctionsPort: 0,
    authPort: 0,
    timeScale: 0.001,
    env: {
      ...process.env,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_RESPONSE_URL_ORIGINS: 'http://127.0.0.1',
      // The AWS account quota test changes quotas between requests: read them every time.
      ACCOUNT_QUOTA_CACHE_SECONDS: '0',
    },
  });
  // The file creates more environments than an account at AWS's defaults holds (four VPCs beside the
  // default one): raise the quotas, as an approved increase would.
  await setAccountQuotas({
    'vpc/L-F678F1CE': 100,
    'vpc/L-A4707A72': 100,
    'ec2/L-0263D0A3': 100,
    'vpc/L-FE5A380F': 100,
  });
}, 240_000);

/** Sets the simulated account's quota values (the simulator's control API). */
async function setAccountQuotas(quotas: Record<string, number>): Promise<void> {
  const simulator = stack.simulator;
  if (!simulator) throw new Error('the local stack started no simulated AWS');
  const response = await fetch(`${simulator.url}/_local/quotas`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ quotas }),
  });
  if (!response.ok) throw new Error(`the simulator refused the quotas: ${await response.text()}`);
}

afterAll(async () => {
  await stack?.stop();
  // Every call the functions made was allowed by their own roles (tests/support/iam-usage.ts).
  if (stack?.simulator) reportIamUse(stack.simulator.sim.iam);
});

function newTeam(): string {
  counter += 1;
  return `http-${process.pid % 10_000}-${counter}`;
}

async function tokenFor(teams: string[], admin = false): Promise<string> {
  return signLocalToken({ teams, admin, issuer: stack.auth.issuer, audience: stack.auth.audience });
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

function request(team: string, name = 'web') {
  return { name, team, services: [{ name: 'api', image: 'nginx:1.27' }] };
}

async function created(team: string, token: string, name = 'web'): Promise<{ id: string; version: number }> {
  const reply = await call('POST', '/environments', { token, body: request(team, name) });
  expect(reply.status).toBe(202);
  return reply.body as { id: string; version: number };
}

function problem(reply: Reply) {
  expect(reply.headers.get('content-type')).toContain('application/problem+json');
  return reply.body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors?: { path: string }[];
  };
}

describe('happy paths', () => {
  it('GET /health answers without a token', async () => {
    const reply = await call('GET', '/health');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  it('GET /openapi.json serves the generated OpenAPI 3.1 document', async () => {
    const reply = await call('GET', '/openapi.json');

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      openapi: '3.1.0',
      paths: expect.objectContaining({ '/environments': expect.anything() }),
    });
  });

  it('POST /environments answers 202 with Location and the REQUESTED environment', async () => {
    const team = newTeam();
    const reply = await call('POST', '/environments', { token: await tokenFor([team]), body: request(team) });

    const environment = reply.body as {
      id: string;
      status: string;
      spec: { network: { natGateways: string } };
    };
    expect(reply.status).toBe(202);
    expect(reply.headers.get('location')).toBe(`/environments/${environment.id}`);
    expect(environment.id).toMatch(/^env-[0-9a-z]{26}$/);
    expect(environment.spec.network.natGateways).toBe('single');
  });

  it('POST with ?dryRun=true answers 200 with the defaults applied and creates nothing', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);

    const reply = await call('POST', '/environments?dryRun=true', { token, body: request(team) });
    const list = await call('GET', `/environments?team=${team}`, { token });

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ spec: { cluster: { capacity: 'FARGATE' } } });
    expect(list.body).toEqual({ items: [] });
  });

  it('GET /environments/{id} answers with an ETag of the version', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    const { id } = await created(team, token);

    const reply = await call('GET', `/environments/${id}`, { token });

    expect(reply.status).toBe(200);
    expect(reply.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(reply.body).toMatchObject({ id, team, name: 'web' });
  });

  it('GET /environments lists the team newest first', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    await created(team, token, 'first');
    await created(team, token, 'second');

    const reply = await call('GET', `/environments?team=${team}&limit=10`, { token });

    expect(reply.status).toBe(200);
    expect((reply.body as { items: { name: string }[] }).items.map((item) => item.name)).toEqual([
      'second',
      'first',
    ]);
  });

  it('DELETE answers 202 twice and GET /events shows the history', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    const { id } = await created(team, token);

    const first = await call('DELETE', `/environments/${id}`, { token });
    const second = await call('DELETE', `/environments/${id}`, { token });
    const events = await call('GET', `/environments/${id}/events`, { token });

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(events.status).toBe(200);
    const types = (events.body as { items: { type: string }[] }).items.map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['requested', 'delete-requested']));
  });

  it('PATCH without If-Match answers 428, with a stale one 412', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    const { id } = await created(team, token);

    const missing = await call('PATCH', `/environments/${id}`, { token, body: { tags: { a: 'b' } } });
    const stale = await call('PATCH', `/environments/${id}`, {
      token,
      body: { tags: { a: 'b' } },
      headers: { 'if-match': '"999"' },
    });

    expect(missing.status).toBe(428);
    expect(stale.status).toBe(412);
  });

  it('replays an Idempotency-Key with the same body and refuses it with another (422)', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    const headers = { 'idempotency-key': `OPS-${team}` };

    const first = await call('POST', '/environments', { token, body: request(team), headers });
    const again = await call('POST', '/environments', { token, body: request(team), headers });
    const other = await call('POST', '/environments', { token, body: request(team, 'other'), headers });

    expect(again.status).toBe(202);
    expect((again.body as { id: string }).id).toBe((first.body as { id: string }).id);
    expect(other.status).toBe(422);
  });

  it('answers 409 for a name the team already uses', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    await created(team, token);

    const reply = await call('POST', '/environments', { token, body: request(team) });

    expect(reply.status).toBe(409);
    expect(problem(reply).errors?.[0]?.path).toBe('/name');
  });

  it('answers 429 naming the AWS quota, its use and how to raise it, and creates nothing', async () => {
    // Prepare: the default VPC alone fills a quota of one (the file's other environments add to it).
    const team = newTeam();
    const token = await tokenFor([team]);
    await setAccountQuotas({ 'vpc/L-F678F1CE': 1 });

    // Act
    let reply: Reply;
    try {
      reply = await call('POST', '/environments', { token, body: request(team) });
    } finally {
      await setAccountQuotas({ 'vpc/L-F678F1CE': 100 });
    }
    const list = await call('GET', `/environments?team=${team}`, { token });

    // Assess
    expect(reply.status).toBe(429);
    expect(problem(reply)).toMatchObject({
      status: 429,
      title: 'AWS account quota exceeded',
      errors: [
        {
          path: 'awsQuota.vpc.L-F678F1CE',
          message: expect.stringMatching(/^VPCs per Region: quota 1, in use [1-9]\d*, needs 1 more$/),
        },
      ],
    });
    expect(problem(reply).detail).toMatch(/"VPCs per Region" \(vpc L-F678F1CE: quota 1, in use [1-9]/);
    expect(problem(reply).detail).toContain('Service Quotas console');
    expect(problem(reply).detail).toContain('--service-code vpc --quota-code L-F678F1CE');
    expect(list.body).toEqual({ items: [] });
  });
});

describe('bad input', () => {
  let team: string;
  let token: string;

  beforeAll(async () => {
    team = newTeam();
    token = await tokenFor([team]);
  });

  it('answers 400 for malformed JSON', async () => {
    const reply = await call('POST', '/environments', {
      token,
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });

    expect(reply.status).toBe(400);
    expect(problem(reply).title).toBe('Malformed JSON');
  });

  it('answers 422 naming the schedule of a job that would start every minute, and creates nothing', async () => {
    const name = 'every-minute';
    const body = {
      ...request(team, name),
      jobs: [{ name: 'poll', service: 'api', trigger: { schedule: 'rate(1 minute)' } }],
    };

    const reply = await call('POST', '/environments', { token, body });

    expect(reply.status).toBe(422);
    expect(problem(reply).errors).toEqual([
      { path: '/jobs/0/trigger/schedule', message: expect.stringContaining('at most every 5 minutes') },
    ]);
    const listed = await call('GET', '/environments?limit=100', { token });
    expect((listed.body as { items: { name: string }[] }).items.map((item) => item.name)).not.toContain(name);
  });

  it('answers 400 naming an unknown field', async () => {
    const reply = await call('POST', '/environments', { token, body: { ...request(team), colour: 'blue' } });

    expect(reply.status).toBe(400);
    expect(problem(reply).errors?.map((error) => error.path)).toContain('/colour');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const reply = await call('POST', '/environments', {
      token,
      raw: 'name=web',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(reply.status).toBe(415);
  });

  it('answers 413 for a body over 64 KB', async () => {
    const reply = await call('POST', '/environments', {
      token,
      body: { ...request(team), tags: { big: 'x'.repeat(70_000) } },
    });

    expect(reply.status).toBe(413);
  });

  it('answers 401 without a token and with a forged one', async () => {
    const none = await call('GET', '/environments');
    const forged = await call('GET', '/environments', { token: `${await tokenFor([team])}x` });

    expect(none.status).toBe(401);
    expect(forged.status).toBe(401);
  });

  it('answers problem+json 404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const unknown = await call('GET', '/nothing-here');
    const wrongMethod = await call('PUT', '/environments', { token });

    expect(unknown.status).toBe(404);
    expect(problem(unknown).status).toBe(404);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  });

  it('answers 400 for an invalid query parameter', async () => {
    const reply = await call('GET', '/environments?limit=5000', { token });

    expect(reply.status).toBe(400);
    expect(problem(reply).errors?.[0]?.path).toBe('limit');
  });
});

describe("another team's environment", () => {
  let id: string;
  let team: string;
  let ownerToken: string;
  let strangerToken: string;

  beforeAll(async () => {
    team = newTeam();
    ownerToken = await tokenFor([team]);
    strangerToken = await tokenFor([newTeam()]);
    ({ id } = await created(team, ownerToken));
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['GET', '/events'],
  ])('%s /environments/{id}%s answers 404 exactly like a missing one', async (method, suffix) => {
    const options = method === 'PATCH' ? { body: { tags: {} }, headers: { 'if-match': '"1"' } } : {};

    const foreign = await call(method, `/environments/${id}${suffix}`, { token: strangerToken, ...options });
    const missing = await call(method, `/environments/env-01jx0000000000000000000000${suffix}`, {
      token: strangerToken,
      ...options,
    });

    expect(foreign.status).toBe(404);
    expect({ ...problem(foreign), instance: undefined }).toEqual({
      ...problem(missing),
      instance: undefined,
    });
  });

  it('lists nothing of the other team', async () => {
    const reply = await call('GET', `/environments?team=${team}`, { token: strangerToken });

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: [] });
  });

  it('leaves the environment untouched after the stranger tried', async () => {
    const reply = await call('GET', `/environments/${id}`, { token: ownerToken });

    expect((reply.body as { status: string }).status).not.toBe('DELETING');
  });
});

describe('random input', () => {
  it('never answers a 5xx, whatever the body, headers and path', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    const json = fc.jsonValue({ maxDepth: 3 });
    const shapes = fc.oneof(
      json,
      fc.record({ name: fc.string(), team: fc.constant(team), services: json }),
      fc.record({
        name: fc.constant('x'),
        team: fc.constant(team),
        services: fc.array(fc.record({ name: fc.string(), image: fc.string() })),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
        fc.constantFrom(
          '/environments',
          '/environments/env-01jx0000000000000000000000',
          '/environments/../../etc/passwd',
          '/environments/%00',
          '/environments/x/events',
        ),
        shapes,
        fc.constantFrom('application/json', 'text/plain', 'application/merge-patch+json', ''),
        fc.option(fc.string({ maxLength: 40 })),
        async (method, path, body, contentType, ifMatch) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (ifMatch !== null) headers['if-match'] = ifMatch.replace(/[^\x20-\x7e]/g, '');
          const reply = await call(method, path, {
            token,
            headers,
            ...(method === 'GET' || method === 'DELETE' ? {} : { raw: JSON.stringify(body) }),
          });
          expect(reply.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('Slack end to end', () => {
  async function slack(path: string, body: string): Promise<Reply> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return call('POST', path, {
      raw: body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signSlackRequest(TEST_SIGNING_SECRET, timestamp, body),
      },
    });
  }

  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    for (let attempt = 0; attempt < 240; attempt += 1) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('creates, reports, confirms a delete and tears down through the signed Slack endpoints', async () => {
    const team = newTeam();
    const token = await tokenFor([team]);
    const slackTeam = slackId('T');
    const slackUser = slackId('U');
    const hooks = await startResponseUrlServer();
    try {
      const mapped = await call('PUT', `/slack/users/${slackTeam}/${slackUser}`, {
        token: await tokenFor([], true),
        body: { teams: [team] },
      });
      expect(mapped.status).toBe(200);
      const say = (text: string) =>
        slack(
          '/slack/commands',
          commandBody({ team: slackTeam, user: slackUser, text, responseUrl: hooks.url('/command') }),
        );

      const created = await say('create chat image=nginx:1.27');
      expect(created.status).toBe(200);
      let id = '';
      await until(async () => {
        const list = await call('GET', `/environments?team=${team}`, { token });
        const item = (list.body as { items: { id: string; name: string; status: string }[] }).items[0];
        id = item?.id ?? '';
        return item?.status === 'READY';
      }, 'the environment created from Slack to be READY');

      const status = await say('status chat');
      expect(JSON.stringify(status.body)).toContain('READY');

      const asked = await say('delete chat');
      expect(JSON.stringify(asked.body)).toContain(DELETE_ACTION);
      const clicked = await slack(
        '/slack/interactions',
        clickBody({
          team: slackTeam,
          user: slackUser,
          actionId: DELETE_ACTION,
          value: id,
          responseUrl: hooks.url('/click'),
        }),
      );
      expect(clicked.status).toBe(200);
      await until(async () => {
        const got = await call('GET', `/environments/${id}`, { token });
        return (got.body as { status: string }).status === 'DELETED';
      }, 'the environment deleted from Slack to be DELETED');

      // Every status change was announced on the bus, once each, in order. The step records the
      // status before it announces it, so the last event may arrive just after the API shows it.
      const announced = async () => {
        const events = (await (
          await fetch(`${stack.endpoints.EVENTBRIDGE}/_local/events?bus=berth-httptest`)
        ).json()) as { events: { detail?: { environmentId?: string; status?: string } }[] };
        return events.events
          .map((event) => event.detail ?? {})
          .filter((detail) => detail.environmentId === id)
          .map((detail) => detail.status);
      };
      let statuses: (string | undefined)[] = [];
      await until(async () => {
        statuses = await announced();
        return statuses.includes('DELETED');
      }, 'the DELETED status event');
      expect(statuses).toEqual(['REQUESTED', 'PROVISIONING', 'READY', 'DELETING', 'DELETED']);
    } finally {
      await hooks.close();
    }
  });

  it('refuses an unsigned command with 401 and creates nothing', async () => {
    const body = commandBody({
      team: slackId('T'),
      user: slackId('U'),
      text: 'create x image=nginx',
      responseUrl: 'https://hooks.slack.com/x',
    });

    const reply = await call('POST', '/slack/commands', {
      raw: body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(reply.status).toBe(401);
  });
});
