/**
 * Simulated Amazon EventBridge Scheduler (rest-json): schedules that run ECS tasks, and schedule
 * groups. Schedules are never invoked here; berth only needs them created, read, changed and deleted.
 *
 * Behaviour kept from AWS:
 * - Schedules cannot be tagged in AWS (TagResource accepts only schedule-group ARNs), so schedule
 *   resources carry no tags; groups do. berth finds its schedules by group and deterministic name.
 * - The `default` group always exists and cannot be deleted. Deleting a group deletes its schedules;
 *   the group reads `DELETING` for the latency model's `scheduleGroupDeleted`, then is gone.
 * - Schedule expressions are checked: `rate(n unit)`, six-field `cron(…)` with `?` in the
 *   day-of-month or day-of-week field, `at(yyyy-mm-ddThh:mm:ss)`.
 * - UpdateSchedule replaces the whole definition, as the API reference warns.
 * - Query-string members use their wire names (`groupName`, `ScheduleGroup`, `NamePrefix`…).
 * - IAM (Service Authorization Reference, "Actions, resources, and condition keys for Amazon
 *   EventBridge Scheduler"): schedule operations on `schedule/<group>/<name>`, group and tag
 *   operations on `schedule-group/<name>` with its tags; CreateSchedule and UpdateSchedule pass the
 *   target's `RoleArn` (`iam:PassRole` to `scheduler.amazonaws.com`); CreateScheduleGroup with tags is
 *   also `scheduler:TagResource`; DeleteScheduleGroup is also `scheduler:DeleteSchedule` on each
 *   schedule the group holds (the reference names the dependent action, not its resource). The schedule's role is only used when a schedule fires,
 *   which is not simulated, so nothing checks it here.
 */
import { type AccessRequest, passRole, requestTagContext, resourceTagContext } from '../iam/access';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { drawSeconds } from '../latency';
import { epochSeconds, InputReader, paginate, tagListOf } from './operation-input';

export interface ScheduleResource extends SimResource {
  type: 'schedule';
  /** `<group>/<name>`: names are unique per group. */
  id: string;
  arn: string;
  name: string;
  groupName: string;
  definition: ScheduleDefinition;
  lastModifiedAt: number;
}

/** The user-supplied part of a schedule, kept as it will be answered. */
export interface ScheduleDefinition {
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  StartDate?: number;
  EndDate?: number;
  KmsKeyArn?: string;
  ActionAfterCompletion: 'NONE' | 'DELETE';
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: Record<string, unknown>;
}

export interface ScheduleGroupResource extends SimResource {
  type: 'schedule-group';
  /** The group name. */
  id: string;
  arn: string;
  lastModifiedAt: number;
  /** Set by DeleteScheduleGroup: the group reads DELETING until `goneAt`. */
  deleting?: boolean;
}

const DEFAULT_GROUP = 'default';
const invalid = (message: string) => new AwsError('ValidationException', message, 400);
const notFound = (message: string) => () => new AwsError('ResourceNotFoundException', message, 404);

function groupArn(ctx: SimContext, name: string): string {
  return `arn:aws:scheduler:${ctx.region}:${ctx.accountId}:schedule-group/${name}`;
}

function scheduleArn(ctx: SimContext, group: string, name: string): string {
  return `arn:aws:scheduler:${ctx.region}:${ctx.accountId}:schedule/${group}/${name}`;
}

/** The group, creating the always-present `default` group on first use. */
function findGroup(ctx: SimContext, name: string): ScheduleGroupResource | undefined {
  const existing = ctx.store.get<ScheduleGroupResource>('schedule-group', name);
  if (existing || name !== DEFAULT_GROUP) return existing;
  const now = ctx.clock.now();
  return ctx.store.put<ScheduleGroupResource>({
    type: 'schedule-group',
    id: name,
    arn: groupArn(ctx, name),
    tags: {},
    createdAt: now,
    lastModifiedAt: now,
  });
}

function requireActiveGroup(ctx: SimContext, name: string): ScheduleGroupResource {
  const group = findGroup(ctx, name);
  if (!group || group.deleting) throw notFound(`Schedule group ${name} does not exist.`)();
  return group;
}

const RATE_UNITS = new Set(['minute', 'minutes', 'hour', 'hours', 'day', 'days']);
const CRON_FIELD = /^[0-9A-Za-z*?,/\-#L W]+$/;

/** True when `expression` is a schedule expression Scheduler accepts. */
export function isValidScheduleExpression(expression: string): boolean {
  const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1 || !RATE_UNITS.has(unit)) return false;
    // AWS wants the singular unit for 1 and the plural otherwise.
    return value === 1 ? !unit.endsWith('s') : unit.endsWith('s');
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6 || !fields.every((field) => CRON_FIELD.test(field))) return false;
    // Day-of-month and day-of-week cannot both be given: exactly one of them is `?`.
    return (fields[2] === '?') !== (fields[4] === '?');
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [, year, month, day, hour, minute, second] = at.map(Number);
    const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour, minute, second));
    return date.getUTCMonth() === (month ?? 1) - 1 && date.getUTCDate() === day && (hour ?? 24) < 24;
  }
  return false;
}

/** Strips the SDK-irrelevant `undefined`s so answers only carry what was given. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function readTarget(target: InputReader): Record<string, unknown> {
  const arn = target.requiredString('Arn');
  target.requiredString('RoleArn');
  if (!/^arn:aws[a-z-]*:[a-z0-9-]+:/.test(arn)) throw invalid(`Invalid target ARN ${arn}.`);
  const ecs = target.object('EcsParameters');
  if (/^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:cluster\//.test(arn)) {
    if (!ecs) throw invalid('EcsParameters is required when the target is an Amazon ECS cluster.');
    ecs.requiredString('TaskDefinitionArn');
    const launchType = ecs.string('LaunchType');
    if (launchType !== undefined && !['EC2', 'FARGATE', 'EXTERNAL'].includes(launchType)) {
      throw invalid(`Invalid LaunchType ${launchType}.`);
    }
    const taskCount = ecs.number('TaskCount');
    if (taskCount !== undefined && (taskCount < 1 || taskCount > 10))
      throw invalid('TaskCount must be between 1 and 10.');
    const awsvpc = ecs.object('NetworkConfiguration')?.object('awsvpcConfiguration');
    if (awsvpc) {
      const subnets = awsvpc.strings('Subnets');
      if (subnets.length < 1 || subnets.length > 16)
        throw invalid('awsvpcConfiguration.Subnets must have 1 to 16 items.');
      const assign = awsvpc.string('AssignPublicIp');
      if (assign !== undefined && assign !== 'ENABLED' && assign !== 'DISABLED') {
        throw invalid(`Invalid AssignPublicIp ${assign}.`);
      }
      if (assign === 'ENABLED' && launchType !== 'FARGATE') {
        throw invalid('AssignPublicIp can be ENABLED only when LaunchType is FARGATE.');
      }
    }
  }
  return target.input;
}

/** Reads and validates the definition shared by CreateSchedule and UpdateSchedule. */
function readDefinition(reader: InputReader): ScheduleDefinition {
  const expression = reader.requiredString('ScheduleExpression');
  if (!isValidScheduleExpression(expression)) throw invalid(`Invalid Schedule Expression ${expression}.`);
  const window = reader.requiredObject('FlexibleTimeWindow');
  const mode = window.requiredString('Mode');
  if (mode !== 'OFF' && mode !== 'FLEXIBLE') throw invalid(`Invalid FlexibleTimeWindow.Mode ${mode}.`);
  const maximum = window.number('MaximumWindowInMinutes');
  if (mode === 'FLEXIBLE' && (maximum === undefined || maximum < 1 || maximum > 1440)) {
    throw invalid('MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.');
  }
  if (mode === 'OFF' && maximum !== undefined)
    throw invalid('MaximumWindowInMinutes must not be set when Mode is OFF.');
  const state = reader.string('State') ?? 'ENABLED';
  if (state !== 'ENABLED' && state !== 'DISABLED') throw invalid(`Invalid State ${state}.`);
  const action = reader.string('ActionAfterCompletion') ?? 'NONE';
  if (action !== 'NONE' && action !== 'DELETE') throw invalid(`Invalid ActionAfterCompletion ${action}.`);
  const startDate = reader.number('StartDate');
  const endDate = reader.number('EndDate');
  if (startDate !== undefined && endDate !== undefined && endDate <= startDate) {
    throw invalid('The EndDate you specify must be after the StartDate.');
  }
  return definedOnly<ScheduleDefinition>({
    ScheduleExpression: expression,
    ScheduleExpressionTimezone: reader.string('ScheduleExpressionTimezone'),
    Description: reader.string('Description'),
    State: state,
    StartDate: startDate,
    EndDate: endDate,
    KmsKeyArn: reader.string('KmsKeyArn'),
    ActionAfterCompletion: action,
    FlexibleTimeWindow: definedOnly<ScheduleDefinition['FlexibleTimeWindow']>({
      Mode: mode,
      MaximumWindowInMinutes: maximum,
    }),
    Target: readTarget(reader.requiredObject('Target')),
  });
}

function validName(name: string): string {
  if (!/^[0-9a-zA-Z\-_.]{1,64}$/.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+`,
    );
  }
  return name;
}

function createSchedule(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const name = validName(reader.requiredString('Name'));
  const groupName = reader.string('GroupName') ?? DEFAULT_GROUP;
  const definition = readDefinition(reader);
  requireActiveGroup(ctx, groupName);
  const id = `${groupName}/${name}`;
  if (ctx.store.get<ScheduleResource>('schedule', id)) {
    throw new AwsError('ConflictException', `Schedule ${name} already exists.`, 409);
  }
  const now = ctx.clock.now();
  const schedule = ctx.store.put<ScheduleResource>({
    type: 'schedule',
    id,
    arn: scheduleArn(ctx, groupName, name),
    tags: {},
    createdAt: now,
    lastModifiedAt: now,
    name,
    groupName,
    definition,
  });
  return { ScheduleArn: schedule.arn };
}

function requireSchedule(ctx: SimContext, reader: InputReader): ScheduleResource {
  const name = reader.requiredString('Name');
  const groupName = reader.string('groupName') ?? reader.string('GroupName') ?? DEFAULT_GROUP;
  return ctx.store.require<ScheduleResource>(
    'schedule',
    `${groupName}/${name}`,
    notFound(`Schedule ${name} does not exist.`),
  );
}

function getSchedule(input: OperationInput, ctx: SimContext): unknown {
  const schedule = requireSchedule(ctx, new InputReader(input, invalid));
  return {
    Arn: schedule.arn,
    GroupName: schedule.groupName,
    Name: schedule.name,
    ...schedule.definition,
    CreationDate: epochSeconds(schedule.createdAt),
    LastModificationDate: epochSeconds(schedule.lastModifiedAt),
  };
}

function updateSchedule(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const schedule = requireSchedule(ctx, reader);
  schedule.definition = readDefinition(reader);
  schedule.lastModifiedAt = ctx.clock.now();
  return { ScheduleArn: schedule.arn };
}

function deleteSchedule(input: OperationInput, ctx: SimContext): unknown {
  const schedule = requireSchedule(ctx, new InputReader(input, invalid));
  ctx.store.delete('schedule', schedule.id);
  return {};
}

function listSchedules(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const group = reader.string('ScheduleGroup');
  const prefix = reader.string('NamePrefix') ?? '';
  const state = reader.string('State');
  const schedules = ctx.store
    .list<ScheduleResource>('schedule')
    .filter(
      (schedule) =>
        (group === undefined || schedule.groupName === group) &&
        schedule.name.startsWith(prefix) &&
        (state === undefined || schedule.definition.State === state),
    );
  const { page, nextToken } = paginate(
    schedules,
    reader.string('NextToken'),
    reader.number('MaxResults'),
    invalid,
  );
  return {
    Schedules: page.map((schedule) => ({
      Arn: schedule.arn,
      Name: schedule.name,
      GroupName: schedule.groupName,
      State: schedule.definition.State,
      CreationDate: epochSeconds(schedule.createdAt),
      LastModificationDate: epochSeconds(schedule.lastModifiedAt),
      Target: { Arn: schedule.definition.Target.Arn },
    })),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

function createScheduleGroup(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const name = validName(reader.requiredString('Name'));
  if (findGroup(ctx, name))
    throw new AwsError('ConflictException', `Schedule group ${name} already exists.`, 409);
  const now = ctx.clock.now();
  const group = ctx.store.put<ScheduleGroupResource>({
    type: 'schedule-group',
    id: name,
    arn: groupArn(ctx, name),
    tags: reader.tagList('Tags'),
    createdAt: now,
    lastModifiedAt: now,
  });
  return { ScheduleGroupArn: group.arn };
}

function groupView(group: ScheduleGroupResource): Record<string, unknown> {
  return {
    Arn: group.arn,
    Name: group.id,
    State: group.deleting ? 'DELETING' : 'ACTIVE',
    CreationDate: epochSeconds(group.createdAt),
    LastModificationDate: epochSeconds(group.lastModifiedAt),
  };
}

function getScheduleGroup(input: OperationInput, ctx: SimContext): unknown {
  const name = new InputReader(input, invalid).requiredString('Name');
  const group = findGroup(ctx, name);
  if (!group) throw notFound(`Schedule group ${name} does not exist.`)();
  return groupView(group);
}

function deleteScheduleGroup(input: OperationInput, ctx: SimContext): unknown {
  const name = new InputReader(input, invalid).requiredString('Name');
  if (name === DEFAULT_GROUP) throw invalid('You cannot delete the default group.');
  const group = requireActiveGroup(ctx, name);
  for (const schedule of ctx.store.list<ScheduleResource>('schedule')) {
    if (schedule.groupName === name) ctx.store.delete('schedule', schedule.id);
  }
  group.deleting = true;
  group.goneAt = ctx.clock.now() + drawSeconds(ctx, ctx.latency.scheduleGroupDeleted ?? [5, 15]) * 1000;
  return {};
}

function listScheduleGroups(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const prefix = reader.string('NamePrefix') ?? '';
  findGroup(ctx, DEFAULT_GROUP);
  const groups = ctx.store
    .list<ScheduleGroupResource>('schedule-group')
    .filter((group) => group.id.startsWith(prefix));
  const { page, nextToken } = paginate(
    groups,
    reader.string('NextToken'),
    reader.number('MaxResults'),
    invalid,
  );
  return { ScheduleGroups: page.map(groupView), ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** Only schedule groups can be tagged; any other ARN is not found. */
function requireTaggableGroup(ctx: SimContext, arn: string): ScheduleGroupResource {
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  const group = findGroup(ctx, name);
  if (!group || group.arn !== arn) throw notFound(`Resource ${arn} does not exist.`)();
  return group;
}

function listTagsForResource(input: OperationInput, ctx: SimContext): unknown {
  const group = requireTaggableGroup(ctx, new InputReader(input, invalid).requiredString('ResourceArn'));
  return { Tags: tagListOf(group.tags) };
}

function tagResource(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const group = requireTaggableGroup(ctx, reader.requiredString('ResourceArn'));
  Object.assign(group.tags, reader.tagList('Tags'));
  return {};
}

function untagResource(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const group = requireTaggableGroup(ctx, reader.requiredString('ResourceArn'));
  for (const key of reader.strings('TagKeys')) delete group.tags[key];
  return {};
}

/** A schedule named by the call: `Name` and the group (`GroupName` in a body, `groupName` in a query). */
function scheduleArnOfInput(ctx: SimContext, input: OperationInput): string {
  const reader = new InputReader(input, invalid);
  const group = reader.string('groupName') ?? reader.string('GroupName') ?? DEFAULT_GROUP;
  return scheduleArn(ctx, group, reader.string('Name') ?? '');
}

/** `aws:ResourceTag/…` of a schedule group by ARN (schedules themselves carry no tags). */
function groupTags(ctx: SimContext, arn: string): Record<string, string> {
  const group = ctx.store.get<ScheduleGroupResource>('schedule-group', arn.slice(arn.lastIndexOf('/') + 1));
  return resourceTagContext(group?.arn === arn ? group.tags : undefined);
}

const onSchedule =
  (action: string): Authorizer =>
  (input, ctx) => [{ action: `scheduler:${action}`, resource: scheduleArnOfInput(ctx, input) }];

/** CreateSchedule / UpdateSchedule: the schedule, and passing the target's role to Scheduler. */
const onScheduleWithRole =
  (action: string): Authorizer =>
  (input, ctx) => {
    const target = new InputReader(input, invalid).object('Target');
    return [
      ...onSchedule(action)(input, ctx),
      ...passRole(target?.string('RoleArn'), 'scheduler.amazonaws.com'),
    ];
  };

const onGroupNamed =
  (action: string): Authorizer =>
  (input, ctx) => {
    const arn = groupArn(ctx, new InputReader(input, invalid).string('Name') ?? '');
    return [{ action: `scheduler:${action}`, resource: arn, context: groupTags(ctx, arn) }];
  };

const onTaggedArn =
  (action: string, extra: (reader: InputReader) => Record<string, string | string[]>): Authorizer =>
  (input, ctx) => {
    const reader = new InputReader(input, invalid);
    const arn = reader.string('ResourceArn') ?? '';
    return [
      { action: `scheduler:${action}`, resource: arn, context: { ...groupTags(ctx, arn), ...extra(reader) } },
    ];
  };

const onAnyResource =
  (action: string): Authorizer =>
  () => [{ action: `scheduler:${action}`, resource: '*' }];

function createScheduleGroupRequests(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const reader = new InputReader(input, invalid);
  const arn = groupArn(ctx, reader.string('Name') ?? '');
  const tags = reader.tagList('Tags');
  const requested = requestTagContext(tags);
  return [
    { action: 'scheduler:CreateScheduleGroup', resource: arn, context: requested },
    ...(Object.keys(tags).length > 0
      ? [{ action: 'scheduler:TagResource', resource: arn, context: requested }]
      : []),
  ];
}

const schedulerAuthorizers: Record<string, Authorizer> = {
  CreateSchedule: onScheduleWithRole('CreateSchedule'),
  GetSchedule: onSchedule('GetSchedule'),
  UpdateSchedule: onScheduleWithRole('UpdateSchedule'),
  DeleteSchedule: onSchedule('DeleteSchedule'),
  ListSchedules: onAnyResource('ListSchedules'),
  CreateScheduleGroup: createScheduleGroupRequests,
  GetScheduleGroup: onGroupNamed('GetScheduleGroup'),
  // Deleting a group deletes its schedules, which is authorised as DeleteSchedule on each of them.
  DeleteScheduleGroup: (input, ctx) => {
    const name = new InputReader(input, invalid).string('Name') ?? '';
    const schedules = ctx.store.list<ScheduleResource>('schedule').filter((s) => s.groupName === name);
    return [
      ...onGroupNamed('DeleteScheduleGroup')(input, ctx),
      ...schedules.map((schedule) => ({ action: 'scheduler:DeleteSchedule', resource: schedule.arn })),
    ];
  },
  ListScheduleGroups: onAnyResource('ListScheduleGroups'),
  ListTagsForResource: onTaggedArn('ListTagsForResource', () => ({})),
  TagResource: onTaggedArn('TagResource', (reader) => requestTagContext(reader.tagList('Tags'))),
  UntagResource: onTaggedArn('UntagResource', (reader): Record<string, string[]> => {
    const keys = reader.strings('TagKeys');
    return keys.length > 0 ? { 'aws:TagKeys': keys } : {};
  }),
};

const GROUP_OPERATIONS = new Set([
  'CreateScheduleGroup',
  'DeleteScheduleGroup',
  'GetScheduleGroup',
  'ListScheduleGroups',
  'ListTagsForResource',
  'TagResource',
  'UntagResource',
]);

export const scheduler: ServiceDefinition = {
  signingName: 'scheduler',
  protocol: 'rest-json',
  routes: [
    { method: 'POST', path: '/schedules/{Name}', operation: 'CreateSchedule' },
    { method: 'GET', path: '/schedules/{Name}', operation: 'GetSchedule' },
    { method: 'PUT', path: '/schedules/{Name}', operation: 'UpdateSchedule' },
    { method: 'DELETE', path: '/schedules/{Name}', operation: 'DeleteSchedule' },
    { method: 'GET', path: '/schedules', operation: 'ListSchedules' },
    { method: 'POST', path: '/schedule-groups/{Name}', operation: 'CreateScheduleGroup' },
    { method: 'GET', path: '/schedule-groups/{Name}', operation: 'GetScheduleGroup' },
    { method: 'DELETE', path: '/schedule-groups/{Name}', operation: 'DeleteScheduleGroup' },
    { method: 'GET', path: '/schedule-groups', operation: 'ListScheduleGroups' },
    { method: 'GET', path: '/tags/{ResourceArn+}', operation: 'ListTagsForResource' },
    { method: 'POST', path: '/tags/{ResourceArn+}', operation: 'TagResource' },
    { method: 'DELETE', path: '/tags/{ResourceArn+}', operation: 'UntagResource' },
  ],
  operations: {
    CreateSchedule: createSchedule,
    GetSchedule: getSchedule,
    UpdateSchedule: updateSchedule,
    DeleteSchedule: deleteSchedule,
    ListSchedules: listSchedules,
    CreateScheduleGroup: createScheduleGroup,
    GetScheduleGroup: getScheduleGroup,
    DeleteScheduleGroup: deleteScheduleGroup,
    ListScheduleGroups: listScheduleGroups,
    ListTagsForResource: listTagsForResource,
    TagResource: tagResource,
    UntagResource: untagResource,
  },
  authorize: schedulerAuthorizers,
  // Scheduler quotas (us-east-1): schedule APIs 1,000 requests per second each; group and tag
  // APIs 10 per second.
  rateLimitCategory: (operation) =>
    GROUP_OPERATIONS.has(operation) ? `group:${operation}` : `schedule:${operation}`,
  rateLimits: {
    default: { burst: 1000, refillPerSecond: 1000 },
    ...Object.fromEntries(
      ['CreateSchedule', 'GetSchedule', 'UpdateSchedule', 'DeleteSchedule', 'ListSchedules'].map(
        (operation) => [`schedule:${operation}`, { burst: 1000, refillPerSecond: 1000 }],
      ),
    ),
    ...Object.fromEntries(
      [...GROUP_OPERATIONS].map((operation) => [`group:${operation}`, { burst: 10, refillPerSecond: 10 }]),
    ),
  },
  throttle: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded.' },
};
