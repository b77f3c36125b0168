/** shared/aws/jobs.ts against the simulated ECS, EventBridge Scheduler, SQS and EventBridge Pipes. */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { DescribePipeCommand, PipesClient } from '@aws-sdk/client-pipes';
import { GetScheduleCommand, ListTagsForResourceCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ensureCluster, teardownClusterPass } from '../../shared/aws/cluster';
import {
  ensureJobTaskDefinition,
  ensureQueueJob,
  ensureSchedule,
  type JobClients,
  type JobTargetOptions,
  jobNames,
  teardownJobsPass,
} from '../../shared/aws/jobs';
import { ensureLogGroup, registerTaskDefinition, teardownServicesPass } from '../../shared/aws/service';
import { countRunningOneOffTasks, listRecentTasks, runTask } from '../../shared/aws/tasks';
import { type EnvironmentRef, names, TAG_ENVIRONMENT } from '../../shared/domain/naming';
import type { EnvironmentSpec, JobSpec } from '../../shared/domain/spec';
import {
  EXECUTION_ROLE_ARN,
  environment,
  eventually,
  parseSpec,
  passUntilDone,
  REGION,
  type SimulatedAws,
  startSimulatedAws,
  tagsOf,
} from './ecs-fixture';

const JOBS_ROLE_ARN = 'arn:aws:iam::000000000000:role/berth-test-jobs';

let aws: SimulatedAws;
let clients: JobClients;

beforeAll(async () => {
  aws = await startSimulatedAws(13);
  const config = {
    endpoint: aws.running.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  clients = {
    ecs: aws.clients.ecs,
    logs: aws.clients.logs,
    scheduler: new SchedulerClient(config),
    sqs: new SQSClient(config),
    pipes: new PipesClient(config),
  };
});

afterAll(async () => {
  clients.scheduler.destroy();
  clients.sqs.destroy();
  clients.pipes.destroy();
  await aws.close();
});

interface Deployed {
  env: EnvironmentRef;
  spec: EnvironmentSpec;
  clusterArn: string;
  clusterName: string;
  serviceTaskDefinitionArn: string;
}

/** A Fargate cluster and the `api` service's task definition, as provisioning leaves them before jobs. */
async function deploy(envId: string, jobs: Record<string, unknown>[]): Promise<Deployed> {
  const env = environment(envId);
  const spec = parseSpec({ jobs: jobs as EnvironmentSpec['jobs'] });
  const tags = tagsOf(env);
  const { clusterArn, clusterName } = await ensureCluster(env, spec.cluster, tags, aws.clients);
  const [service] = spec.services;
  if (!service) throw new Error('the spec has no service');
  const logGroup = await ensureLogGroup(env, service, tags, aws.clients);
  const serviceTaskDefinitionArn = await registerTaskDefinition(
    env,
    service,
    { capacity: spec.cluster.capacity, executionRoleArn: EXECUTION_ROLE_ARN, logGroup, region: REGION, tags },
    aws.clients,
  );
  return { env, spec, clusterArn, clusterName, serviceTaskDefinitionArn };
}

function job(spec: EnvironmentSpec, name: string): JobSpec {
  const found = spec.jobs.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no job ${name}`);
  return found;
}

async function target(deployed: Deployed, jobSpec: JobSpec): Promise<JobTargetOptions> {
  const tags = tagsOf(deployed.env);
  const task = await ensureJobTaskDefinition(
    deployed.env,
    jobSpec,
    {
      capacity: deployed.spec.cluster.capacity,
      executionRoleArn: EXECUTION_ROLE_ARN,
      region: REGION,
      tags,
      serviceTaskDefinitions: { api: deployed.serviceTaskDefinitionArn },
    },
    clients,
  );
  return {
    clusterArn: deployed.clusterArn,
    clusterName: deployed.clusterName,
    task,
    subnetIds: aws.network.subnetIds,
    securityGroupId: aws.network.securityGroupId,
    capacity: deployed.spec.cluster.capacity,
    roleArn: JOBS_ROLE_ARN,
    tags,
  };
}

describe('ensureSchedule', () => {
  it('puts the schedule in a tagged group, targeting RunTask in the app subnets without public IP', async () => {
    const deployed = await deploy('env-01J0000000000000000000JOB1', [
      {
        name: 'nightly',
        service: 'api',
        command: ['npm', 'run', 'report'],
        trigger: { schedule: 'cron(0 3 * * ? *)', timezone: 'Europe/Paris' },
      },
    ]);
    const options = await target(deployed, job(deployed.spec, 'nightly'));

    const { scheduleArn } = await ensureSchedule(
      deployed.env,
      job(deployed.spec, 'nightly'),
      options,
      clients,
    );
    const again = await ensureSchedule(deployed.env, job(deployed.spec, 'nightly'), options, clients);

    expect(again.scheduleArn).toBe(scheduleArn);
    const groupName = jobNames.scheduleGroup(deployed.env);
    const schedule = await clients.scheduler.send(
      new GetScheduleCommand({ Name: 'nightly', GroupName: groupName }),
    );
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: deployed.clusterArn,
        RoleArn: JOBS_ROLE_ARN,
        EcsParameters: {
          TaskDefinitionArn: deployed.serviceTaskDefinitionArn,
          NetworkConfiguration: {
            awsvpcConfiguration: {
              Subnets: aws.network.subnetIds,
              SecurityGroups: [aws.network.securityGroupId],
              AssignPublicIp: 'DISABLED',
            },
          },
        },
      },
    });
    expect(JSON.parse(schedule.Target?.Input ?? '{}')).toEqual({
      containerOverrides: [{ name: 'api', command: ['npm', 'run', 'report'] }],
    });
    const groupArn = scheduleArn.replace(/:schedule\/([^/]+)\/.*$/, ':schedule-group/$1');
    const { Tags = [] } = await clients.scheduler.send(
      new ListTagsForResourceCommand({ ResourceArn: groupArn }),
    );
    expect(Tags).toContainEqual({ Key: TAG_ENVIRONMENT, Value: deployed.env.id });
  });
});

describe('ensureQueueJob', () => {
  it('creates a tagged queue with a dead-letter queue and a tagged pipe to RunTask, and run twice changes nothing', async () => {
    const deployed = await deploy('env-01J0000000000000000000JOB2', [
      {
        name: 'resize',
        image: 'example/resizer:1.0',
        trigger: { queue: { visibilityTimeoutSeconds: 300, maxReceiveCount: 5 } },
      },
    ]);
    const resize = job(deployed.spec, 'resize');
    const options = await target(deployed, resize);

    const first = await ensureQueueJob(deployed.env, resize, options, clients);
    const second = await ensureQueueJob(deployed.env, resize, options, clients);

    expect(second).toEqual(first);
    expect(options.task.taskDefinitionArn).toContain(
      `:task-definition/${names.taskFamily(deployed.env, 'resize')}:`,
    );
    const { Tags } = await clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: first.queueUrl }));
    expect(Tags).toMatchObject({ [TAG_ENVIRONMENT]: deployed.env.id, 'cost-center': 'cc-42' });
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: first.queueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes.VisibilityTimeout).toBe('300');
    expect(JSON.parse(Attributes.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 5 });
    const pipe = await clients.pipes.send(
      new DescribePipeCommand({ Name: jobNames.pipe(deployed.env, 'resize') }),
    );
    expect(pipe).toMatchObject({
      Source: Attributes.QueueArn,
      Target: deployed.clusterArn,
      Tags: expect.objectContaining({ [TAG_ENVIRONMENT]: deployed.env.id }),
      TargetParameters: {
        EcsTaskParameters: expect.objectContaining({
          TaskDefinitionArn: options.task.taskDefinitionArn,
          NetworkConfiguration: {
            awsvpcConfiguration: expect.objectContaining({ AssignPublicIp: 'DISABLED' }),
          },
        }),
      },
    });
  });
});

describe('ensureQueueJob on an update', () => {
  it('puts the visibility timeout back to SQS’s default when the spec drops it', async () => {
    // Prepare
    const deployed = await deploy('env-01J0000000000000000000JOB4', [
      { name: 'resize', image: 'example/resizer:1.0', trigger: { queue: { visibilityTimeoutSeconds: 300 } } },
    ]);
    const resize = job(deployed.spec, 'resize');
    const { queueUrl } = await ensureQueueJob(deployed.env, resize, await target(deployed, resize), clients);
    const updated: JobSpec = { ...resize, trigger: { queue: {} } };

    // Act
    await ensureQueueJob(deployed.env, updated, await target(deployed, updated), clients);

    // Assess
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Attributes.VisibilityTimeout).toBe('30');
  });
});

describe('runTask and listRecentTasks', () => {
  it('starts tasks, answers the same tasks for the same client token, and lists their exit codes', async () => {
    const deployed = await deploy('env-01J0000000000000000000JOB3', [
      { name: 'broken', image: 'example/fail-always:1', trigger: { queue: {} } },
    ]);
    const options = await target(deployed, job(deployed.spec, 'broken'));
    const request = {
      clusterName: deployed.clusterName,
      taskDefinition: options.task.taskDefinitionArn,
      containerName: 'broken',
      command: ['run'],
      count: 2,
      subnetIds: aws.network.subnetIds,
      securityGroupId: aws.network.securityGroupId,
      capacity: deployed.spec.cluster.capacity,
      clientToken: 'token-1',
      group: 'job:broken',
      tags: tagsOf(deployed.env),
    };

    const tasks = await runTask(request, clients);
    const replay = await runTask(request, clients);

    expect(tasks).toHaveLength(2);
    expect(replay.map((task) => task.taskArn).sort()).toEqual(tasks.map((task) => task.taskArn).sort());
    const listed = await eventually(async () => {
      const recent = await listRecentTasks(deployed.clusterName, names.taskFamily(deployed.env, ''), clients);
      return recent.every((task) => task.lastStatus === 'STOPPED') ? recent : undefined;
    });
    expect(listed).toHaveLength(2);
    for (const task of listed) expect(task).toMatchObject({ group: 'job:broken', exitCode: 1 });
  });

  it('leaves service tasks (group service:<name>) out of the listing', async () => {
    const deployed = await deploy('env-01J0000000000000000000JOB4', []);
    const run = (group: string, clientToken: string) =>
      runTask(
        {
          clusterName: deployed.clusterName,
          taskDefinition: deployed.serviceTaskDefinitionArn,
          containerName: 'api',
          count: 1,
          subnetIds: aws.network.subnetIds,
          securityGroupId: aws.network.securityGroupId,
          capacity: 'FARGATE',
          clientToken,
          group,
          tags: tagsOf(deployed.env),
        },
        clients,
      );
    await run('service:api', 'service-like');
    const [oneOff] = await run('run:api', 'one-off');

    const listed = await listRecentTasks(deployed.clusterName, names.taskFamily(deployed.env, ''), clients);

    expect(listed.map((task) => task.taskArn)).toEqual([oneOff?.taskArn]);
  });
});

describe('countRunningOneOffTasks', () => {
  it("counts the one-off and job tasks not yet stopped and their vCPUs, not a service's; tasks that ended on their own no longer count", async () => {
    // Prepare
    const deployed = await deploy('env-01J0000000000000000000JOB5', [
      { name: 'broken', image: 'example/fail-always:1', trigger: { queue: {} } },
    ]);
    const broken = await target(deployed, job(deployed.spec, 'broken'));
    const common = {
      subnetIds: aws.network.subnetIds,
      securityGroupId: aws.network.securityGroupId,
      capacity: 'FARGATE' as const,
      clusterName: deployed.clusterName,
      tags: tagsOf(deployed.env),
    };
    await runTask(
      {
        ...common,
        taskDefinition: deployed.serviceTaskDefinitionArn,
        containerName: 'api',
        count: 2,
        clientToken: 'count-api',
        group: 'run:api',
      },
      clients,
    );
    const [failing] = await runTask(
      {
        ...common,
        taskDefinition: broken.task.taskDefinitionArn,
        containerName: 'broken',
        count: 1,
        clientToken: 'count-broken',
        group: 'job:broken',
      },
      clients,
    );

    // A job task as Scheduler or a pipe starts it (not startedBy berth), and a task a service keeps.
    const asScheduled = { cluster: deployed.clusterName, launchType: 'FARGATE' as const, count: 1 };
    const network = {
      awsvpcConfiguration: {
        subnets: [...aws.network.subnetIds],
        securityGroups: [aws.network.securityGroupId],
      },
    };
    await clients.ecs.send(
      new RunTaskCommand({
        ...asScheduled,
        taskDefinition: broken.task.taskDefinitionArn,
        group: 'job:broken',
        startedBy: 'chronos-schedule',
        networkConfiguration: network,
      }),
    );
    await clients.ecs.send(
      new RunTaskCommand({
        ...asScheduled,
        taskDefinition: deployed.serviceTaskDefinitionArn,
        group: 'service:api',
        startedBy: 'ecs-svc/1234567890123456789',
        networkConfiguration: network,
      }),
    );

    // Act
    const whileRunning = await countRunningOneOffTasks(deployed.clusterName, clients);
    const afterwards = await eventually(async () => {
      const recent = await listRecentTasks(deployed.clusterName, names.taskFamily(deployed.env, ''), clients);
      const ended = recent.length === 4 && recent.every((task) => task.lastStatus === 'STOPPED');
      return ended ? countRunningOneOffTasks(deployed.clusterName, clients) : undefined;
    });

    // Assess: four tasks of cpu 256 (two one-off, two of the failing job) are 1 vCPU; the service's task
    // does not count; once the others have exited by themselves, nothing counts.
    expect(failing).toBeDefined();
    expect(whileRunning).toEqual({ oneOffTasks: 4, oneOffVcpus: 1 });
    expect(afterwards).toEqual({ oneOffTasks: 0, oneOffVcpus: 0 });
  });

  it('counts nothing in a cluster that is gone', async () => {
    expect(await countRunningOneOffTasks('berth-no-such-cluster', clients)).toEqual({
      oneOffTasks: 0,
      oneOffVcpus: 0,
    });
  });
});

describe('teardownJobsPass', () => {
  it('deletes the schedule group, waits out the pipes, deletes the queues and stops job tasks: nothing tagged is left', async () => {
    const deployed = await deploy('env-01J0000000000000000000JOB5', [
      { name: 'hourly', image: 'example/tick:1', trigger: { schedule: 'rate(1 hour)' } },
      { name: 'inbox', service: 'api', trigger: { queue: { maxReceiveCount: 3 } } },
    ]);
    for (const jobSpec of deployed.spec.jobs) {
      const options = await target(deployed, jobSpec);
      if ('schedule' in jobSpec.trigger) await ensureSchedule(deployed.env, jobSpec, options, clients);
      else await ensureQueueJob(deployed.env, jobSpec, options, clients);
    }
    const hourly = await target(deployed, job(deployed.spec, 'hourly'));
    await runTask(
      {
        clusterName: deployed.clusterName,
        taskDefinition: hourly.task.taskDefinitionArn,
        containerName: 'hourly',
        count: 1,
        subnetIds: aws.network.subnetIds,
        securityGroupId: aws.network.securityGroupId,
        capacity: 'FARGATE',
        clientToken: 'teardown-1',
        group: 'job:hourly',
        tags: tagsOf(deployed.env),
      },
      clients,
    );
    const { env, clusterName } = deployed;
    const jobs = deployed.spec.jobs.map((jobSpec) => jobSpec.name);

    const passes = await passUntilDone(() => teardownJobsPass(env, jobs, clusterName, clients));
    await passUntilDone(() => teardownServicesPass(env, clusterName, aws.clients));
    await passUntilDone(() => teardownClusterPass(env.id, clusterName, aws.clients));

    expect(passes[0]?.blocked.map((blocker) => blocker.code).sort()).toEqual([
      'PipeDeleting',
      'ScheduleGroupDeleting',
    ]);
    const tagged = aws.tagged(env.id);
    for (const type of ['schedule-group', 'sqs-queue', 'pipe', 'ecs-task', 'log-group']) {
      expect([type, tagged[type] ?? []]).toEqual([type, []]);
    }
    for (const type of ['ecs-cluster', 'ecs-task-definition']) {
      const live = (tagged[type] ?? []).filter((resource) => resource.status !== 'INACTIVE');
      expect([type, live]).toEqual([type, []]);
    }
  });
});
