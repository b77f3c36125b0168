/**
 * Slack as the tests play it: signed API Gateway events for the Slack endpoints, and a local HTTP
 * server standing in for response_url (127.0.0.1, ephemeral port).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { signSlackRequest } from '../../shared/slack/signature';

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

/** A fresh Slack id (`T…` or `U…`), so tests sharing the table never share a user. */
export function slackId(prefix: 'T' | 'U'): string {
  return `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;
}

export interface SignOptions {
  path?: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  secret?: string;
  base64?: boolean;
  /** Replaces the body after signing (a tampered request). */
  tamperedBody?: string;
  /** Leaves these headers out. */
  omit?: ('x-slack-signature' | 'x-slack-request-timestamp')[];
}

/** A POST as API Gateway hands it to Lambda, signed as Slack signs it. */
export function signedEvent(body: string, options: SignOptions = {}): APIGatewayProxyEvent {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Slack-Request-Timestamp': timestamp,
    'X-Slack-Signature': signSlackRequest(options.secret ?? TEST_SIGNING_SECRET, timestamp, body),
  };
  for (const name of options.omit ?? []) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key];
  }
  const sent = options.tamperedBody ?? body;
  return {
    httpMethod: 'POST',
    path: options.path ?? '/slack/commands',
    resource: options.path ?? '/slack/commands',
    headers,
    multiValueHeaders: {},
    body: options.base64 ? Buffer.from(sent, 'utf8').toString('base64') : sent,
    isBase64Encoded: options.base64 ?? false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/** The form body of a slash command, as Slack sends it. */
export function commandBody(fields: {
  team: string;
  user: string;
  text: string;
  responseUrl: string;
}): string {
  return new URLSearchParams({
    token: 'unused-verification-token',
    team_id: fields.team,
    team_domain: 'example',
    channel_id: 'C0123456',
    channel_name: 'platform',
    user_id: fields.user,
    user_name: 'alice',
    command: '/berth',
    text: fields.text,
    response_url: fields.responseUrl,
    trigger_id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  }).toString();
}

/** The form body of a button click (`payload=<json>`). */
export function clickBody(fields: {
  team: string;
  user: string;
  actionId: string;
  value: string;
  responseUrl: string;
}): string {
  const payload = {
    type: 'block_actions',
    user: { id: fields.user, username: 'alice', team_id: fields.team },
    team: { id: fields.team, domain: 'example' },
    api_app_id: 'A0123456',
    container: { type: 'message', is_ephemeral: true },
    trigger_id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    response_url: fields.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: fields.actionId,
        block_id: 'berth-delete',
        value: fields.value,
        action_ts: '1',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Invokes a middy API handler as Lambda would. */
export async function invoke(handler: Handler, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const context = {
    functionName: 'berth-test',
    awsRequestId: randomBytes(8).toString('hex'),
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
  return handler(event, context);
}

export interface ResponseUrlServer {
  /** A response_url on this server; each path has its own message list. */
  url(path?: string): string;
  /** The JSON bodies posted to `path`, in order. */
  messages(path?: string): Record<string, unknown>[];
  /** Makes the server answer this status (Slack answers 404 for an expired or used-up URL). */
  answerWith(status: number): void;
  close(): Promise<void>;
}

export async function startResponseUrlServer(): Promise<ResponseUrlServer> {
  const received = new Map<string, Record<string, unknown>[]>();
  let status = 200;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const list = received.get(path) ?? [];
      list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      received.set(path, list);
      response.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 200 ? 'ok' : 'expired_url');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    messages: (path = '/hook') => received.get(path) ?? [],
    answerWith: (next) => {
      status = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
