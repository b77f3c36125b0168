/**
 * Simulated Amazon EventBridge event buses (awsJson 1.1, `AWSEvents`): PutEvents and the bus
 * lifecycle berth needs to publish environment status events. There are no rules or targets; every
 * accepted event is recorded so tests can read what berth published (`recordedEvents`, meant to
 * be served as `GET /_local/events` by the control API).
 *
 * Behaviour kept from AWS:
 * - The `default` bus always exists and cannot be deleted; DeleteEventBus of a missing bus succeeds.
 * - PutEvents to a bus that does not exist still answers success with an EventId (a long-standing
 *   AWS behaviour, aws/aws-sdk#186); such events are recorded with `delivered: false`.
 * - Per-entry problems (missing Source/DetailType/Detail, Detail not a JSON object) fail only that
 *   entry (`InvalidArgument`, `MalformedDetail`) and are counted in FailedEntryCount.
 * - IAM: PutEvents is authorised on each entry's bus ARN (`event-bus/<name>`) with `events:source`
 *   and `events:detail-type`; bus operations on the bus with its tags (`eventbridgeAuthorizers`).
 */

import { type AccessRequest, requestTagContext, resourceTagContext } from '../iam/access';
import { isRecord } from '../input';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  type OperationInput,
  type ResourceStore,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { epochSeconds, InputReader } from './operation-input';

export interface EventBusResource extends SimResource {
  type: 'event-bus';
  name: string;
  description?: string;
  lastModifiedAt: number;
}

/** An event as a test sees it. */
export interface RecordedEvent {
  eventId: string;
  /** The bus name (an ARN given in the entry is reduced to its name). */
  eventBusName: string;
  /** False when the bus did not exist: AWS accepts the event and drops it. */
  delivered: boolean;
  source: string;
  detailType: string;
  detail: unknown;
  resources: string[];
  /** ISO-8601, the entry's Time or the simulated time of the call. */
  time: string;
}

/**
 * Events are not resources (they would flood `/_local/resources`), so they live beside the store,
 * one log per simulator, emptied whenever the store is reset.
 */
const eventLogs = new WeakMap<ResourceStore, RecordedEvent[]>();

function eventLog(ctx: Pick<SimContext, 'store'>): RecordedEvent[] {
  let log = eventLogs.get(ctx.store);
  if (!log) {
    const created: RecordedEvent[] = [];
    eventLogs.set(ctx.store, created);
    ctx.store.onReset(() => {
      created.length = 0;
    });
    log = created;
  }
  return log;
}

/** Every event PutEvents accepted, oldest first; optionally only those sent to one bus. */
export function recordedEvents(ctx: Pick<SimContext, 'store'>, eventBusName?: string): RecordedEvent[] {
  const log = eventLog(ctx);
  return eventBusName === undefined ? [...log] : log.filter((event) => event.eventBusName === eventBusName);
}

export function clearRecordedEvents(ctx: Pick<SimContext, 'store'>): void {
  eventLog(ctx).length = 0;
}

const DEFAULT_BUS = 'default';
const invalid = (message: string) => new AwsError('ValidationException', message, 400);

function busArn(ctx: SimContext, name: string): string {
  return `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${name}`;
}

/** `my-bus` or `arn:aws:events:…:event-bus/my-bus` → `my-bus`. */
function busNameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
}

/** The bus, creating the always-present `default` bus on first use. */
function findBus(ctx: SimContext, name: string): EventBusResource | undefined {
  const existing = ctx.store.get<EventBusResource>('event-bus', busArn(ctx, name));
  if (existing || name !== DEFAULT_BUS) return existing;
  const now = ctx.clock.now();
  return ctx.store.put<EventBusResource>({
    type: 'event-bus',
    id: busArn(ctx, name),
    arn: busArn(ctx, name),
    tags: {},
    createdAt: now,
    lastModifiedAt: now,
    name,
  });
}

function createEventBus(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const name = reader.requiredString('Name');
  if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name) || name.startsWith('aws.')) {
    throw invalid(`Event bus name ${name} is not valid.`);
  }
  if (findBus(ctx, name)) {
    throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`, 400);
  }
  const description = reader.string('Description');
  const now = ctx.clock.now();
  const bus = ctx.store.put<EventBusResource>({
    type: 'event-bus',
    id: busArn(ctx, name),
    arn: busArn(ctx, name),
    tags: reader.tagList('Tags'),
    createdAt: now,
    lastModifiedAt: now,
    name,
    ...(description !== undefined ? { description } : {}),
  });
  return { EventBusArn: bus.arn, ...(description !== undefined ? { Description: description } : {}) };
}

function describeEventBus(input: OperationInput, ctx: SimContext): unknown {
  const name = busNameOf(new InputReader(input, invalid).string('Name') ?? DEFAULT_BUS);
  const bus = findBus(ctx, name);
  if (!bus) throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`, 400);
  return {
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description !== undefined ? { Description: bus.description } : {}),
    CreationTime: epochSeconds(bus.createdAt),
    LastModifiedTime: epochSeconds(bus.lastModifiedAt),
  };
}

function deleteEventBus(input: OperationInput, ctx: SimContext): unknown {
  const name = busNameOf(new InputReader(input, invalid).requiredString('Name'));
  if (name === DEFAULT_BUS) throw invalid('Cannot delete event bus default.');
  ctx.store.delete('event-bus', busArn(ctx, name));
  return {};
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function putEntry(entry: InputReader, ctx: SimContext): EntryResult {
  const source = entry.string('Source');
  const detailType = entry.string('DetailType');
  const detailText = entry.string('Detail');
  if (!source)
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
    };
  if (!detailType) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    };
  }
  if (!detailText) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const eventBusName = busNameOf(entry.string('EventBusName') ?? DEFAULT_BUS);
  const time = entry.number('Time');
  const recorded: RecordedEvent = {
    eventId: ctx.ids.uuid(),
    eventBusName,
    delivered: findBus(ctx, eventBusName) !== undefined,
    source,
    detailType,
    detail,
    resources: entry.strings('Resources'),
    // JSON timestamps arrive as epoch seconds.
    time: new Date(time !== undefined ? time * 1000 : ctx.clock.now()).toISOString(),
  };
  eventLog(ctx).push(recorded);
  return { EventId: recorded.eventId };
}

function putEvents(input: OperationInput, ctx: SimContext): unknown {
  const entries = new InputReader(input, invalid).objects('Entries');
  if (entries.length < 1 || entries.length > 10) {
    throw invalid(
      "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  }
  if (JSON.stringify(input).length > 256 * 1024) {
    throw invalid('Total size of the entries in the request is over the limit.');
  }
  const results = entries.map((entry) => putEntry(entry, ctx));
  return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
}

/** The bus a name or ARN designates, as IAM names it (an ARN is taken as it is). */
function busResource(ctx: SimContext, nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : busArn(ctx, nameOrArn);
}

function busTags(ctx: SimContext, nameOrArn: string): Record<string, string> | undefined {
  return ctx.store.get<EventBusResource>('event-bus', busArn(ctx, busNameOf(nameOrArn)))?.tags;
}

/** An operation on one existing bus (`Name`, the `default` bus when absent), with its tags. */
function onBus(action: string, required: boolean): Authorizer {
  return (input, ctx) => {
    const reader = new InputReader(input, invalid);
    const name = required ? reader.requiredString('Name') : (reader.string('Name') ?? DEFAULT_BUS);
    return [
      {
        action: `events:${action}`,
        resource: busResource(ctx, name),
        context: resourceTagContext(busTags(ctx, name)),
      },
    ];
  };
}

/**
 * PutEvents is authorised on the bus of each entry, with the entry's `events:source` and
 * `events:detail-type`; entries asking the same are one request. A refusal fails the whole call.
 */
function putEventsRequests(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const requests = new Map<string, AccessRequest>();
  for (const entry of new InputReader(input, invalid).objects('Entries')) {
    const bus = entry.string('EventBusName') ?? DEFAULT_BUS;
    const source = entry.string('Source');
    const detailType = entry.string('DetailType');
    const request: AccessRequest = {
      action: 'events:PutEvents',
      resource: busResource(ctx, bus),
      context: {
        ...resourceTagContext(busTags(ctx, bus)),
        ...(source !== undefined ? { 'events:source': source } : {}),
        ...(detailType !== undefined ? { 'events:detail-type': detailType } : {}),
      },
    };
    requests.set(JSON.stringify(request), request);
  }
  return [...requests.values()];
}

/** CreateEventBus with `Tags` is also authorised as `events:TagResource` on the new bus. */
function createEventBusRequests(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const reader = new InputReader(input, invalid);
  const resource = busArn(ctx, reader.requiredString('Name'));
  const tags = reader.tagList('Tags');
  const requested = requestTagContext(tags);
  const requests: AccessRequest[] = [{ action: 'events:CreateEventBus', resource, context: requested }];
  if (Object.keys(tags).length > 0)
    requests.push({ action: 'events:TagResource', resource, context: requested });
  return requests;
}

const eventbridgeAuthorizers: Record<string, Authorizer> = {
  PutEvents: putEventsRequests,
  CreateEventBus: createEventBusRequests,
  DescribeEventBus: onBus('DescribeEventBus', false),
  DeleteEventBus: onBus('DeleteEventBus', true),
};

export const eventbridge: ServiceDefinition = {
  signingName: 'events',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AWSEvents',
  operations: {
    PutEvents: putEvents,
    CreateEventBus: createEventBus,
    DescribeEventBus: describeEventBus,
    DeleteEventBus: deleteEventBus,
  },
  // A refusal is awsJson's `AccessDeniedException` 400, as EventBridge answers it.
  authorize: eventbridgeAuthorizers,
  // EventBridge quotas publish PutEvents at 10,000 TPS in us-east-1; the bus control-plane calls
  // have no published per-call figure, so they get a modest bucket of our choosing.
  rateLimitCategory: (operation) => (operation === 'PutEvents' ? 'put-events' : 'default'),
  rateLimits: {
    'put-events': { burst: 10_000, refillPerSecond: 10_000 },
    default: { burst: 50, refillPerSecond: 50 },
  },
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
};
