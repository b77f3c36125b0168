/**
 * The Slack notifier as EventBridge invokes it: the Lambda handler called with `berth.environment`
 * events, response_url records in DynamoDB Local, and a local HTTP server as Slack's response_url.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeEvent } from 'aws-lambda';
import { handler } from '../../functions/slack/notifier';
import type { Status } from '../../shared/domain/status';
import { notifySlack } from '../../shared/slack/notifier';
import { newEnvironmentId } from '../../shared/store/ids';
import { SlackStore } from '../../shared/store/slack';
import { TEST_TABLE, testDocumentClient, testEndpoint } from '../support/dynamodb';
import { type ResponseUrlServer, startResponseUrlServer } from '../support/slack';

let hooks: ResponseUrlServer;
let slack: SlackStore;
let counter = 0;
let environmentId: string;
let hook: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  hooks = await startResponseUrlServer();
  // The handler builds its store from the environment, as in Lambda.
  process.env.TABLE_NAME = TEST_TABLE;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = testEndpoint();
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});

afterAll(async () => {
  process.env = savedEnv;
  await hooks.close();
});

beforeEach(async () => {
  slack = new SlackStore(testDocumentClient(), TEST_TABLE);
  counter += 1;
  environmentId = newEnvironmentId();
  hook = `/hook-${counter}`;
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A conversation opened by `/berth create` a moment ago. */
async function openConversation(options: { sent?: number; expiresAt?: Date; lastStatus?: string } = {}) {
  await slack.saveResponseUrl({
    environmentId,
    responseUrl: hooks.url(hook),
    expiresAt: options.expiresAt ?? new Date(Date.now() + 30 * 60 * 1000),
    sent: options.sent ?? 0,
    lastStatus: options.lastStatus ?? 'REQUESTED',
  });
}

let version = 1;
function statusEvent(
  status: Status,
  previousStatus: Status,
  extra: Record<string, unknown> = {},
): EventBridgeEvent<'berth.environment', unknown> {
  version += 1;
  return {
    version: '0',
    id: `event-${version}`,
    'detail-type': 'berth.environment',
    source: 'berth',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: {
      id: `${environmentId}:${version}`,
      environmentId,
      team: 'payments',
      name: 'shop-dev',
      status,
      previousStatus,
      at: new Date().toISOString(),
      ...extra,
    },
  };
}

const texts = () => hooks.messages(hook).map((message) => String(message.text));

describe('the Slack notifier', () => {
  it('posts progress, then the URL when the environment is ready, and ends the conversation', async () => {
    await openConversation();

    await handler(statusEvent('PROVISIONING', 'REQUESTED', { step: 'begin-provisioning' }));
    await handler(
      statusEvent('READY', 'PROVISIONING', { outputs: { url: 'http://shop-dev-1234.elb.amazonaws.com' } }),
    );

    expect(texts()).toEqual([
      expect.stringContaining('provisioning is under way'),
      expect.stringContaining('is ready: http://shop-dev-1234.elb.amazonaws.com'),
    ]);
    expect(hooks.messages(hook)[0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(await slack.getResponseUrl(environmentId)).toBeUndefined();
  });

  it('posts the failing step and AWS error of a failed create', async () => {
    await openConversation();
    const error = {
      step: 'create-load-balancer',
      code: 'TooManyLoadBalancers',
      message: 'limit of 50 reached',
    };

    await handler(statusEvent('ROLLING_BACK', 'PROVISIONING', { error }));
    await handler(statusEvent('FAILED', 'ROLLING_BACK', { error }));

    expect(texts()).toEqual([
      expect.stringContaining('Removing what was created'),
      expect.stringContaining(
        'could not be created at step `create-load-balancer`: TooManyLoadBalancers — limit of 50 reached',
      ),
    ]);
  });

  it('posts a redelivered event once (EventBridge delivers at least once)', async () => {
    await openConversation();
    const event = statusEvent('PROVISIONING', 'REQUESTED', { step: 'begin-provisioning' });

    await handler(event);
    await handler(event);

    expect(texts()).toHaveLength(1);
  });

  it('does not repeat what the command already told the user', async () => {
    await openConversation({ sent: 1, lastStatus: 'DELETING' });

    await handler(statusEvent('DELETING', 'READY'));
    await handler(statusEvent('DELETING', 'DELETING', { step: 'begin-teardown' }));
    await handler(statusEvent('DELETED', 'DELETING', { step: 'deleted' }));

    expect(texts()).toEqual([expect.stringContaining('has been deleted')]);
  });

  it('stops at five messages and says so in the fifth while the workflow still runs', async () => {
    // Three messages already went to this URL (e.g. an earlier update and delete in the same thread).
    await openConversation({ sent: 3 });
    const error = { step: 'create-service', code: 'AccessDenied', message: 'not allowed' };

    await handler(statusEvent('PROVISIONING', 'REQUESTED'));
    await handler(statusEvent('ROLLING_BACK', 'PROVISIONING', { error }));
    await handler(statusEvent('FAILED', 'ROLLING_BACK', { error }));

    const posted = texts();
    expect(posted).toHaveLength(2);
    expect(posted[0]).not.toContain('last one');
    expect(posted[1]).toContain('Removing what was created');
    expect(posted[1]).toContain('this is the last one');
    expect(posted[1]).toContain('/berth status shop-dev');
    expect((await slack.getResponseUrl(environmentId))?.sent).toBe(5);
  });

  it('never exceeds five messages when events arrive together', async () => {
    await openConversation({ sent: 2 });
    const statuses: [Status, Status][] = [
      ['PROVISIONING', 'REQUESTED'],
      ['ROLLING_BACK', 'PROVISIONING'],
      ['UPDATING', 'READY'],
      ['DELETING', 'READY'],
    ];

    await Promise.all(statuses.map(([status, previous]) => handler(statusEvent(status, previous))));

    expect(texts()).toHaveLength(3);
  });

  it('posts nothing once the response_url has expired', async () => {
    await openConversation({ expiresAt: new Date(Date.now() - 1000) });

    const outcome = await handler(statusEvent('READY', 'PROVISIONING'));

    expect(outcome).toBe('ignored');
    expect(texts()).toEqual([]);
  });

  it('posts nothing when the 30 minutes run out during provisioning', async () => {
    await openConversation();
    const later = new Date(Date.now() + 31 * 60 * 1000);

    const outcome = await notifySlack({ slack, now: () => later }, statusEvent('READY', 'PROVISIONING'));

    expect(outcome).toBe('ignored');
    expect(texts()).toEqual([]);
  });

  it('ignores environments nobody asked about in Slack', async () => {
    const outcome = await handler(statusEvent('READY', 'PROVISIONING'));

    expect(outcome).toBe('ignored');
  });

  it('ignores an event that is not a status event, without throwing', async () => {
    await openConversation();

    const outcome = await handler({ ...statusEvent('READY', 'PROVISIONING'), detail: { hello: 'world' } });

    expect(outcome).toBe('ignored');
    expect(texts()).toEqual([]);
  });

  it('reports a refused post without throwing (a retry could post twice)', async () => {
    await openConversation();
    hooks.answerWith(404);
    try {
      const outcome = await handler(statusEvent('PROVISIONING', 'REQUESTED'));

      expect(outcome).toBe('not-posted');
    } finally {
      hooks.answerWith(200);
    }
  });
});
