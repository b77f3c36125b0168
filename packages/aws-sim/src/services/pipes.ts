/**
 * Simulated Amazon EventBridge Pipes (rest-json): SQS-sourced pipes whose target is an ECS cluster
 * (RunTask), the shape berth uses for queue-triggered jobs.
 *
 * Behaviour kept from AWS:
 * - A pipe's state moves through CREATING / UPDATING / STARTING / STOPPING / DELETING for the
 *   latency model's `pipeTransition`, computed from the clock on read (no timers), then settles on
 *   its DesiredState (RUNNING or STOPPED); a deleted pipe is gone after DELETING.
 * - Creation succeeds even when the source queue does not exist; the pipe then ends CREATE_FAILED
 *   with a StateReason, as AWS reports source problems after the call.
 * - Changing a pipe in a transitional state is `ConflictException`.
 * - Tags are given at creation (a map, `Tags`) and answered by DescribePipe.
 *
 * While a pipe is RUNNING it takes its queue's messages in batches (SqsQueueParameters.BatchSize,
 * default 10) whenever a Pipes operation runs. No ECS task is started (the ECS module exports no
 * way to start one yet); each batch is recorded as an invocation, read with `pipeInvocations`.
 */
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { drawSeconds } from '../latency';
import { epochSeconds, InputReader, paginate } from './operation-input';
import { findQueueByArn, takeMessages } from './sqs';

type StableState = 'RUNNING' | 'STOPPED' | 'CREATE_FAILED';
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
  failureReason?: string;
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
  if (pipe.failureReason) return 'CREATE_FAILED';
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

/** A source that does not exist fails the pipe once creation ends (SQS sources are checked). */
function sourceProblem(ctx: SimContext, source: string): string | undefined {
  if (!source.startsWith('arn:aws:sqs:')) return undefined;
  return findQueueByArn(ctx, source)
    ? undefined
    : `The source queue ${source} does not exist or the role cannot access it.`;
}

/** Hands a RUNNING pipe's waiting messages to its target, one batch per invocation. */
function deliver(ctx: SimContext, pipe: PipeResource): void {
  if (currentState(ctx, pipe) !== 'RUNNING') return;
  const queue = findQueueByArn(ctx, pipe.definition.Source);
  if (!queue) return;
  const sqsParameters = new InputReader(pipe.definition.SourceParameters ?? {}, invalid).object(
    'SqsQueueParameters',
  );
  const batchSize = sqsParameters?.number('BatchSize') ?? 10;
  const ecs = new InputReader(pipe.definition.TargetParameters ?? {}, invalid).object('EcsTaskParameters');
  const taskDefinitionArn = ecs?.string('TaskDefinitionArn');
  for (;;) {
    const batch = takeMessages(ctx, queue, batchSize);
    if (batch.length === 0) return;
    pipe.invocations.push({
      at: new Date(ctx.clock.now()).toISOString(),
      messageIds: batch.map((message) => message.messageId),
      bodies: batch.map((message) => message.body),
      cluster: pipe.definition.Target,
      ...(taskDefinitionArn !== undefined ? { taskDefinitionArn } : {}),
      taskCount: ecs?.number('TaskCount') ?? 1,
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
  const failureReason = sourceProblem(ctx, definition.Source);
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
    ...(failureReason ? { failureReason } : {}),
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
    ...(state === 'CREATE_FAILED' && pipe.failureReason ? { StateReason: pipe.failureReason } : {}),
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
  const now = ctx.clock.now();
  pipe.lastModifiedAt = now;
  pipe.transition = { state: 'UPDATING', until: now + transitionSeconds(ctx) * 1000 };
  return stateView(ctx, pipe);
}

function changeDesiredState(input: OperationInput, ctx: SimContext, desired: 'RUNNING' | 'STOPPED'): unknown {
  pollPipes(ctx);
  const pipe = requirePipe(ctx, new InputReader(input, invalid).requiredString('Name'));
  requireSettled(ctx, pipe);
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
        ...(state === 'CREATE_FAILED' && pipe.failureReason ? { StateReason: pipe.failureReason } : {}),
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
  // No per-call API rate for Pipes is published; a modest bucket of our choosing, throttled with
  // the model's ThrottlingException (429).
  rateLimits: { default: { burst: 100, refillPerSecond: 20 } },
  throttle: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded.' },
};
