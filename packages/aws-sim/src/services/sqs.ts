/**
 * Simulated Amazon SQS (awsJson 1.0, `AmazonSQS`, query-compatible): the queue lifecycle berth needs
 * for queue-triggered jobs (SQS → EventBridge Pipes → ECS RunTask), plus SendMessage so tests can
 * feed a pipe. Messages are kept on the queue; the Pipes simulation takes them (`takeMessages`).
 *
 * Choices and AWS behaviour kept:
 * - Queue URLs are AWS style, `https://sqs.<region>.amazonaws.com/<account>/<name>`, so code that
 *   parses them behaves as in AWS. Clients must set an explicit endpoint (SDK v3 then ignores the
 *   URL's host); any URL whose last two path segments are `<account>/<name>` is accepted.
 * - Errors use the legacy query codes (`AWS.SimpleQueueService.NonExistentQueue`,
 *   `QueueAlreadyExists`, …): the JSON protocol layer sends the code in `x-amzn-query-error`, from
 *   which SDK v3 maps it to `QueueDoesNotExist`, `QueueNameExists`, … as against real SQS.
 * - CreateQueue is idempotent for identical attributes, `QueueAlreadyExists` otherwise, and a name
 *   deleted less than 60 s ago is `AWS.SimpleQueueService.QueueDeletedRecently`.
 * - SendMessage answers MD5OfMessageBody (SDK v3 verifies it) and MD5OfMessageAttributes.
 * - IAM: operations are authorised on the queue ARN (`arn:aws:sqs:<region>:<account>:<name>`, from
 *   the QueueUrl or QueueName) with its tags; CreateQueue with tags also needs `sqs:TagQueue`.
 */
import { createHash } from 'node:crypto';
import { type AccessRequest, requestTagContext, resourceTagContext } from '../iam/access';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { epochSeconds, InputReader, paginate } from './operation-input';

export interface SqsMessage {
  messageId: string;
  body: string;
  sentAt: number;
  /** Simulated time from which the message can be received (DelaySeconds). */
  visibleAt: number;
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
}

export interface SqsQueueResource extends SimResource {
  type: 'sqs-queue';
  /** The queue URL. */
  id: string;
  arn: string;
  name: string;
  attributes: Record<string, string>;
  lastModifiedAt: number;
  messages: SqsMessage[];
}

/** A deleted queue's name stays reserved for 60 s (`QueueDeletedRecently`). */
interface DeletedQueueName extends SimResource {
  type: 'sqs-queue-deleted';
}

/** User-settable attributes and their defaults. */
const ATTRIBUTE_DEFAULTS: Record<string, string> = {
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};
const SETTABLE_ATTRIBUTES = new Set([
  ...Object.keys(ATTRIBUTE_DEFAULTS),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const invalidParameter = (message: string) => new AwsError('InvalidParameterValue', message, 400);
const nonExistentQueue = () =>
  new AwsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.', 400);

export function queueUrl(ctx: Pick<SimContext, 'region' | 'accountId'>, name: string): string {
  return `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${name}`;
}

export function queueArn(ctx: Pick<SimContext, 'region' | 'accountId'>, name: string): string {
  return `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${name}`;
}

/** The queue a URL names (any host), or `NonExistentQueue`. */
function requireQueue(ctx: SimContext, url: string): SqsQueueResource {
  const match = /^[a-z]+:\/\/[^/]+\/(\d{12})\/([^/?#]+)\/?$/.exec(url);
  if (!match?.[1] || !match[2])
    throw new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404);
  if (match[1] !== ctx.accountId) throw nonExistentQueue();
  return ctx.store.require<SqsQueueResource>('sqs-queue', queueUrl(ctx, match[2]), nonExistentQueue);
}

/** The queue with this ARN, if it exists (used by Pipes to find its source). */
export function findQueueByArn(ctx: SimContext, arn: string): SqsQueueResource | undefined {
  return ctx.store.list<SqsQueueResource>('sqs-queue').find((queue) => queue.arn === arn);
}

/**
 * Removes and returns up to `max` messages that are visible now (the Pipes poller's receive +
 * delete in one step; no visibility timeouts are modelled).
 */
export function takeMessages(ctx: SimContext, queue: SqsQueueResource, max: number): SqsMessage[] {
  const taken: SqsMessage[] = [];
  queue.messages = queue.messages.filter((message) => {
    if (taken.length < max && ctx.clock.reached(message.visibleAt)) {
      taken.push(message);
      return false;
    }
    return true;
  });
  return taken;
}

function validateAttributes(attributes: Record<string, string>, fifo: boolean): void {
  for (const name of Object.keys(attributes)) {
    if (!SETTABLE_ATTRIBUTES.has(name))
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400);
  }
  if (attributes.FifoQueue !== undefined && attributes.FifoQueue !== 'true') {
    throw new AwsError('InvalidAttributeValue', 'Invalid value for the parameter FifoQueue.', 400);
  }
  if (fifo !== (attributes.FifoQueue === 'true')) {
    throw invalidParameter(
      'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
    );
  }
}

function createQueue(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const name = reader.requiredString('QueueName');
  const fifo = name.endsWith('.fifo');
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(fifo ? name.slice(0, -5) : name) || name.length > 80) {
    throw invalidParameter(
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
  const requested = reader.stringMap('Attributes');
  validateAttributes(requested, fifo);
  const url = queueUrl(ctx, name);
  const existing = ctx.store.get<SqsQueueResource>('sqs-queue', url);
  if (existing) {
    for (const [attribute, value] of Object.entries({ ...ATTRIBUTE_DEFAULTS, ...requested })) {
      if (existing.attributes[attribute] !== value) {
        throw new AwsError(
          'QueueAlreadyExists',
          `A queue already exists with the same name and a different value for attribute ${attribute}`,
          400,
        );
      }
    }
    return { QueueUrl: url };
  }
  if (ctx.store.get<DeletedQueueName>('sqs-queue-deleted', url)) {
    throw new AwsError(
      'AWS.SimpleQueueService.QueueDeletedRecently',
      'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      400,
    );
  }
  const now = ctx.clock.now();
  ctx.store.put<SqsQueueResource>({
    type: 'sqs-queue',
    id: url,
    arn: queueArn(ctx, name),
    // The JSON member for tags at creation is lower-case `tags` in the SQS model.
    tags: reader.stringMap('tags'),
    createdAt: now,
    lastModifiedAt: now,
    name,
    attributes: { ...ATTRIBUTE_DEFAULTS, ...requested },
    messages: [],
  });
  return { QueueUrl: url };
}

function getQueueUrl(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const name = reader.requiredString('QueueName');
  const owner = reader.string('QueueOwnerAWSAccountId') ?? ctx.accountId;
  if (owner !== ctx.accountId) throw nonExistentQueue();
  const queue = ctx.store.require<SqsQueueResource>('sqs-queue', queueUrl(ctx, name), nonExistentQueue);
  return { QueueUrl: queue.id };
}

function allAttributes(ctx: SimContext, queue: SqsQueueResource): Record<string, string> {
  const visible = queue.messages.filter((message) => ctx.clock.reached(message.visibleAt)).length;
  return {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(visible),
    ApproximateNumberOfMessagesNotVisible: '0',
    ApproximateNumberOfMessagesDelayed: String(queue.messages.length - visible),
    CreatedTimestamp: String(Math.floor(epochSeconds(queue.createdAt))),
    LastModifiedTimestamp: String(Math.floor(epochSeconds(queue.lastModifiedAt))),
    ...queue.attributes,
  };
}

function getQueueAttributes(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const queue = requireQueue(ctx, reader.requiredString('QueueUrl'));
  const names = reader.strings('AttributeNames');
  const attributes = allAttributes(ctx, queue);
  if (names.length === 0) return {};
  if (names.includes('All')) return { Attributes: attributes };
  const selected: Record<string, string> = {};
  for (const name of names) {
    const value = attributes[name];
    if (value === undefined && !SETTABLE_ATTRIBUTES.has(name)) {
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400);
    }
    if (value !== undefined) selected[name] = value;
  }
  return { Attributes: selected };
}

function deleteQueue(input: OperationInput, ctx: SimContext): unknown {
  const queue = requireQueue(ctx, new InputReader(input, invalidParameter).requiredString('QueueUrl'));
  ctx.store.delete('sqs-queue', queue.id);
  const now = ctx.clock.now();
  ctx.store.put<DeletedQueueName>({
    type: 'sqs-queue-deleted',
    id: queue.id,
    tags: {},
    createdAt: now,
    goneAt: now + 60_000,
  });
  return {};
}

function listQueues(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const prefix = reader.string('QueueNamePrefix') ?? '';
  const maxResults = reader.number('MaxResults');
  const nextToken = reader.string('NextToken');
  if (nextToken !== undefined && maxResults === undefined) {
    throw invalidParameter('MaxResults is a mandatory parameter when you provide a value for NextToken.');
  }
  const urls = ctx.store
    .list<SqsQueueResource>('sqs-queue')
    .filter((queue) => queue.name.startsWith(prefix))
    .map((queue) => queue.id);
  // Without MaxResults SQS answers at most 1,000 queues and no token.
  const { page, nextToken: next } = paginate(urls, nextToken, maxResults ?? 1000, invalidParameter);
  return {
    ...(page.length > 0 ? { QueueUrls: page } : {}),
    ...(next && maxResults !== undefined ? { NextToken: next } : {}),
  };
}

/** MD5 of message attributes as SQS computes it (names sorted; length-prefixed UTF-8 fields). */
function md5OfMessageAttributes(attributes: SqsMessage['attributes']): string {
  const hash = createHash('md5');
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name];
    if (!attribute) continue;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      field(Buffer.from(attribute.BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      field(Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function readMessageAttributes(reader: InputReader): SqsMessage['attributes'] {
  const attributes: SqsMessage['attributes'] = {};
  const raw = reader.object('MessageAttributes');
  if (!raw) return attributes;
  for (const name of Object.keys(raw.input)) {
    const attribute = raw.requiredObject(name);
    const stringValue = attribute.string('StringValue');
    const binaryValue = attribute.string('BinaryValue');
    attributes[name] = {
      DataType: attribute.requiredString('DataType'),
      ...(stringValue !== undefined ? { StringValue: stringValue } : {}),
      ...(binaryValue !== undefined ? { BinaryValue: binaryValue } : {}),
    };
  }
  return attributes;
}

function sendMessage(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const queue = requireQueue(ctx, reader.requiredString('QueueUrl'));
  const body = reader.string('MessageBody');
  if (body === undefined || body === '') {
    throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.', 400);
  }
  const maxSize = Number(queue.attributes.MaximumMessageSize ?? ATTRIBUTE_DEFAULTS.MaximumMessageSize);
  if (Buffer.byteLength(body, 'utf8') > maxSize) {
    throw invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
    );
  }
  const delay = reader.number('DelaySeconds') ?? Number(queue.attributes.DelaySeconds ?? '0');
  if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
    throw invalidParameter(
      `Value ${delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`,
    );
  }
  const attributes = readMessageAttributes(reader);
  const now = ctx.clock.now();
  const message: SqsMessage = {
    messageId: ctx.ids.uuid(),
    body,
    sentAt: now,
    visibleAt: now + delay * 1000,
    attributes,
  };
  queue.messages.push(message);
  return {
    MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex'),
    ...(Object.keys(attributes).length > 0
      ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }
      : {}),
    MessageId: message.messageId,
  };
}

/** Changes user-settable attributes; FifoQueue cannot change after creation (InvalidAttributeName). */
function setQueueAttributes(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const queue = requireQueue(ctx, reader.requiredString('QueueUrl'));
  const attributes = reader.stringMap('Attributes');
  for (const name of Object.keys(attributes)) {
    if (!SETTABLE_ATTRIBUTES.has(name) || name === 'FifoQueue')
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`, 400);
  }
  Object.assign(queue.attributes, attributes);
  queue.lastModifiedAt = ctx.clock.now();
  return {};
}

function tagQueue(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const queue = requireQueue(ctx, reader.requiredString('QueueUrl'));
  const tags = reader.stringMap('Tags');
  if (Object.keys(tags).length === 0)
    throw new AwsError('MissingParameter', 'The request must contain the parameter Tags.', 400);
  if (Object.keys({ ...queue.tags, ...tags }).length > 50) {
    throw invalidParameter('Too many tags added for queue. A queue can have at most 50 tags.');
  }
  Object.assign(queue.tags, tags);
  return {};
}

function untagQueue(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalidParameter);
  const queue = requireQueue(ctx, reader.requiredString('QueueUrl'));
  for (const key of reader.strings('TagKeys')) delete queue.tags[key];
  return {};
}

function listQueueTags(input: OperationInput, ctx: SimContext): unknown {
  const queue = requireQueue(ctx, new InputReader(input, invalidParameter).requiredString('QueueUrl'));
  return Object.keys(queue.tags).length > 0 ? { Tags: { ...queue.tags } } : {};
}

/**
 * The queue ARN (`arn:aws:sqs:<region>:<account>:<name>`) of a queue URL, with the account the URL
 * names; undefined for a URL that names no queue (the operation answers `InvalidAddress`).
 */
function queueArnOfUrl(ctx: SimContext, url: string): string | undefined {
  const match = /^[a-z]+:\/\/[^/]+\/(\d{12})\/([^/?#]+)\/?$/.exec(url);
  if (!match?.[1] || !match[2]) return undefined;
  return `arn:aws:sqs:${ctx.region}:${match[1]}:${match[2]}`;
}

function queueTags(ctx: SimContext, arn: string): Record<string, string> | undefined {
  return findQueueByArn(ctx, arn)?.tags;
}

/**
 * An operation on the queue a `QueueUrl` names, with the queue's tags. A URL naming no queue makes
 * no request: the operation refuses it (`InvalidAddress`) whatever the caller may do.
 */
function byQueueUrl(
  action: string,
  extra: (reader: InputReader) => Record<string, string | string[]> = () => ({}),
): Authorizer {
  return (input, ctx) => {
    const reader = new InputReader(input, invalidParameter);
    const arn = queueArnOfUrl(ctx, reader.requiredString('QueueUrl'));
    if (arn === undefined) return [];
    return [
      {
        action: `sqs:${action}`,
        resource: arn,
        context: { ...resourceTagContext(queueTags(ctx, arn)), ...extra(reader) },
      },
    ];
  };
}

/** CreateQueue with `tags` is also authorised as `sqs:TagQueue` on the new queue. */
function createQueueRequests(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const reader = new InputReader(input, invalidParameter);
  const arn = queueArn(ctx, reader.requiredString('QueueName'));
  const tags = reader.stringMap('tags');
  const requested = requestTagContext(tags);
  const requests: AccessRequest[] = [{ action: 'sqs:CreateQueue', resource: arn, context: requested }];
  if (Object.keys(tags).length > 0)
    requests.push({ action: 'sqs:TagQueue', resource: arn, context: requested });
  return requests;
}

const sqsAuthorizers: Record<string, Authorizer> = {
  CreateQueue: createQueueRequests,
  GetQueueUrl: (input, ctx) => {
    const reader = new InputReader(input, invalidParameter);
    const owner = reader.string('QueueOwnerAWSAccountId') ?? ctx.accountId;
    const arn = `arn:aws:sqs:${ctx.region}:${owner}:${reader.requiredString('QueueName')}`;
    return [{ action: 'sqs:GetQueueUrl', resource: arn, context: resourceTagContext(queueTags(ctx, arn)) }];
  },
  GetQueueAttributes: byQueueUrl('GetQueueAttributes'),
  SetQueueAttributes: byQueueUrl('SetQueueAttributes'),
  DeleteQueue: byQueueUrl('DeleteQueue'),
  SendMessage: byQueueUrl('SendMessage'),
  ListQueueTags: byQueueUrl('ListQueueTags'),
  TagQueue: byQueueUrl('TagQueue', (reader) => requestTagContext(reader.stringMap('Tags'))),
  UntagQueue: byQueueUrl('UntagQueue', (reader): Record<string, string[]> => {
    const keys = reader.strings('TagKeys');
    return keys.length > 0 ? { 'aws:TagKeys': keys } : {};
  }),
  // No resource type: authorised on `*`.
  ListQueues: () => [{ action: 'sqs:ListQueues', resource: '*' }],
};

export const sqs: ServiceDefinition = {
  signingName: 'sqs',
  protocol: 'json',
  jsonVersion: '1.0',
  targetPrefix: 'AmazonSQS',
  legacyQuery: true,
  xmlNamespace: 'http://queue.amazonaws.com/doc/2012-11-05/',
  operations: {
    CreateQueue: createQueue,
    GetQueueUrl: getQueueUrl,
    GetQueueAttributes: getQueueAttributes,
    DeleteQueue: deleteQueue,
    ListQueues: listQueues,
    SendMessage: sendMessage,
    SetQueueAttributes: setQueueAttributes,
    TagQueue: tagQueue,
    UntagQueue: untagQueue,
    ListQueueTags: listQueueTags,
  },
  authorize: sqsAuthorizers,
  // SQS refuses with its legacy query code `AccessDenied` and 403, also over awsJson (the JSON
  // layer repeats the code in `x-amzn-query-error`, which SDKs read for query-compatible services).
  accessDenied: { code: 'AccessDenied', status: 403 },
  // SQS publishes no API request-rate quota for standard queues (it is "nearly unlimited"); the
  // bucket only guards against runaway loops. Its throttling code is `RequestThrottled` (403).
  rateLimits: { default: { burst: 3000, refillPerSecond: 3000 } },
  throttle: { code: 'RequestThrottled', status: 403, message: 'Request is throttled.' },
};
