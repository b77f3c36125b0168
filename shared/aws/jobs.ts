/**
 * Every EventBridge Scheduler, SQS and EventBridge Pipes call of berth, and the ECS task calls of
 * jobs: tasks started on a schedule (Scheduler → ECS RunTask), from a queue (SQS → Pipes → ECS
 * RunTask), and their teardown. Tasks started by hand (RunTask through the API) are in tasks.ts.
 *
 * Names are deterministic, so every verb finds its resource without listing (List* calls of these
 * services need Resource '*' in IAM): the schedule group `berth-<envKey>`, the schedule = the job
 * name, the queue and the pipe `berth-<envKey>-<job>`, the dead-letter queue `…-dlq`.
 *
 * Tags: Scheduler schedules cannot be tagged (TagResource takes schedule groups only), so they live
 * in a per-environment group that is tagged, and deleting the group deletes them. Queues, pipes and
 * task definitions carry the environment's tags from their create call; tasks get them through the
 * target's `Tags`.
 *
 * No function here waits: `teardownJobsPass` reports pipes and groups still deleting as blocked.
 */
import { createHash } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  CreatePipeCommand,
  type CreatePipeCommandInput,
  DeletePipeCommand,
  DescribePipeCommand,
  PipesClient,
  UpdatePipeCommand,
} from '@aws-sdk/client-pipes';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleGroupCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { JobOutput } from '../domain/environment';
import { type EnvironmentRef, envKey, names, tagList } from '../domain/naming';
import { required } from '../domain/required';
import type { JobSpec } from '../domain/spec';
import { type Capacity, capacityProviderStrategy, ecsTags, taskOverrides } from './ecs-shapes';
import { errorCode, hasCode } from './errors';
import { stepCalls } from './retry-budget';
import { ensureLogGroup, ensureTaskDefinitionRevision } from './service';
import { stopJobTasks } from './tasks';
import type { Blocker, TeardownProgress } from './teardown';
import { traced } from './tracing';

// The queue URL's host is the Region's SQS endpoint in AWS; elsewhere (AWS_ENDPOINT_URL_SQS) the
// configured endpoint must win, or the SDK would call the host named in the URL. A constant apart, so
// the client below stays droppable (esbuild keeps a pure call whose argument spreads an object).
const sqsConfig = { ...stepCalls, useQueueUrlAsEndpoint: false };

/** Region, credentials and endpoints come from the environment (`AWS_ENDPOINT_URL_SCHEDULER`, `…_SQS`, `…_PIPES`…). */
const defaultClients: JobClients = {
  ecs: /* @__PURE__ */ traced(/* @__PURE__ */ new ECSClient(stepCalls)),
  logs: /* @__PURE__ */ traced(/* @__PURE__ */ new CloudWatchLogsClient(stepCalls)),
  scheduler: /* @__PURE__ */ traced(/* @__PURE__ */ new SchedulerClient(stepCalls)),
  sqs: /* @__PURE__ */ traced(/* @__PURE__ */ new SQSClient(sqsConfig)),
  pipes: /* @__PURE__ */ traced(/* @__PURE__ */ new PipesClient(stepCalls)),
};

/** The SDK clients this module calls; tests pass their own. */
export interface JobClients {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  scheduler: SchedulerClient;
  sqs: SQSClient;
  pipes: PipesClient;
}

export const jobNames = {
  /** One group per environment: schedules are untaggable, the group is tagged and deletes them with it. */
  scheduleGroup: (env: Pick<EnvironmentRef, 'id'>) => `berth-${envKey(env.id)}`,
  queue: (env: Pick<EnvironmentRef, 'id'>, job: string) => `berth-${envKey(env.id)}-${job}`,
  deadLetterQueue: (env: Pick<EnvironmentRef, 'id'>, job: string) => `berth-${envKey(env.id)}-${job}-dlq`,
  pipe: (env: Pick<EnvironmentRef, 'id'>, job: string) => `berth-${envKey(env.id)}-${job}`,
};

/** The task a job runs: a task definition, its container, and what RunTask overrides. */
export interface JobTask {
  taskDefinitionArn: string;
  containerName: string;
  command?: string[];
  /** Task-level size overrides (units and MiB, as strings like ECS answers them). */
  cpu?: string;
  memory?: string;
}

export interface JobTaskOptions {
  capacity: Capacity;
  executionRoleArn: string;
  region: string;
  tags: Record<string, string>;
  /** Task definition ARN per service name (the prepared revisions). */
  serviceTaskDefinitions: Record<string, string>;
}

/** Where a job's tasks run and who starts them. */
export interface JobTargetOptions {
  clusterArn: string;
  clusterName: string;
  task: JobTask;
  /** The application-tier subnets: tasks never run in the public tier. */
  subnetIds: readonly string[];
  securityGroupId: string;
  capacity: Capacity;
  capacityProviderName?: string;
  /** The role Scheduler and Pipes assume to call ecs:RunTask and iam:PassRole. */
  roleArn: string;
  tags: Record<string, string>;
}

/** What the workflow records of a provisioned job (`outputs.jobs`). */
export type JobRecord = JobOutput;

function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

// ---------------------------------------------------------------------------------------------
// Task definitions
// ---------------------------------------------------------------------------------------------

/**
 * The task a job runs. A job with `service` reuses that service's prepared revision (its command
 * goes into RunTask's overrides); a job with `image` gets its own family `<env>-<key>-<job>` and log
 * group. The command is always an override, so changing it needs no new revision.
 */
export async function ensureJobTaskDefinition(
  env: EnvironmentRef,
  job: JobSpec,
  options: JobTaskOptions,
  clients: JobClients = defaultClients,
): Promise<JobTask> {
  const sizes = {
    ...(job.cpu !== undefined ? { cpu: String(job.cpu) } : {}),
    ...(job.memory !== undefined ? { memory: String(job.memory) } : {}),
    ...(job.command !== undefined ? { command: job.command } : {}),
  };
  if (job.service !== undefined) {
    const taskDefinitionArn = options.serviceTaskDefinitions[job.service];
    if (!taskDefinitionArn) throw new Error(`service ${job.service} of job ${job.name} was not prepared`);
    return { taskDefinitionArn, containerName: job.service, ...sizes };
  }
  if (job.image === undefined) throw new Error(`job ${job.name} has neither service nor image`);
  const logGroup = await ensureLogGroup(
    env,
    { name: job.name, logging: { retentionDays: 30 } },
    options.tags,
    clients,
  );
  const taskDefinitionArn = await ensureTaskDefinitionRevision(
    {
      family: names.taskFamily(env, job.name),
      networkMode: 'awsvpc',
      requiresCompatibilities: [options.capacity === 'EC2' ? 'EC2' : 'FARGATE'],
      cpu: String(job.cpu ?? 256),
      memory: String(job.memory ?? 512),
      executionRoleArn: options.executionRoleArn,
      containerDefinitions: [
        {
          name: job.name,
          image: job.image,
          essential: true,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroup,
              'awslogs-region': options.region,
              'awslogs-stream-prefix': job.name,
            },
          },
        },
      ],
    },
    options.tags,
    clients.ecs,
  );
  // The family already has the size: no task-level override needed.
  return {
    taskDefinitionArn,
    containerName: job.name,
    ...(job.command !== undefined ? { command: job.command } : {}),
  };
}

function awsvpc(options: Pick<JobTargetOptions, 'subnetIds' | 'securityGroupId'>) {
  return {
    awsvpcConfiguration: {
      Subnets: [...options.subnetIds],
      SecurityGroups: [options.securityGroupId],
      AssignPublicIp: 'DISABLED' as const,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

/** The environment's schedule group, tagged at creation; answers its name. */
export async function ensureScheduleGroup(
  env: EnvironmentRef,
  tags: Record<string, string>,
  clients: JobClients = defaultClients,
): Promise<string> {
  const name = jobNames.scheduleGroup(env);
  try {
    await clients.scheduler.send(new CreateScheduleGroupCommand({ Name: name, Tags: tagList(tags) }));
  } catch (error) {
    if (!hasCode(error, 'ConflictException')) throw error;
  }
  return name;
}

/**
 * The job's schedule in the environment's group: ECS RunTask in the app subnets with the service
 * security group and no public IP, flexible window off, the spec's time zone. An existing schedule
 * is replaced whole (UpdateSchedule), so a changed spec converges.
 */
export async function ensureSchedule(
  env: EnvironmentRef,
  job: JobSpec,
  options: JobTargetOptions,
  clients: JobClients = defaultClients,
): Promise<{ scheduleArn: string }> {
  if (!('schedule' in job.trigger)) throw new Error(`job ${job.name} has no schedule`);
  const { schedule, timezone } = job.trigger;
  const groupName = await ensureScheduleGroup(env, options.tags, clients);
  const strategy = capacityProviderStrategy(
    options.capacity,
    options.clusterName,
    options.capacityProviderName,
  );
  const input: CreateScheduleCommandInput = {
    Name: job.name,
    GroupName: groupName,
    ScheduleExpression: schedule,
    ...(timezone !== undefined ? { ScheduleExpressionTimezone: timezone } : {}),
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Description: `berth job ${job.name} of ${env.id}`,
    Target: {
      Arn: options.clusterArn,
      RoleArn: options.roleArn,
      // For an ECS target, Scheduler hands Input to RunTask as its overrides.
      Input: JSON.stringify(taskOverrides(options.task)),
      EcsParameters: {
        TaskDefinitionArn: options.task.taskDefinitionArn,
        TaskCount: 1,
        CapacityProviderStrategy: strategy.map(({ capacityProvider, weight, base }) => ({
          capacityProvider,
          ...(weight !== undefined ? { weight } : {}),
          ...(base !== undefined ? { base } : {}),
        })),
        NetworkConfiguration: awsvpc(options),
        Group: `job:${job.name}`,
        // Scheduler takes ECS tags as maps of the RunTask shape, `{ key, value }` each.
        Tags: ecsTags(options.tags).map(({ key = '', value = '' }) => ({ key, value })),
      },
    },
  };
  try {
    const { ScheduleArn } = await clients.scheduler.send(new CreateScheduleCommand(input));
    return { scheduleArn: required(ScheduleArn, 'ScheduleArn') };
  } catch (error) {
    if (!hasCode(error, 'ConflictException')) throw error;
  }
  const { ScheduleArn } = await clients.scheduler.send(new UpdateScheduleCommand(input));
  return { scheduleArn: required(ScheduleArn, 'ScheduleArn') };
}

/** Deletes one schedule of the environment's group; already gone is done. */
export async function deleteSchedule(
  env: EnvironmentRef,
  jobName: string,
  clients: JobClients = defaultClients,
): Promise<void> {
  try {
    await clients.scheduler.send(
      new DeleteScheduleCommand({ Name: jobName, GroupName: jobNames.scheduleGroup(env) }),
    );
  } catch (error) {
    if (!hasCode(error, 'ResourceNotFoundException')) throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Queues and pipes
// ---------------------------------------------------------------------------------------------

/** SQS's VisibilityTimeout when a queue is created without one (CreateQueue, "Attributes"). */
const SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

/** A queue with these attributes, tagged at creation; an existing one gets the attributes set. */
async function ensureQueue(
  name: string,
  attributes: Record<string, string>,
  tags: Record<string, string>,
  sqs: SQSClient,
): Promise<{ queueUrl: string; queueArn: string }> {
  let queueUrl: string;
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags }));
    queueUrl = required(created.QueueUrl, 'QueueUrl');
  } catch (error) {
    // Same name, other attributes (a changed spec): QueueAlreadyExists, which SDK v3 names QueueNameExists.
    if (!hasCode(error, 'QueueNameExists', 'QueueAlreadyExists')) throw error;
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    queueUrl = required(found.QueueUrl, 'QueueUrl');
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: attributes }));
  }
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { queueUrl, queueArn: required(Attributes?.QueueArn, 'QueueArn') };
}

/**
 * The job's queue (and dead-letter queue when `maxReceiveCount` is given) and the pipe that starts
 * one task per message, the message body in `BERTH_JOB_MESSAGE`. A pipe whose definition differs
 * from the wanted one (a fingerprint in its Description) is updated.
 */
export async function ensureQueueJob(
  env: EnvironmentRef,
  job: JobSpec,
  options: JobTargetOptions,
  clients: JobClients = defaultClients,
): Promise<{ queueUrl: string; deadLetterQueueUrl?: string; pipeArn: string }> {
  if (!('queue' in job.trigger)) throw new Error(`job ${job.name} has no queue`);
  const { visibilityTimeoutSeconds, maxReceiveCount } = job.trigger.queue;
  let deadLetter: { queueUrl: string; queueArn: string } | undefined;
  if (maxReceiveCount !== undefined) {
    deadLetter = await ensureQueue(jobNames.deadLetterQueue(env, job.name), {}, options.tags, clients.sqs);
  }
  const attributes: Record<string, string> = {
    // Always sent: an update that drops the field puts the queue back to SQS's default, not the old value.
    VisibilityTimeout: String(visibilityTimeoutSeconds ?? SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS),
    ...(deadLetter
      ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.queueArn, maxReceiveCount }) }
      : {}),
  };
  const queue = await ensureQueue(jobNames.queue(env, job.name), attributes, options.tags, clients.sqs);
  const strategy = capacityProviderStrategy(
    options.capacity,
    options.clusterName,
    options.capacityProviderName,
  );
  const overrides = taskOverrides(options.task);
  const definition: Omit<CreatePipeCommandInput, 'Name' | 'Tags' | 'Description'> = {
    RoleArn: options.roleArn,
    Source: queue.queueArn,
    // One message, one task: a failing message is retried (and dead-lettered) on its own.
    SourceParameters: { SqsQueueParameters: { BatchSize: 1 } },
    Target: options.clusterArn,
    TargetParameters: {
      EcsTaskParameters: {
        TaskDefinitionArn: options.task.taskDefinitionArn,
        TaskCount: 1,
        CapacityProviderStrategy: strategy.map(({ capacityProvider, weight, base }) => ({
          capacityProvider,
          ...(weight !== undefined ? { weight } : {}),
          ...(base !== undefined ? { base } : {}),
        })),
        NetworkConfiguration: awsvpc(options),
        Group: `job:${job.name}`,
        Overrides: {
          ContainerOverrides: [
            {
              Name: options.task.containerName,
              ...(overrides.containerOverrides?.[0]?.command
                ? { Command: overrides.containerOverrides[0].command }
                : {}),
              // A dynamic path: Pipes puts the message body here.
              Environment: [{ name: 'BERTH_JOB_MESSAGE', value: '$.body' }],
            },
          ],
          ...(overrides.cpu !== undefined ? { Cpu: overrides.cpu } : {}),
          ...(overrides.memory !== undefined ? { Memory: overrides.memory } : {}),
        },
        Tags: tagList(options.tags),
      },
    },
  };
  const description = `berth job ${job.name} ${fingerprint(definition)}`;
  const name = jobNames.pipe(env, job.name);
  const existing = await describePipe(name, clients.pipes);
  let pipeArn: string;
  if (!existing) {
    const created = await clients.pipes.send(
      new CreatePipeCommand({
        Name: name,
        Description: description,
        DesiredState: 'RUNNING',
        Tags: options.tags,
        ...definition,
      }),
    );
    pipeArn = required(created.Arn, 'pipe Arn');
  } else if (existing.description !== description) {
    const { Source: _source, ...changeable } = definition;
    // A pipe still CREATING/UPDATING answers ConflictException: the step's retry comes back later.
    const updated = await clients.pipes.send(
      new UpdatePipeCommand({ Name: name, Description: description, DesiredState: 'RUNNING', ...changeable }),
    );
    pipeArn = required(updated.Arn, 'pipe Arn');
  } else {
    pipeArn = existing.arn;
  }
  return {
    queueUrl: queue.queueUrl,
    ...(deadLetter ? { deadLetterQueueUrl: deadLetter.queueUrl } : {}),
    pipeArn,
  };
}

async function describePipe(
  name: string,
  pipes: PipesClient,
): Promise<{ arn: string; state?: string; description?: string } | undefined> {
  try {
    const pipe = await pipes.send(new DescribePipeCommand({ Name: name }));
    return {
      arn: required(pipe.Arn, 'pipe Arn'),
      ...(pipe.CurrentState !== undefined ? { state: pipe.CurrentState } : {}),
      ...(pipe.Description !== undefined ? { description: pipe.Description } : {}),
    };
  } catch (error) {
    if (hasCode(error, 'NotFoundException')) return undefined;
    throw error;
  }
}

/** Starts deleting the pipe; answers whether it still exists (DELETING takes a while). */
async function deletePipe(name: string, pipes: PipesClient): Promise<boolean> {
  const existing = await describePipe(name, pipes);
  if (!existing) return false;
  if (existing.state !== 'DELETING') {
    try {
      await pipes.send(new DeletePipeCommand({ Name: name }));
    } catch (error) {
      // NotFound: gone meanwhile; Conflict: already deleting, or still in a transition.
      if (hasCode(error, 'NotFoundException')) return false;
      if (!hasCode(error, 'ConflictException')) throw error;
    }
  }
  return true;
}

async function deleteQueue(name: string, sqs: SQSClient): Promise<void> {
  let queueUrl: string | undefined;
  try {
    ({ QueueUrl: queueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  } catch (error) {
    if (hasCode(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) return;
    throw error;
  }
  if (!queueUrl) return;
  try {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  } catch (error) {
    if (!hasCode(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) throw error;
  }
}

/** Deletes a job an update dropped: its schedule, or its pipe and queues (the pipe, DELETING, polls no more). */
export async function removeJob(
  env: EnvironmentRef,
  record: Pick<JobRecord, 'name' | 'trigger'>,
  clients: JobClients = defaultClients,
): Promise<void> {
  if (record.trigger === 'schedule') {
    await deleteSchedule(env, record.name, clients);
    return;
  }
  await deletePipe(jobNames.pipe(env, record.name), clients.pipes);
  await deleteQueue(jobNames.queue(env, record.name), clients.sqs);
  await deleteQueue(jobNames.deadLetterQueue(env, record.name), clients.sqs);
}

// ---------------------------------------------------------------------------------------------
// Teardown
// ---------------------------------------------------------------------------------------------

/**
 * One teardown pass of the environment's jobs (`jobNames`: every job the spec or the records name):
 * the schedule group (with its schedules), the pipes, then — once each pipe is gone — its queues, and
 * the running job tasks. A group or pipe still deleting blocks; nothing waits.
 */
export async function teardownJobsPass(
  env: EnvironmentRef,
  jobs: readonly string[],
  clusterName?: string,
  clients: JobClients = defaultClients,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  const groupName = jobNames.scheduleGroup(env);
  try {
    const group = await clients.scheduler.send(new GetScheduleGroupCommand({ Name: groupName }));
    if (group.State !== 'DELETING') {
      await clients.scheduler.send(new DeleteScheduleGroupCommand({ Name: groupName }));
    }
    blocked.push({
      resource: group.Arn ?? groupName,
      code: 'ScheduleGroupDeleting',
      message: 'the schedule group is being deleted',
    });
  } catch (error) {
    if (!hasCode(error, 'ResourceNotFoundException')) throw error;
  }
  for (const job of new Set(jobs)) {
    const pipeName = jobNames.pipe(env, job);
    if (await deletePipe(pipeName, clients.pipes)) {
      blocked.push({ resource: pipeName, code: 'PipeDeleting', message: 'the pipe is being deleted' });
      // The pipe still reads its queue: the queues go in a later pass.
      continue;
    }
    await deleteQueue(jobNames.queue(env, job), clients.sqs);
    await deleteQueue(jobNames.deadLetterQueue(env, job), clients.sqs);
  }
  if (clusterName !== undefined) {
    try {
      await stopJobTasks(clusterName, names.taskFamily(env, ''), clients.ecs);
    } catch (error) {
      if (errorCode(error) !== 'ClusterNotFoundException') throw error;
    }
  }
  return { done: blocked.length === 0, blocked };
}
