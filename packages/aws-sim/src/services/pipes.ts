/**
 * Simulated Amazon EventBridge Pipes (rest-json): SQS-sourced pipes whose target is an ECS cluster
 * (RunTask), the shape berth uses for queue-triggered jobs.
 *
 * Behaviour kept from AWS:
 * - A pipe's state moves through CREATING / UPDATING / STARTING / STOPPING / DELETING for the
 *   latency model's `pipeTransition`, computed from the clock on read (no timers), then settles on
 *   its DesiredState (RUNNING or STOPPED); a deleted pipe is gone after DELETING.
 * - Creation succeeds even when the source queue does not exist; the pipe then ends CREATE_FAILED
 *   with a StateReason, as AWS reports source problems after the call. So does a pipe whose role may
 *   not `sqs:ReceiveMessage` on the queue, with Pipes' own StateReason; an update ends UPDATE_FAILED
 *   and a start START_FAILED for the same reasons (docs/aws-facts.md#iam-for-scheduler-and-pipes).
 * - Changing a pipe in a transitional state is `ConflictException`.
 * - Tags are given at creation (a map, `Tags`) and answered by DescribePipe.
 *
 * While a pipe is RUNNING it takes its queue's messages in batches (SqsQueueParameters.BatchSize,
 * default 10) whenever a Pipes operation runs. No ECS task is started (the ECS module exports no
 * way to start one yet); each batch is recorded as an invocation, read with `pipeInvocations`.
 * The pipe's role is checked as Pipes uses it: a role the simulator knows that may not receive from
 * the queue leaves the messages there; one that may not `ecs:RunTask` the task definition in the
 * cluster, tag the tasks (`ecs:TagResource`, when the target names tags) or pass the task
 * definition's roles (`iam:PassRole` to `ecs-tasks.amazonaws.com`) records the invocation with the
 * refusal as its `error`, as Pipes logs a failed target invocation.
 *
 * IAM for the calls (Service Authorization Reference, "Actions, resources, and condition keys for
 * Amazon EventBridge Pipes"): every operation on `pipe/<name>` with its tags, ListPipes on `*`;
 * CreatePipe and UpdatePipe pass `RoleArn` (`iam:PassRole` to `pipes.amazonaws.com`); CreatePipe
 * with `Tags` is also `pipes:TagResource`.
 */
import { type AccessRequest, passRole, requestTagContext, resourceTagContext } from '../iam/access';
import type { Decision } from '../iam/policy';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { drawSeconds } from '../latency';
import { resolveTaskDefinition } from './ecs/task-definitions';
import { epochSeconds, InputReader, paginate } from './operation-input';
import { findQueueByArn, takeMessages } from './sqs';

type FailedState = 'CREATE_FAILED' | 'UPDATE_FAILED' | 'START_FAILED';
type StableState = 'RUNNING' | 'STOPPED' | FailedState;
type TransitionalState = 'CREATING' | 'UPDATING' | 'STARTING' | 'STOPPING' | 'DELETING';

/** One batch handed to the target. */
export interface PipeInvocation {
  /** ISO-8601 simulated time. */
  at: string;
  messageIds: string[];
  bodies: string[];
  /** What RunTask would have been called with. */
  cluster: string;
  taskDefinitionArn?: string;
  taskCount: number;
  /** The pipe's role was refused what invoking the target takes (no task would have started). */
  error?: { errorCode: 'AccessDeniedException'; action: string; resource: string; reason: string };
}

export interface PipeResource extends SimResource {
  type: 'pipe';
  /** The pipe name. */
  id: string;
  arn: string;
  definition: PipeDefinition;
  desiredState: 'RUNNING' | 'STOPPED';
  /** The state being moved through, and when it ends. */
  transition?: { state: TransitionalState; until: number };
  /** The pipe failed (a missing source, a role that may not read it) and why: its StateReason. */
  failure?: { state: FailedState; reason: string };
  lastModifiedAt: number;
  invocations: PipeInvocation[];
}

/** The user-supplied part of a pipe, kept as it will be answered. */
interface PipeDefinition {
  Source: string;
  Target: string;
  RoleArn: string;
  Description?: string;
  SourceParameters?: Record<string, unknown>;
  Enrichment?: string;
  EnrichmentParameters?: Record<string, unknown>;
  TargetParameters?: Record<string, unknown>;
  LogConfiguration?: Record<string, unknown>;
  KmsKeyIdentifier?: string;
}

const invalid = (message: string) => new AwsError('ValidationException', message, 400);
const notFound = (name: string) => () =>
  new AwsError('NotFoundException', `Pipe ${name} does not exist.`, 404);
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;
const ECS_CLUSTER = /^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:cluster\/.+$/;

function pipeArn(ctx: SimContext, name: string): string {
  return `arn:aws:pipes:${ctx.region}:${ctx.accountId}:pipe/${name}`;
}

function transitionSeconds(ctx: SimContext): number {
  return drawSeconds(ctx, ctx.latency.pipeTransition ?? [20, 60]);
}

/** The state a pipe reads as now. */
function currentState(ctx: SimContext, pipe: PipeResource): StableState | TransitionalState {
  if (pipe.transition && !ctx.clock.reached(pipe.transition.until)) return pipe.transition.state;
  if (pipe.failure) return pipe.failure.state;
  return pipe.desiredState;
}

function isTransitional(state: string): state is TransitionalState {
  return ['CREATING', 'UPDATING', 'STARTING', 'STOPPING', 'DELETING'].includes(state);
}

function ensureEcsTarget(definition: PipeDefinition): void {
  if (!ECS_CLUSTER.test(definition.Target)) return;
  const ecs = new InputReader(definition.TargetParameters ?? {}, invalid, 'TargetParameters').object(
    'EcsTaskParameters',
  );
  if (!ecs) throw invalid('EcsTaskParameters is required when the target is an Amazon ECS cluster.');
  ecs.requiredString('TaskDefinitionArn');
  const launchType = ecs.string('LaunchType');
  if (launchType !== undefined && !['EC2', 'FARGATE', 'EXTERNAL'].includes(launchType)) {
    throw invalid(`Invalid LaunchType ${launchType}.`);
  }
}

function optionalRecord(reader: InputReader, key: string): Record<string, unknown> | undefined {
  return reader.object(key)?.input;
}

function readDefinition(reader: InputReader, previous?: PipeDefinition): PipeDefinition {
  const source = previous?.Source ?? reader.requiredString('Source');
  const target = reader.string('Target') ?? previous?.Target;
  const roleArn = reader.requiredString('RoleArn');
  if (!target) throw invalid('Target is required.');
  for (const [field, arn] of [
    ['Source', source],
    ['Target', target],
    ['RoleArn', roleArn],
  ] as const) {
    if (!ARN.test(arn)) {
      throw invalid(
        `1 validation error detected: Value '${arn}' at '${field.toLowerCase()}' failed to satisfy constraint: Member must satisfy the ARN pattern`,
      );
    }
  }
  const definition: PipeDefinition = { Source: source, Target: target, RoleArn: roleArn };
  const description = reader.string('Description') ?? previous?.Description;
  if (description !== undefined) definition.Description = description;
  const enrichment = reader.string('Enrichment') ?? previous?.Enrichment;
  if (enrichment) definition.Enrichment = enrichment;
  const kms = reader.string('KmsKeyIdentifier') ?? previous?.KmsKeyIdentifier;
  if (kms) definition.KmsKeyIdentifier = kms;
  for (const key of [
    'SourceParameters',
    'EnrichmentParameters',
    'TargetParameters',
    'LogConfiguration',
  ] as const) {
    const value = optionalRecord(reader, key) ?? previous?.[key];
    if (value) definition[key] = value;
  }
  ensureEcsTarget(definition);
  return definition;
}

function readDesiredState(reader: InputReader, fallback: 'RUNNING' | 'STOPPED'): 'RUNNING' | 'STOPPED' {
  const state = reader.string('DesiredState') ?? fallback;
  if (state !== 'RUNNING' && state !== 'STOPPED') throw invalid(`Invalid DesiredState ${state}.`);
  return state;
}

/** The refusal of a request on the pipe's role, when the simulator knows the role and enforces IAM. */
function roleRefuses(ctx: SimContext, roleArn: string, request: AccessRequest): Decision | undefined {
  if (!ctx.iam.enforce || ctx.iam.roleByArn(roleArn) === undefined) return undefined;
  const decision = ctx.iam.roleAllows(roleArn, request);
  return decision.decision === 'Allow' ? undefined : decision;
}

/**
 * What fails the pipe once creation (or an update or start) ends, if anything: an SQS source that
 * does not exist, or a role that may not receive from it (Pipes checks the source with the role).
 */
function sourceProblem(ctx: SimContext, definition: PipeDefinition): string | undefined {
  const source = definition.Source;
  if (!source.startsWith('arn:aws:sqs:')) return undefined;
  if (!findQueueByArn(ctx, source))
    return `The source queue ${source} does not exist or the role cannot access it.`;
  if (roleRefuses(ctx, definition.RoleArn, { action: 'sqs:ReceiveMessage', resource: source })) {
    return 'Input parameter is invalid from the request due to : The provided customer role does not have permissions to call ReceiveMessage on SQS';
  }
  return undefined;
}

/** What invoking an ECS target takes of the pipe's role: RunTask, tagging the tasks, passing their roles. */
function targetRequests(ctx: SimContext, definition: PipeDefinition): AccessRequest[] {
  const ecs = new InputReader(definition.TargetParameters ?? {}, invalid).object('EcsTaskParameters');
  const reference = ecs?.string('TaskDefinitionArn');
  if (!ECS_CLUSTER.test(definition.Target) || ecs === undefined || reference === undefined) return [];
  const taskDefinition = resolveTaskDefinition(ctx, reference);
  const clusterName = definition.Target.slice(definition.Target.indexOf(':cluster/') + ':cluster/'.length);
  const tags = ecs.tagList('Tags');
  const roleOf = (key: 'taskRoleArn' | 'executionRoleArn') => {
    const role = taskDefinition?.body[key];
    return typeof role === 'string' ? role : undefined;
  };
  return [
    {
      action: 'ecs:RunTask',
      resource: taskDefinition?.arn ?? reference,
      context: { ...resourceTagContext(taskDefinition?.tags), 'ecs:cluster': definition.Target },
    },
    ...(Object.keys(tags).length > 0
      ? [
          {
            action: 'ecs:TagResource',
            resource: `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task/${clusterName}/*`,
            context: { ...requestTagContext(tags), 'ecs:CreateAction': 'RunTask' },
          },
        ]
      : []),
    ...passRole(roleOf('taskRoleArn'), 'ecs-tasks.amazonaws.com'),
    ...passRole(roleOf('executionRoleArn'), 'ecs-tasks.amazonaws.com'),
  ];
}

/** The first target request the pipe's role is refused, as an invocation's `error`. */
function targetError(ctx: SimContext, definition: PipeDefinition): PipeInvocation['error'] {
  for (const request of targetRequests(ctx, definition)) {
    const decision = roleRefuses(ctx, definition.RoleArn, request);
    if (decision) {
      return {
        errorCode: 'AccessDeniedException',
        action: request.action,
        resource: request.resource,
        reason: decision.reason,
      };
    }
  }
  return undefined;
}

/** Hands a RUNNING pipe's waiting messages to its target, one batch per invocation. */
function deliver(ctx: SimContext, pipe: PipeResource): void {
  if (currentState(ctx, pipe) !== 'RUNNING') return;
  const queue = findQueueByArn(ctx, pipe.definition.Source);
  if (!queue) return;
  // A role that may no longer receive leaves the messages in the queue.
  if (roleRefuses(ctx, pipe.definition.RoleArn, { action: 'sqs:ReceiveMessage', resource: queue.arn }))
    return;
  const sqsParameters = new InputReader(pipe.definition.SourceParameters ?? {}, invalid).object(
    'SqsQueueParameters',
  );
  const batchSize = sqsParameters?.number('BatchSize') ?? 10;
  const ecs = new InputReader(pipe.definition.TargetParameters ?? {}, invalid).object('EcsTaskParameters');
  const taskDefinitionArn = ecs?.string('TaskDefinitionArn');
  for (;;) {
    const batch = takeMessages(ctx, queue, batchSize);
    if (batch.length === 0) return;
    const error = targetError(ctx, pipe.definition);
    pipe.invocations.push({
      at: new Date(ctx.clock.now()).toISOString(),
      messageIds: batch.map((message) => message.messageId),
      bodies: batch.map((message) => message.body),
      cluster: pipe.definition.Target,
      ...(taskDefinitionArn !== undefined ? { taskDefinitionArn } : {}),
      taskCount: ecs?.number('TaskCount') ?? 1,
      ...(error ? { error } : {}),
    });
  }
}

/** Lets every live pipe catch up with its queue (called by each Pipes operation). */
export function pollPipes(ctx: SimContext): void {
  for (const pipe of ctx.store.list<PipeResource>('pipe')) deliver(ctx, pipe);
}

/** The batches a pipe has handed to its target, oldest first. */
export function pipeInvocations(ctx: SimContext, name: string): PipeInvocation[] {
  pollPipes(ctx);
  return [...(ctx.store.get<PipeResource>('pipe', name)?.invocations ?? [])];
}

function requirePipe(ctx: SimContext, name: string): PipeResource {
  return ctx.store.require<PipeResource>('pipe', name, notFound(name));
}

/** The answer of Create/Update/Delete/Start/Stop. */
function stateView(
  ctx: SimContext,
  pipe: PipeResource,
  desiredState: string = pipe.desiredState,
): Record<string, unknown> {
  return {
    Arn: pipe.arn,
    Name: pipe.id,
    DesiredState: desiredState,
    CurrentState: currentState(ctx, pipe),
    CreationTime: epochSeconds(pipe.createdAt),
    LastModifiedTime: epochSeconds(pipe.lastModifiedAt),
  };
}

function requireSettled(ctx: SimContext, pipe: PipeResource): void {
  const state = currentState(ctx, pipe);
  if (isTransitional(state)) {
    throw new AwsError(
      'ConflictException',
      `Pipe ${pipe.id} is in state ${state} and cannot be changed now.`,
      409,
    );
  }
}

function createPipe(input: OperationInput, ctx: SimContext): unknown {
  pollPipes(ctx);
  const reader = new InputReader(input, invalid);
  const name = reader.requiredString('Name');
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
    );
  }
  const definition = readDefinition(reader);
  const desiredState = readDesiredState(reader, 'RUNNING');
  if (ctx.store.get<PipeResource>('pipe', name)) {
    throw new AwsError('ConflictException', `Pipe ${name} already exists.`, 409);
  }
  const now = ctx.clock.now();
  const problem = sourceProblem(ctx, definition);
  const pipe = ctx.store.put<PipeResource>({
    type: 'pipe',
    id: name,
    arn: pipeArn(ctx, name),
    tags: reader.stringMap('Tags'),
    createdAt: now,
    lastModifiedAt: now,
    definition,
    desiredState,
    transition: { state: 'CREATING', until: now + transitionSeconds(ctx) * 1000 },
    ...(problem ? { failure: { state: 'CREATE_FAILED' as const, reason: problem } } : {}),
    invocations: [],
  });
  return stateView(ctx, pipe);
}

function describePipe(input: OperationInput, ctx: SimContext): unknown {
  pollPipes(ctx);
  const pipe = requirePipe(ctx, new InputReader(input, invalid).requiredString('Name'));
  const state = currentState(ctx, pipe);
  return {
    Arn: pipe.arn,
    Name: pipe.id,
    ...pipe.definition,
    DesiredState: pipe.desiredState,
    CurrentState: state,
    ...(pipe.failure && state === pipe.failure.state ? { StateReason: pipe.failure.reason } : {}),
    Tags: { ...pipe.tags },
    CreationTime: epochSeconds(pipe.createdAt),
    LastModifiedTime: epochSeconds(pipe.lastModifiedAt),
  };
}

function updatePipe(input: OperationInput, ctx: SimContext): unknown {
  pollPipes(ctx);
  const reader = new InputReader(input, invalid);
  const pipe = requirePipe(ctx, reader.requiredString('Name'));
  requireSettled(ctx, pipe);
  pipe.definition = readDefinition(reader, pipe.definition);
  pipe.desiredState = readDesiredState(reader, pipe.desiredState);
  // An update is checked as a create is; fixing the source or the role clears an earlier failure.
  const problem = sourceProblem(ctx, pipe.definition);
  if (problem) pipe.failure = { state: 'UPDATE_FAILED', reason: problem };
  else delete pipe.failure;
  const now = ctx.clock.now();
  pipe.lastModifiedAt = now;
  pipe.transition = { state: 'UPDATING', until: now + transitionSeconds(ctx) * 1000 };
  return stateView(ctx, pipe);
}

function changeDesiredState(input: OperationInput, ctx: SimContext, desired: 'RUNNING' | 'STOPPED'): unknown {
  pollPipes(ctx);
  const pipe = requirePipe(ctx, new InputReader(input, invalid).requiredString('Name'));
  requireSettled(ctx, pipe);
  // Starting checks the source again; a start does not fix a failed create or update (an update does).
  if (
    desired === 'RUNNING' &&
    pipe.failure?.state !== 'CREATE_FAILED' &&
    pipe.failure?.state !== 'UPDATE_FAILED'
  ) {
    const problem = sourceProblem(ctx, pipe.definition);
    if (problem) pipe.failure = { state: 'START_FAILED', reason: problem };
    else delete pipe.failure;
  }
  const now = ctx.clock.now();
  pipe.desiredState = desired;
  pipe.lastModifiedAt = now;
  pipe.transition = {
    state: desired === 'RUNNING' ? 'STARTING' : 'STOPPING',
    until: now + transitionSeconds(ctx) * 1000,
  };
  return stateView(ctx, pipe);
}

function deletePipe(input: OperationInput, ctx: SimContext): unknown {
  pollPipes(ctx);
  const pipe = requirePipe(ctx, new InputReader(input, invalid).requiredString('Name'));
  if (currentState(ctx, pipe) === 'DELETING') {
    throw new AwsError('ConflictException', `Pipe ${pipe.id} is already being deleted.`, 409);
  }
  const now = ctx.clock.now();
  const until = now + transitionSeconds(ctx) * 1000;
  pipe.transition = { state: 'DELETING', until };
  pipe.lastModifiedAt = now;
  pipe.goneAt = until;
  return stateView(ctx, pipe, 'DELETED');
}

function listPipes(input: OperationInput, ctx: SimContext): unknown {
  pollPipes(ctx);
  const reader = new InputReader(input, invalid);
  const prefix = reader.string('NamePrefix') ?? '';
  const desired = reader.string('DesiredState');
  const current = reader.string('CurrentState');
  const sourcePrefix = reader.string('SourcePrefix') ?? '';
  const targetPrefix = reader.string('TargetPrefix') ?? '';
  const pipes = ctx.store
    .list<PipeResource>('pipe')
    .filter(
      (pipe) =>
        pipe.id.startsWith(prefix) &&
        pipe.definition.Source.startsWith(sourcePrefix) &&
        pipe.definition.Target.startsWith(targetPrefix) &&
        (desired === undefined || pipe.desiredState === desired) &&
        (current === undefined || currentState(ctx, pipe) === current),
    );
  const { page, nextToken } = paginate(pipes, reader.string('NextToken'), reader.number('Limit'), invalid);
  return {
    Pipes: page.map((pipe) => {
      const state = currentState(ctx, pipe);
      return {
        Name: pipe.id,
        Arn: pipe.arn,
        DesiredState: pipe.desiredState,
        CurrentState: state,
        ...(pipe.failure && state === pipe.failure.state ? { StateReason: pipe.failure.reason } : {}),
        CreationTime: epochSeconds(pipe.createdAt),
        LastModifiedTime: epochSeconds(pipe.lastModifiedAt),
        Source: pipe.definition.Source,
        Target: pipe.definition.Target,
        ...(pipe.definition.Enrichment ? { Enrichment: pipe.definition.Enrichment } : {}),
      };
    }),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

const pipeArnOfInput = (ctx: SimContext, input: OperationInput) =>
  pipeArn(ctx, new InputReader(input, invalid).string('Name') ?? '');

/** A call on one pipe, with the pipe's tags. */
const onPipe =
  (action: string): Authorizer =>
  (input, ctx) => {
    const arn = pipeArnOfInput(ctx, input);
    const pipe = ctx.store.get<PipeResource>('pipe', arn.slice(arn.lastIndexOf('/') + 1));
    return [{ action: `pipes:${action}`, resource: arn, context: resourceTagContext(pipe?.tags) }];
  };

const pipesAuthorizers: Record<string, Authorizer> = {
  CreatePipe: (input, ctx) => {
    const reader = new InputReader(input, invalid);
    const arn = pipeArnOfInput(ctx, input);
    const tags = reader.stringMap('Tags');
    const requested = requestTagContext(tags);
    return [
      { action: 'pipes:CreatePipe', resource: arn, context: requested },
      ...(Object.keys(tags).length > 0
        ? [{ action: 'pipes:TagResource', resource: arn, context: requested }]
        : []),
      ...passRole(reader.string('RoleArn'), 'pipes.amazonaws.com'),
    ];
  },
  DescribePipe: onPipe('DescribePipe'),
  UpdatePipe: (input, ctx) => [
    ...onPipe('UpdatePipe')(input, ctx),
    ...passRole(new InputReader(input, invalid).string('RoleArn'), 'pipes.amazonaws.com'),
  ],
  DeletePipe: onPipe('DeletePipe'),
  StartPipe: onPipe('StartPipe'),
  StopPipe: onPipe('StopPipe'),
  ListPipes: () => [{ action: 'pipes:ListPipes', resource: '*' }],
};

export const pipes: ServiceDefinition = {
  signingName: 'pipes',
  protocol: 'rest-json',
  routes: [
    { method: 'POST', path: '/v1/pipes/{Name}/start', operation: 'StartPipe' },
    { method: 'POST', path: '/v1/pipes/{Name}/stop', operation: 'StopPipe' },
    { method: 'POST', path: '/v1/pipes/{Name}', operation: 'CreatePipe' },
    { method: 'GET', path: '/v1/pipes/{Name}', operation: 'DescribePipe' },
    { method: 'PUT', path: '/v1/pipes/{Name}', operation: 'UpdatePipe' },
    { method: 'DELETE', path: '/v1/pipes/{Name}', operation: 'DeletePipe' },
    { method: 'GET', path: '/v1/pipes', operation: 'ListPipes' },
  ],
  operations: {
    CreatePipe: createPipe,
    DescribePipe: describePipe,
    UpdatePipe: updatePipe,
    DeletePipe: deletePipe,
    ListPipes: listPipes,
    StartPipe: (input, ctx) => changeDesiredState(input, ctx, 'RUNNING'),
    StopPipe: (input, ctx) => changeDesiredState(input, ctx, 'STOPPED'),
  },
  authorize: pipesAuthorizers,
  // No per-call API rate for Pipes is published; a modest bucket of our choosing, throttled with
  // the model's ThrottlingException (429).
  rateLimits: { default: { burst: 100, refillPerSecond: 20 } },
  throttle: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded.' },
};
