/**
 * Status events: their shape (built from the stored record only, so a republished copy is the same
 * event), publishing through PutEvents (mocked at the SDK boundary), and the callback signature.
 */
import { createHmac } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import {
  blockedAddressReason,
  CallbackRefused,
  callbackUrlProblem,
  guardedLookup,
  signCallback,
  verifyCallbackSignature,
} from '../../shared/app/callbacks';
import {
  entrySize,
  publishStatusEvent,
  StatusEventNotPublished,
  StatusEventTooLarge,
} from '../../shared/aws/events';
import { type StatusEventSource, statusEventOf } from '../../shared/domain/status-event';
import { statusEventSchema } from '../../shared/domain/status-event-schema';

const ID = 'env-01jd5y8q7n3w0s2k4m6p8r0t2v';

function environment(overrides: Partial<StatusEventSource> = {}): StatusEventSource {
  return {
    id: ID,
    team: 'payments',
    name: 'shop',
    status: 'READY',
    version: 7,
    updatedAt: '2026-03-01T10:00:00.000Z',
    outputs: { url: 'http://shop.example.com' },
    spec: { callbackUrl: 'https://hooks.example.com/berth' },
    ...overrides,
  };
}

describe('the status event', () => {
  it('is identified by environment and version, so every copy of one transition has the same id', () => {
    const first = statusEventOf(environment(), { previousStatus: 'PROVISIONING', step: 'provisioned' });
    const again = statusEventOf(environment(), { previousStatus: 'PROVISIONING', step: 'provisioned' });

    expect(first.id).toBe(`${ID}:7`);
    expect(again).toEqual(first);
  });

  it('carries the outputs on READY and the time of the change', () => {
    const event = statusEventOf(environment({ ticket: 'OPS-1234' }), {
      previousStatus: 'PROVISIONING',
      step: 'provisioned',
    });

    expect(event).toEqual({
      id: `${ID}:7`,
      environmentId: ID,
      team: 'payments',
      name: 'shop',
      status: 'READY',
      previousStatus: 'PROVISIONING',
      step: 'provisioned',
      ticket: 'OPS-1234',
      callbackUrl: 'https://hooks.example.com/berth',
      outputs: { url: 'http://shop.example.com' },
      at: '2026-03-01T10:00:00.000Z',
    });
    expect(statusEventSchema.parse(event)).toEqual(event);
  });

  it('carries the error on a failure and no outputs', () => {
    const error = { step: 'create-load-balancer', code: 'InvalidConfigurationRequest', message: 'bad' };
    const event = statusEventOf(environment({ status: 'FAILED', error }), { previousStatus: 'ROLLING_BACK' });

    expect(event.error).toEqual(error);
    expect(event.outputs).toBeUndefined();
  });

  it('leaves out an old error once the environment is READY again', () => {
    const error = { step: 'update', code: 'X', message: 'old' };
    const event = statusEventOf(environment({ error }), { previousStatus: 'UPDATING' });

    expect(event.error).toBeUndefined();
  });

  it('has no previous status for REQUESTED', () => {
    const event = statusEventOf(environment({ status: 'REQUESTED', version: 1 }), { previousStatus: null });

    expect(event).toMatchObject({ id: `${ID}:1`, status: 'REQUESTED', previousStatus: null });
    expect(statusEventSchema.safeParse(event).success).toBe(true);
  });

  it('cuts an overlong AWS error message so the event stays small', () => {
    const error = { step: 'teardown', code: 'DependencyViolation', message: 'x'.repeat(100_000) };
    const event = statusEventOf(environment({ status: 'DELETE_FAILED', error }), {
      previousStatus: 'DELETING',
    });

    expect(event.error?.message.length).toBe(2048);
  });
});

describe('publishStatusEvent', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const client = new EventBridgeClient({ region: 'us-east-1' });
  const event = statusEventOf(environment(), { previousStatus: 'PROVISIONING' });

  beforeEach(() => eventBridge.reset());

  it('puts one berth.environment event from source berth on the bus, timed at the change', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await publishStatusEvent(event, { eventBusName: 'berth-dev', client });

    const [call] = eventBridge.commandCalls(PutEventsCommand);
    const entries = call?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'berth-dev',
      Source: 'berth',
      DetailType: 'berth.environment',
      Time: new Date('2026-03-01T10:00:00.000Z'),
    });
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toEqual(event);
  });

  it('throws a retryable error naming the code when EventBridge refuses the entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });

    const publishing = publishStatusEvent(event, { eventBusName: 'berth-dev', client });

    await expect(publishing).rejects.toBeInstanceOf(StatusEventNotPublished);
    await expect(publishing).rejects.toMatchObject({ Code: 'InternalFailure' });
  });

  it('refuses an event over the 256 KB entry limit without calling EventBridge', async () => {
    const huge = { ...event, outputs: { url: 'x'.repeat(300 * 1024) } };

    await expect(publishStatusEvent(huge, { eventBusName: 'berth-dev', client })).rejects.toBeInstanceOf(
      StatusEventTooLarge,
    );
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('counts the entry size as EventBridge does: UTF-8 bytes, 14 for the time', () => {
    expect(entrySize({ Source: 'berth', DetailType: 'é', Detail: '{}', Time: new Date() })).toBe(
      14 + 5 + 2 + 2,
    );
  });
});

describe('the callback signature', () => {
  const body = '{"id":"env-1:2"}';
  const secret = 'shh';

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');

    expect(signCallback(body, secret, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies for the same body and secret within the tolerance', () => {
    const header = signCallback(body, secret, 1_700_000_000);

    expect(verifyCallbackSignature(header, body, secret, { nowSeconds: 1_700_000_100 })).toBe(true);
  });

  it('does not verify a changed body, another secret, an old timestamp or garbage', () => {
    const header = signCallback(body, secret, 1_700_000_000);
    const now = { nowSeconds: 1_700_000_000 };

    expect(verifyCallbackSignature(header, `${body} `, secret, now)).toBe(false);
    expect(verifyCallbackSignature(header, body, 'other', now)).toBe(false);
    expect(verifyCallbackSignature(header, body, secret, { nowSeconds: 1_700_000_301 })).toBe(false);
    expect(verifyCallbackSignature('t=abc,v1=zz', body, secret, now)).toBe(false);
  });
});

describe('callback addresses', () => {
  it.each([
    ['10.1.2.3'],
    ['172.20.0.1'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['::'],
    ['fd00:ec2::254'],
    ['fe80::1'],
    ['::ffff:10.0.0.1'],
    ['::ffff:a00:1'],
    ['64:ff9b::a9fe:a9fe'],
    ['::127.0.0.1'],
    ['::a9fe:a9fe'],
    ['::ffff:0:a9fe:a9fe'],
    ['2002:a9fe:a9fe::1'],
    ['64:ff9b:1::a9fe:a9fe'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['fec0::1'],
    ['100::1'],
  ])('refuses the non-public address %s', (address) => {
    expect(blockedAddressReason(address, true)).toEqual(expect.any(String));
  });

  it.each([['8.8.8.8'], ['52.94.236.248'], ['2606:4700:4700::1111']])(
    'allows the public address %s',
    (address) => {
      expect(blockedAddressReason(address, false)).toBeUndefined();
    },
  );

  it('refuses loopback unless loopback callbacks are allowed', () => {
    for (const address of ['127.0.0.1', '127.5.5.5', '::1', '::ffff:127.0.0.1']) {
      expect(blockedAddressReason(address, false)).toMatch(/loopback/);
      expect(blockedAddressReason(address, true)).toBeUndefined();
    }
  });

  it('refuses plain http, private literals, localhost and credentials in the URL', () => {
    expect(callbackUrlProblem('http://hooks.example.com/x', false)).toBe('is not https');
    expect(callbackUrlProblem('https://10.0.0.1/x', false)).toMatch(/non-public/);
    expect(callbackUrlProblem('https://[::1]:8443/x', false)).toMatch(/loopback/);
    expect(callbackUrlProblem('https://localhost./x', false)).toBe('is loopback');
    expect(callbackUrlProblem('https://user:pw@hooks.example.com/x', false)).toBe('carries credentials');
    expect(callbackUrlProblem('https://hooks.example.com/x', false)).toBeUndefined();
  });

  it('refuses, in the DNS lookup the socket uses, a name that resolves to loopback', async () => {
    const lookup = (allowLoopback: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        guardedLookup(allowLoopback)('localhost', { family: 4 }, (error, address) =>
          resolve({ error, address }),
        ),
      );

    const refused = await lookup(false);
    const allowed = await lookup(true);

    expect(refused.error).toBeInstanceOf(CallbackRefused);
    expect(refused.error?.message).toMatch(/loopback/);
    expect(allowed).toEqual({ error: null, address: '127.0.0.1' });
  });
});
