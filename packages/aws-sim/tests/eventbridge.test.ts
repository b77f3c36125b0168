import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { eventbridge, recordedEvents } from '../src/services/eventbridge';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let client: EventBridgeClient;

beforeAll(async () => {
  services = await startServices([eventbridge]);
  client = new EventBridgeClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(() => services.running.sim.reset());

const statusEvent = (bus: string) => ({
  Source: 'berth',
  DetailType: 'Environment Status Changed',
  Detail: JSON.stringify({ environmentId: 'env-1', status: 'READY' }),
  EventBusName: bus,
});

describe('event buses', () => {
  it('creates, describes and deletes a tagged bus', async () => {
    const created = await client.send(
      new CreateEventBusCommand({ Name: 'berth', Tags: [{ Key: 'berth:managed-by', Value: 'berth' }] }),
    );
    const described = await client.send(new DescribeEventBusCommand({ Name: 'berth' }));
    await client.send(new DeleteEventBusCommand({ Name: 'berth' }));

    expect(created.EventBusArn).toBe('arn:aws:events:us-east-1:000000000000:event-bus/berth');
    expect(described).toMatchObject({ Name: 'berth', Arn: created.EventBusArn });
    expect(described.CreationTime).toBeInstanceOf(Date);
    await expect(client.send(new DescribeEventBusCommand({ Name: 'berth' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses a duplicate bus', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'berth' }));

    await expect(client.send(new CreateEventBusCommand({ Name: 'berth' }))).rejects.toMatchObject({
      name: 'ResourceAlreadyExistsException',
    });
  });

  it('always has the default bus', async () => {
    const described = await client.send(new DescribeEventBusCommand({}));

    expect(described.Name).toBe('default');
  });
});

describe('PutEvents', () => {
  it('records events with their bus, readable by tests', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'berth' }));

    const answer = await client.send(
      new PutEventsCommand({ Entries: [statusEvent('berth'), statusEvent('berth')] }),
    );

    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.every((entry) => typeof entry.EventId === 'string')).toBe(true);
    expect(recordedEvents(services.running.sim.ctx, 'berth')).toEqual([
      expect.objectContaining({
        source: 'berth',
        detailType: 'Environment Status Changed',
        delivered: true,
        detail: { environmentId: 'env-1', status: 'READY' },
      }),
      expect.objectContaining({ eventBusName: 'berth' }),
    ]);
  });

  it('accepts events for a missing bus, as AWS does, and marks them undelivered', async () => {
    const answer = await client.send(new PutEventsCommand({ Entries: [statusEvent('nowhere')] }));

    expect(answer.FailedEntryCount).toBe(0);
    expect(recordedEvents(services.running.sim.ctx, 'nowhere')[0]?.delivered).toBe(false);
  });

  it('fails only the malformed entry and counts it', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [statusEvent('default'), { ...statusEvent('default'), Detail: 'not json' }],
      }),
    );

    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[1]).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    expect(recordedEvents(services.running.sim.ctx)).toHaveLength(1);
  });
});

describe('through the AWS CLI v2', () => {
  it('puts an event and describes the default bus', async () => {
    const endpoint = services.running.url;
    const put = await awsCli(
      ['events', 'put-events', '--entries', JSON.stringify([statusEvent('default')])],
      { endpoint },
    );
    const described = await awsCli(['events', 'describe-event-bus'], { endpoint });

    expect(put.json).toMatchObject({ FailedEntryCount: 0 });
    expect(described.json).toMatchObject({
      Name: 'default',
      Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default',
    });
    expect(recordedEvents(services.running.sim.ctx, 'default')).toHaveLength(1);
  });
});

describe('control API', () => {
  it('lists the published events of one bus under /_local/events', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'berth' }));
    await client.send(new PutEventsCommand({ Entries: [statusEvent('berth'), statusEvent('default')] }));

    const response = await fetch(`${services.running.url}/_local/events?bus=berth`);
    const body = (await response.json()) as { events: { eventBusName: string; detail?: unknown }[] };

    expect(response.status).toBe(200);
    expect(body.events.map((event) => event.eventBusName)).toEqual(['berth']);
  });
});
