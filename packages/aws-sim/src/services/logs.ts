/**
 * Simulated Amazon CloudWatch Logs (awsJson 1.1, target prefix `Logs_20140328`): the log-group
 * operations berth uses for its services' `awslogs` groups. No log events are stored.
 *
 * Behaviour kept from AWS: `ResourceAlreadyExistsException` / `ResourceNotFoundException`, the fixed
 * set of retention values (`InvalidParameterException` otherwise), `creationTime` in epoch
 * milliseconds, `arn` ending in `:*` and `logGroupArn` without it, tags as a JSON map, prefix search
 * with nextToken paging. Throttling is `ThrottlingException` / 400.
 *
 * IAM: operations taking a `logGroupName` are authorised on `log-group:<name>:log-stream:`, those
 * taking a `resourceArn` on that ARN, DescribeLogGroups on `log-group::log-stream:`; a create with
 * tags also needs `logs:TagResource` (`logsAuthorizers`).
 *
 * Store type: `log-group` (id = log group name).
 */
import { type AccessRequest, requestTagContext, resourceTagContext } from '../iam/access';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { InputReader, type InvalidInput, paginate } from './operation-input';

interface LogGroupResource extends SimResource {
  type: 'log-group';
  /** The ARN without the trailing `:*` (what TagResource takes). */
  arn: string;
  retentionInDays?: number;
  logGroupClass: string;
  kmsKeyId?: string;
}

const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const invalidParameter: InvalidInput = (message) => new AwsError('InvalidParameterException', message, 400);
const reader = (input: OperationInput) => new InputReader(input, invalidParameter);
const notFound = () =>
  new AwsError('ResourceNotFoundException', 'The specified log group does not exist.', 400);

function requireLogGroup(ctx: SimContext, name: string): LogGroupResource {
  return ctx.store.require<LogGroupResource>('log-group', name, notFound);
}

/** A log group by ARN, with or without the trailing `:*`. */
function requireByArn(ctx: SimContext, arn: string): LogGroupResource {
  const bare = arn.endsWith(':*') ? arn.slice(0, -2) : arn;
  const group = ctx.store.list<LogGroupResource>('log-group').find((candidate) => candidate.arn === bare);
  if (!group) throw new AwsError('ResourceNotFoundException', 'The specified resource does not exist.', 400);
  return group;
}

function createLogGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('logGroupName');
  if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) {
    throw invalidParameter(
      `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
    );
  }
  if (ctx.store.get('log-group', name)) {
    throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists', 400);
  }
  const kmsKeyId = r.string('kmsKeyId');
  ctx.store.put<LogGroupResource>({
    type: 'log-group',
    id: name,
    arn: `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`,
    logGroupClass: r.string('logGroupClass') ?? 'STANDARD',
    ...(kmsKeyId ? { kmsKeyId } : {}),
    tags: r.stringMap('tags'),
    createdAt: ctx.clock.now(),
  });
  return {};
}

function putRetentionPolicy(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const group = requireLogGroup(ctx, r.requiredString('logGroupName'));
  const days = r.number('retentionInDays');
  if (days === undefined || !RETENTION_DAYS.includes(days)) {
    throw invalidParameter(
      `1 validation error detected: Value '${days ?? 'null'}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
    );
  }
  group.retentionInDays = days;
  return {};
}

function deleteRetentionPolicy(input: OperationInput, ctx: SimContext) {
  delete requireLogGroup(ctx, reader(input).requiredString('logGroupName')).retentionInDays;
  return {};
}

function describeLogGroups(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const prefix = r.string('logGroupNamePrefix');
  const pattern = r.string('logGroupNamePattern');
  if (prefix !== undefined && pattern !== undefined) {
    throw invalidParameter(
      'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.',
    );
  }
  const limit = r.number('limit');
  if (limit !== undefined && (limit < 1 || limit > 50))
    throw invalidParameter('limit must be between 1 and 50.');
  const groups = ctx.store
    .list<LogGroupResource>('log-group')
    .filter((group) => prefix === undefined || group.id.startsWith(prefix))
    .filter((group) => pattern === undefined || group.id.toLowerCase().includes(pattern.toLowerCase()))
    .sort((a, b) => a.id.localeCompare(b.id));
  const { page, nextToken } = paginate(groups, r.string('nextToken'), limit, invalidParameter, 50);
  return {
    logGroups: page.map((group) => ({
      logGroupName: group.id,
      creationTime: Math.round(group.createdAt),
      ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: `${group.arn}:*`,
      storedBytes: 0,
      ...(group.kmsKeyId ? { kmsKeyId: group.kmsKeyId } : {}),
      logGroupClass: group.logGroupClass,
      logGroupArn: group.arn,
    })),
    ...(nextToken ? { nextToken } : {}),
  };
}

function deleteLogGroup(input: OperationInput, ctx: SimContext) {
  const group = requireLogGroup(ctx, reader(input).requiredString('logGroupName'));
  ctx.store.delete('log-group', group.id);
  return {};
}

function tagResource(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const group = requireByArn(ctx, r.requiredString('resourceArn'));
  group.tags = { ...group.tags, ...r.stringMap('tags') };
  if (Object.keys(group.tags).length > 50)
    throw invalidParameter('A resource can have no more than 50 tags.');
  return {};
}

function untagResource(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const group = requireByArn(ctx, r.requiredString('resourceArn'));
  for (const key of r.strings('tagKeys')) delete group.tags[key];
  return {};
}

function listTagsForResource(input: OperationInput, ctx: SimContext) {
  return { tags: { ...requireByArn(ctx, reader(input).requiredString('resourceArn')).tags } };
}

/** `arn:aws:logs:<region>:<account>:log-group:<name>`: the log-group resource type's ARN. */
function logGroupArn(ctx: SimContext, name: string): string {
  return `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;
}

/**
 * The resource CloudWatch Logs evaluates operations that take a `logGroupName` on: the group's ARN
 * followed by `:log-stream:` (an empty stream), as AWS names it in its refusals; a Resource of
 * `log-group:<name>:*` or a prefix pattern matches it, a bare `log-group:<name>` does not.
 */
function byNameResource(ctx: SimContext, name: string): string {
  return `${logGroupArn(ctx, name)}:log-stream:`;
}

function storedTags(ctx: SimContext, name: string): Record<string, string> | undefined {
  return ctx.store.get<LogGroupResource>('log-group', name)?.tags;
}

/** An operation on an existing group named by `logGroupName`, with the group's tags. */
function byName(action: string): Authorizer {
  return (input, ctx) => {
    const name = reader(input).requiredString('logGroupName');
    return [
      {
        action: `logs:${action}`,
        resource: byNameResource(ctx, name),
        context: resourceTagContext(storedTags(ctx, name)),
      },
    ];
  };
}

/** An operation named by `resourceArn`: authorised on that ARN (without a trailing `:*`). */
function byArn(action: string, extra: (r: InputReader) => Record<string, string | string[]>): Authorizer {
  return (input, ctx) => {
    const r = reader(input);
    const given = r.requiredString('resourceArn');
    const arn = given.endsWith(':*') ? given.slice(0, -2) : given;
    const group = ctx.store.list<LogGroupResource>('log-group').find((candidate) => candidate.arn === arn);
    return [
      {
        action: `logs:${action}`,
        resource: arn,
        context: { ...resourceTagContext(group?.tags), ...extra(r) },
      },
    ];
  };
}

/**
 * CreateLogGroup carries its tags as `aws:RequestTag/…`; with tags, AWS also requires
 * `logs:TagResource` ("not authorized to perform CreateLogGroup with Tags. An additional permission
 * logs:TagResource is required"), checked here on the new group's ARN.
 */
function createLogGroupRequests(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const r = reader(input);
  const name = r.requiredString('logGroupName');
  const tags = r.stringMap('tags');
  const requested = requestTagContext(tags);
  const requests: AccessRequest[] = [
    { action: 'logs:CreateLogGroup', resource: byNameResource(ctx, name), context: requested },
  ];
  if (Object.keys(tags).length > 0) {
    requests.push({ action: 'logs:TagResource', resource: logGroupArn(ctx, name), context: requested });
  }
  return requests;
}

const logsAuthorizers: Record<string, Authorizer> = {
  CreateLogGroup: createLogGroupRequests,
  PutRetentionPolicy: byName('PutRetentionPolicy'),
  DeleteRetentionPolicy: byName('DeleteRetentionPolicy'),
  DeleteLogGroup: byName('DeleteLogGroup'),
  // No resource type: AWS evaluates it on `log-group::log-stream:`, which `log-group:*` or `*` matches.
  DescribeLogGroups: (_input, ctx) => [
    {
      action: 'logs:DescribeLogGroups',
      resource: `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group::log-stream:`,
    },
  ],
  TagResource: byArn('TagResource', (r) => requestTagContext(r.stringMap('tags'))),
  UntagResource: byArn('UntagResource', (r): Record<string, string[]> => {
    const keys = r.strings('tagKeys');
    return keys.length > 0 ? { 'aws:TagKeys': keys } : {};
  }),
  ListTagsForResource: byArn('ListTagsForResource', () => ({})),
};

export const logs: ServiceDefinition = {
  signingName: 'logs',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'Logs_20140328',
  operations: {
    CreateLogGroup: createLogGroup,
    PutRetentionPolicy: putRetentionPolicy,
    DeleteRetentionPolicy: deleteRetentionPolicy,
    DescribeLogGroups: describeLogGroups,
    DeleteLogGroup: deleteLogGroup,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
  },
  // A refusal is awsJson's `AccessDeniedException` 400, as CloudWatch Logs answers it.
  authorize: logsAuthorizers,
  // CloudWatch Logs quotas: most control-plane calls are a few transactions per second.
  rateLimits: { default: { burst: 10, refillPerSecond: 5 } },
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
};
