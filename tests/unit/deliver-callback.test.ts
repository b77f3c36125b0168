/**
 * The callback deliverer as EventBridge invokes it, against a real HTTP receiver on 127.0.0.1 that
 * can fail on purpose. Loopback over plain http is allowed here only through
 * BERTH_ALLOW_LOOPBACK_CALLBACKS, as in local runs; the last test shows it refused without it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../../functions/deliver-callback';
import { teamCallbackSecret, verifyCallbackSignature } from '../../shared/app/callbacks';
import type { StatusEvent } from '../../shared/domain/status-event';

const SECRET = 'test-signing-secret';
/** What the payments team's receiver holds: its own secret, derived from the stage's. */
const PAYMENTS_SECRET = teamCallbackSecret(SECRET, 'payments');

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let received: Received[];
/** HTTP statuses the receiver answers with, in order; 200 once they run out. */
let answers: number[];
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = answers.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const saved = { ...process.env };
beforeEach(() => {
  received = [];
  answers = [];
  process.env.BERTH_ALLOW_LOOPBACK_CALLBACKS = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
afterEach(() => {
  process.env = { ...saved };
});

function statusEvent(callbackUrl: string): StatusEvent {
  return {
    id: 'env-01jd5y8q7n3w0s2k4m6p8r0t2v:3',
    environmentId: 'env-01jd5y8q7n3w0s2k4m6p8r0t2v',
    team: 'payments',
    name: 'shop',
    status: 'READY',
    previousStatus: 'PROVISIONING',
    step: 'provisioned',
    ticket: 'OPS-1234',
    callbackUrl,
    outputs: { url: 'http://shop.example.com' },
    at: '2026-03-01T10:00:00.000Z',
  };
}

/** What the EventBridge rule hands the function. */
function ruleEvent(detail: StatusEvent) {
  return {
    version: '0',
    id: 'b2a4c1de-0000-4000-8000-000000000000',
    source: 'berth',
    'detail-type': 'berth.environment',
    account: '000000000000',
    time: detail.at,
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** The master secret as the SSM parameter would give it (tests/aws/signing-secrets.test.ts reads SSM). */
const masterSecret = async () => SECRET;
const deliver = createHandler({ baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 }, masterSecret);

it('retries a failing endpoint with backoff and delivers the signed event on the third attempt', async () => {
  answers = [503, 500];
  const event = statusEvent(`${baseUrl}/hooks/berth`);

  const result = await deliver(ruleEvent(event));

  expect(result).toEqual({ delivered: true, attempts: 3, status: 200 });
  expect(received).toHaveLength(3);
  for (const request of received) {
    expect(JSON.parse(request.body)).toEqual(event);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['berth-event-id']).toBe(event.id);
    const signature = String(request.headers['berth-signature']);
    const [, timestamp, digest] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    expect(digest).toBe(
      createHmac('sha256', PAYMENTS_SECRET).update(`${timestamp}.${request.body}`).digest('hex'),
    );
    expect(
      verifyCallbackSignature(signature, request.body, PAYMENTS_SECRET, {
        nowSeconds: Math.floor(Date.now() / 1000),
      }),
    ).toBe(true);
  }
});

it("signs each team's events with that team's secret, which another team's receiver refuses", async () => {
  // Prepare: the same receiver gets one event of payments and one of search.
  const payments = statusEvent(`${baseUrl}/hooks/payments`);
  const search = { ...statusEvent(`${baseUrl}/hooks/search`), team: 'search' };

  // Act
  await deliver(ruleEvent(payments));
  await deliver(ruleEvent(search));

  // Assess
  const nowSeconds = Math.floor(Date.now() / 1000);
  const [forPayments, forSearch] = received;
  const verify = (request: Received | undefined, secret: string) =>
    verifyCallbackSignature(String(request?.headers['berth-signature']), request?.body ?? '', secret, {
      nowSeconds,
    });
  expect(verify(forPayments, PAYMENTS_SECRET)).toBe(true);
  expect(verify(forSearch, teamCallbackSecret(SECRET, 'search'))).toBe(true);
  expect(verify(forSearch, PAYMENTS_SECRET)).toBe(false);
  expect(verify(forPayments, SECRET)).toBe(false);
});

it('gives up after the bounded number of attempts when the endpoint stays down', async () => {
  answers = [500, 500, 500, 500, 500, 500, 500];
  const giveUp = createHandler({ attempts: 4, baseDelayMs: 5, maxDelayMs: 20 }, masterSecret);

  const result = await giveUp(ruleEvent(statusEvent(`${baseUrl}/down`)));

  expect(result).toEqual({ delivered: false, attempts: 4, reason: 'answered HTTP 500' });
  expect(received).toHaveLength(4);
});

it('retries an endpoint that cannot be reached at all, then gives up', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const result = await createHandler(
    { attempts: 2, baseDelayMs: 5 },
    masterSecret,
  )(ruleEvent(statusEvent(`http://127.0.0.1:${port}/gone`)));

  expect(result).toMatchObject({
    delivered: false,
    attempts: 2,
    reason: expect.stringMatching(/ECONNREFUSED/),
  });
});

it('does not retry an answer that will not change, such as 400 or a redirect', async () => {
  answers = [400];
  const badRequest = await deliver(ruleEvent(statusEvent(`${baseUrl}/strict`)));
  answers = [302];
  const redirect = await deliver(ruleEvent(statusEvent(`${baseUrl}/moved`)));

  expect(badRequest).toEqual({ delivered: false, attempts: 1, reason: 'answered HTTP 400' });
  expect(redirect).toEqual({ delivered: false, attempts: 1, reason: 'answered HTTP 302' });
  expect(received).toHaveLength(2);
});

it('refuses a loopback or plain-http callback when loopback callbacks are not allowed (as in AWS)', async () => {
  delete process.env.BERTH_ALLOW_LOOPBACK_CALLBACKS;

  const plain = await deliver(ruleEvent(statusEvent(`${baseUrl}/x`)));
  const https = await deliver(ruleEvent(statusEvent(baseUrl.replace('http:', 'https:'))));

  expect(plain).toMatchObject({ delivered: false, attempts: 0, reason: expect.stringMatching(/not https/) });
  expect(https).toMatchObject({ delivered: false, attempts: 0, reason: expect.stringMatching(/loopback/) });
  expect(received).toHaveLength(0);
});

it('drops an event that is not a berth status event without calling anything', async () => {
  const result = await deliver({ source: 'aws.ec2', 'detail-type': 'x', detail: {} });

  expect(result).toMatchObject({ delivered: false, attempts: 0 });
  expect(received).toHaveLength(0);
});

it('fails loudly without a signing secret parameter instead of sending unsigned callbacks', async () => {
  delete process.env.CALLBACK_SIGNING_SECRET_PARAMETER;
  const deliverWithSecretFromSsm = createHandler({ baseDelayMs: 5 });

  await expect(deliverWithSecretFromSsm(ruleEvent(statusEvent(`${baseUrl}/x`)))).rejects.toThrow(
    /CALLBACK_SIGNING_SECRET_PARAMETER/,
  );
  expect(received).toHaveLength(0);
});
