import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { scheduler } from '../src/services/scheduler';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices, waitAwsSeconds } from './simulated-services';

let services: SimulatedServices;
let client: SchedulerClient;

beforeAll(async () => {
  // A deleted group reads DELETING for 300 AWS seconds (0.3 s of wall time) rather than the default
  // 5–15 (5–15 ms), so that a loaded machine cannot miss the window between DELETE and the next GET.
  services = await startServices([scheduler], 7, { scheduleGroupDeleted: [300, 300] });
  client = new SchedulerClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(() => services.running.sim.reset());

function nightlyJob(overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: 'env-1-nightly',
    GroupName: 'berth-env-1',
    ScheduleExpression: 'cron(0 3 * * ? *)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-env-1',
      RoleArn: 'arn:aws:iam::000000000000:role/berth-scheduler',
      EcsParameters: {
        TaskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/nightly:1',
        LaunchType: 'FARGATE',
        NetworkConfiguration: {
          awsvpcConfiguration: { Subnets: ['subnet-0123456789abcdef0'], AssignPublicIp: 'DISABLED' },
        },
      },
    },
    ...overrides,
  };
}

async function createGroup(name = 'berth-env-1'): Promise<string> {
  const created = await client.send(
    new CreateScheduleGroupCommand({ Name: name, Tags: [{ Key: 'berth:environment', Value: 'env-1' }] }),
  );
  return created.ScheduleGroupArn ?? '';
}

describe('schedule groups', () => {
  it('creates a tagged group and reads it back', async () => {
    const arn = await createGroup();

    const group = await client.send(new GetScheduleGroupCommand({ Name: 'berth-env-1' }));
    const tags = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    const listed = await client.send(new ListScheduleGroupsCommand({ NamePrefix: 'berth-' }));

    expect(arn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule-group/berth-env-1');
    expect(group).toMatchObject({ Name: 'berth-env-1', State: 'ACTIVE' });
    expect(tags.Tags).toEqual([{ Key: 'berth:environment', Value: 'env-1' }]);
    expect(listed.ScheduleGroups?.map((item) => item.Name)).toEqual(['berth-env-1']);
  });

  it('deletes a group with its schedules: DELETING, then gone', async () => {
    await createGroup();
    await client.send(new CreateScheduleCommand(nightlyJob()));

    await client.send(new DeleteScheduleGroupCommand({ Name: 'berth-env-1' }));
    const deleting = await client.send(new GetScheduleGroupCommand({ Name: 'berth-env-1' }));
    await waitAwsSeconds(300);

    expect(deleting.State).toBe('DELETING');
    await expect(client.send(new GetScheduleGroupCommand({ Name: 'berth-env-1' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect((await client.send(new ListSchedulesCommand({}))).Schedules).toEqual([]);
  });
});

describe('schedules', () => {
  it('creates a schedule that runs an ECS task and reads it back', async () => {
    await createGroup();

    const created = await client.send(new CreateScheduleCommand(nightlyJob()));
    const schedule = await client.send(
      new GetScheduleCommand({ Name: 'env-1-nightly', GroupName: 'berth-env-1' }),
    );

    expect(created.ScheduleArn).toBe(
      'arn:aws:scheduler:us-east-1:000000000000:schedule/berth-env-1/env-1-nightly',
    );
    expect(schedule).toMatchObject({
      Name: 'env-1-nightly',
      GroupName: 'berth-env-1',
      State: 'ENABLED',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        EcsParameters: { LaunchType: 'FARGATE', TaskDefinitionArn: expect.stringContaining('nightly:1') },
      },
    });
    expect(schedule.CreationDate).toBeInstanceOf(Date);
  });

  it('refuses a duplicate name in the same group with ConflictException', async () => {
    await createGroup();
    await client.send(new CreateScheduleCommand(nightlyJob()));

    await expect(client.send(new CreateScheduleCommand(nightlyJob()))).rejects.toMatchObject({
      name: 'ConflictException',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it.each([
    'rate(0 minutes)',
    'rate(1 hours)',
    'cron(0 3 * * * *)',
    'cron(0 3 * *)',
    'at(2030-02-30T10:00:00)',
    'every day',
  ])('refuses the schedule expression %s', async (expression) => {
    await expect(
      client.send(
        new CreateScheduleCommand(nightlyJob({ GroupName: undefined, ScheduleExpression: expression })),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it.each(['rate(5 minutes)', 'rate(1 day)', 'cron(0/15 * ? * MON-FRI *)', 'at(2030-01-01T10:00:00)'])(
    'accepts the schedule expression %s',
    async (expression) => {
      const created = await client.send(
        new CreateScheduleCommand(nightlyJob({ GroupName: undefined, ScheduleExpression: expression })),
      );

      expect(created.ScheduleArn).toContain('schedule/default/');
    },
  );

  it('requires a group that exists', async () => {
    await expect(client.send(new CreateScheduleCommand(nightlyJob()))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('replaces the definition on update', async () => {
    await createGroup();
    await client.send(new CreateScheduleCommand(nightlyJob()));

    await client.send(
      new UpdateScheduleCommand({
        ...nightlyJob(),
        Name: 'env-1-nightly',
        ScheduleExpression: 'rate(1 hour)',
        State: 'DISABLED',
      }),
    );
    const schedule = await client.send(
      new GetScheduleCommand({ Name: 'env-1-nightly', GroupName: 'berth-env-1' }),
    );

    expect(schedule).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'DISABLED' });
  });

  it('lists by name prefix with pagination', async () => {
    await createGroup();
    for (const name of ['env-1-a', 'env-1-b', 'env-1-c', 'other']) {
      await client.send(new CreateScheduleCommand(nightlyJob({ Name: name })));
    }

    const first = await client.send(new ListSchedulesCommand({ NamePrefix: 'env-1-', MaxResults: 2 }));
    const second = await client.send(
      new ListSchedulesCommand({ NamePrefix: 'env-1-', MaxResults: 2, NextToken: first.NextToken }),
    );

    expect(first.Schedules?.map((item) => item.Name)).toEqual(['env-1-a', 'env-1-b']);
    expect(second.Schedules?.map((item) => item.Name)).toEqual(['env-1-c']);
    expect(second.NextToken).toBeUndefined();
    expect(first.Schedules?.[0]?.Target?.Arn).toBe('arn:aws:ecs:us-east-1:000000000000:cluster/berth-env-1');
  });

  it('deletes a schedule, then answers ResourceNotFoundException', async () => {
    await createGroup();
    await client.send(new CreateScheduleCommand(nightlyJob()));

    await client.send(new DeleteScheduleCommand({ Name: 'env-1-nightly', GroupName: 'berth-env-1' }));

    await expect(
      client.send(new DeleteScheduleCommand({ Name: 'env-1-nightly', GroupName: 'berth-env-1' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('throttles with ThrottlingException (429) past the group API rate', async () => {
    services.running.sim.clock.setScale(1);
    const outcomes = await Promise.all(
      Array.from({ length: 15 }, () =>
        client.send(new ListScheduleGroupsCommand({})).then(
          () => 'ok',
          (error: { name?: string; $metadata?: { httpStatusCode?: number } }) =>
            `${error.name} ${error.$metadata?.httpStatusCode}`,
        ),
      ),
    );
    services.running.sim.clock.setScale(0.001);

    expect(outcomes).toContain('ThrottlingException 429');
  });
});

describe('through the AWS CLI v2', () => {
  it('creates a group and a schedule, and reports a duplicate as ConflictException', async () => {
    const endpoint = services.running.url;
    await awsCli(['scheduler', 'create-schedule-group', '--name', 'berth-env-1'], { endpoint });
    const job = nightlyJob();
    const args = [
      'scheduler',
      'create-schedule',
      '--name',
      'cli-job',
      '--group-name',
      'berth-env-1',
      '--schedule-expression',
      'rate(5 minutes)',
      '--flexible-time-window',
      JSON.stringify(job.FlexibleTimeWindow),
      '--target',
      JSON.stringify(job.Target),
    ];

    const created = await awsCli(args, { endpoint });
    const duplicate = await awsCli(args, { endpoint });
    const got = await awsCli(
      ['scheduler', 'get-schedule', '--name', 'cli-job', '--group-name', 'berth-env-1'],
      { endpoint },
    );

    expect(created.json).toMatchObject({
      ScheduleArn: expect.stringContaining('schedule/berth-env-1/cli-job'),
    });
    expect(duplicate.stderr).toContain('ConflictException');
    expect(got.json).toMatchObject({ Name: 'cli-job', ScheduleExpression: 'rate(5 minutes)' });
  });
});
