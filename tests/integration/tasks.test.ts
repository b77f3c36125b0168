import {
  listTasks,
  type RunTaskCall,
  runTasks,
  type TaskDependencies,
  type TaskRunner,
  type TaskSummaryView,
} from '../../shared/app/tasks';
import { environmentRequestSchema } from '../../shared/domain/spec';
import type { Status } from '../../shared/domain/status';
import type { OneOffAmounts } from '../../shared/domain/usage';
import type { Caller } from '../../shared/http/identity';
import { STATUS_OF } from '../../shared/http/problem';
import { EnvironmentStore } from '../../shared/store/environments';
import { newEnvironmentId } from '../../shared/store/ids';
import { QuotaStore } from '../../shared/store/quotas';
import { memberOf } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { rejection } from '../support/recording-workflows';

class RecordingTasks implements TaskRunner {
  readonly runs: RunTaskCall[] = [];
  readonly listings: { clusterName: string; familyPrefix: string }[] = [];
  /** What ECS reports running per cluster (one-off tasks and their vCPUs); nothing by default. */
  readonly running = new Map<string, OneOffAmounts>();

  async run(call: RunTaskCall): Promise<TaskSummaryView[]> {
    this.runs.push(call);
    return Array.from({ length: call.count }, (_, index) => ({
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/${call.clusterName}/${index}`,
      group: call.group,
      lastStatus: 'PROVISIONING',
    }));
  }

  async listRecent(clusterName: string, familyPrefix: string): Promise<TaskSummaryView[]> {
    this.listings.push({ clusterName, familyPrefix });
    return [{ taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/1', lastStatus: 'STOPPED', exitCode: 1 }];
  }

  async countRunning(clusterName: string): Promise<OneOffAmounts> {
    return this.running.get(clusterName) ?? { oneOffTasks: 0, oneOffVcpus: 0 };
  }
}

const store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
let tasks: RecordingTasks;
let deps: TaskDependencies;
let counter = 0;

beforeEach(() => {
  tasks = new RecordingTasks();
  deps = { store, tasks };
});

const RUNTIME = {
  network: { subnets: { app: ['subnet-a', 'subnet-b'] }, securityGroups: { service: 'sg-service' } },
  loadBalancer: { arn: 'arn:lb' },
  cluster: { clusterName: 'batch-cluster', clusterArn: 'arn:cluster' },
};

/** An environment of a team of its own, as the workflow leaves it in `status`. */
async function environmentIn(
  status: Status,
  options: { team?: string; clusterName?: string; name?: string } = {},
): Promise<{ id: string; caller: Caller; team: string }> {
  counter += 1;
  const team = options.team ?? `tasks${process.pid}-${Date.now().toString(36)}-${counter}`;
  const runtime = {
    ...RUNTIME,
    cluster: { ...RUNTIME.cluster, clusterName: options.clusterName ?? 'batch-cluster' },
  };
  const spec = environmentRequestSchema.parse({
    name: options.name ?? 'batch',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
    jobs: [
      {
        name: 'nightly',
        service: 'web',
        command: ['report'],
        cpu: 512,
        memory: 1024,
        trigger: { schedule: 'rate(1 day)' },
      },
      { name: 'resize', image: 'example/resizer:1', trigger: { queue: {} } },
    ],
  });
  const now = new Date();
  const id = newEnvironmentId(now.getTime());
  await store.create({
    environment: {
      id,
      team,
      name: spec.name,
      createdBy: 'alice',
      spec,
      status,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      progress: { percent: 100, completedSteps: [] },
      resources: {},
      outputs: {},
      ...(status === 'PROVISIONING' ? {} : { runtime }),
    },
    requestHash: id,
  });
  return { id, team, caller: memberOf(team) };
}

describe('runTasks', () => {
  it("runs a job's task with its command and size in the app subnets, tagged with the environment", async () => {
    const { id, caller, team } = await environmentIn('READY');

    const started = await runTasks(deps, caller, id, { job: 'nightly', count: 2 });

    expect(started).toHaveLength(2);
    expect(tasks.runs).toEqual([
      expect.objectContaining({
        clusterName: 'batch-cluster',
        taskDefinition: expect.stringMatching(/^batch-[0-9a-z]{8}-web$/),
        containerName: 'web',
        command: ['report'],
        cpu: '512',
        memory: '1024',
        count: 2,
        subnetIds: ['subnet-a', 'subnet-b'],
        securityGroupId: 'sg-service',
        group: 'job:nightly',
        tags: expect.objectContaining({ 'berth:environment': id, 'berth:team': team }),
      }),
    ]);
  });

  it("runs a copy of a service's task with the caller's command", async () => {
    const { id, caller } = await environmentIn('UPDATE_FAILED');

    await runTasks(deps, caller, id, { service: 'web', command: ['migrate'] });

    expect(tasks.runs[0]).toMatchObject({
      containerName: 'web',
      command: ['migrate'],
      count: 1,
      group: 'run:web',
    });
  });

  it('answers 404 for another team exactly as for a missing environment', async () => {
    const { id } = await environmentIn('READY');
    const stranger: Caller = memberOf('other-team', 'mallory');

    const foreign = await rejection(runTasks(deps, stranger, id, { job: 'nightly' }));
    const missing = await rejection(
      runTasks(deps, stranger, 'env-01jd0000000000000000000000', { job: 'nightly' }),
    );

    expect(foreign.kind).toBe('not-found');
    expect(foreign.detail).toBe(missing.detail);
    expect(tasks.runs).toEqual([]);
  });

  it('answers 409 while the environment is still provisioning', async () => {
    const { id, caller } = await environmentIn('PROVISIONING');

    const error = await rejection(runTasks(deps, caller, id, { job: 'nightly' }));

    expect(error.kind).toBe('conflict');
    expect(tasks.runs).toEqual([]);
  });

  it('answers 400 naming the field for an unknown job or service', async () => {
    const { id, caller } = await environmentIn('READY');

    const job = await rejection(runTasks(deps, caller, id, { job: 'nope' }));
    const service = await rejection(runTasks(deps, caller, id, { service: 'nope' }));

    expect([job.kind, job.errors?.[0]?.path]).toEqual(['bad-request', '/job']);
    expect([service.kind, service.errors?.[0]?.path]).toEqual(['bad-request', '/service']);
  });

  it('answers 400 for both service and job, or a count above 10', async () => {
    const { id, caller } = await environmentIn('READY');

    const both = await rejection(runTasks(deps, caller, id, { job: 'nightly', service: 'web' }));
    const many = await rejection(runTasks(deps, caller, id, { job: 'nightly', count: 11 }));

    expect(both.errors?.[0]?.path).toBe('/service');
    expect(many.errors?.[0]?.path).toBe('/count');
  });

  it('sends the same client token for the same Idempotency-Key, so a retry starts no second task', async () => {
    const { id, caller } = await environmentIn('READY');

    await runTasks(deps, caller, id, { job: 'resize' }, { idempotencyKey: 'retry-me' });
    await runTasks(deps, caller, id, { job: 'resize' }, { idempotencyKey: 'retry-me' });
    await runTasks(deps, caller, id, { job: 'resize' });

    const [first, second, third] = tasks.runs.map((run) => run.clientToken);
    expect(first).toBe(second);
    expect(third).not.toBe(first);
    expect(first?.length).toBeLessThanOrEqual(64);
  });
});

describe('runTasks against the team quota for one-off tasks', () => {
  const quotas = {
    store: new QuotaStore(testDocumentClient(), TEST_TABLE),
    defaults: {
      environments: 10,
      tasks: 50,
      natGateways: 6,
      ec2Instances: 20,
      oneOffTasks: 4,
      oneOffVcpus: 2,
    },
  };

  it("refuses with 429 naming quota.oneOffTasks when the team's running one-off tasks leave no room, and starts nothing", async () => {
    const { id, caller, team } = await environmentIn('READY', { clusterName: 'quiet-cluster' });
    // Another of the team's environments already runs three one-off tasks.
    const other = `busy-cluster-${process.pid}-${counter}`;
    await environmentIn('READY', { team, clusterName: other, name: 'batch-two' });
    tasks.running.set(other, { oneOffTasks: 3, oneOffVcpus: 0.75 });

    const error = await rejection(runTasks({ ...deps, quotas }, caller, id, { job: 'resize', count: 2 }));

    expect(error.kind).toBe('quota-exceeded');
    expect(STATUS_OF[error.kind]).toBe(429);
    expect(error.errors).toEqual([{ path: 'quota.oneOffTasks', message: 'limit 4, in use 3' }]);
    expect(error.detail).toContain('oneOffTasks (limit 4, in use 3, needs 2 more)');
    expect(tasks.runs).toEqual([]);
  });

  it('refuses with 429 naming quota.oneOffVcpus when the tasks would take more vCPUs than the team may run', async () => {
    const { id, caller } = await environmentIn('READY');

    // The job runs with cpu 512: three tasks are 1.5 vCPUs, on top of the 1 running.
    tasks.running.set('batch-cluster', { oneOffTasks: 1, oneOffVcpus: 1 });
    const error = await rejection(runTasks({ ...deps, quotas }, caller, id, { job: 'nightly', count: 3 }));

    expect(error.kind).toBe('quota-exceeded');
    expect(error.errors).toEqual([{ path: 'quota.oneOffVcpus', message: 'limit 2, in use 1' }]);
    expect(tasks.runs).toEqual([]);
  });

  it('runs again once the running tasks have ended, and follows an admin override', async () => {
    const { id, caller, team } = await environmentIn('READY');
    tasks.running.set('batch-cluster', { oneOffTasks: 4, oneOffVcpus: 1 });
    await rejection(runTasks({ ...deps, quotas }, caller, id, { job: 'resize' }));

    tasks.running.set('batch-cluster', { oneOffTasks: 0, oneOffVcpus: 0 });
    const started = await runTasks({ ...deps, quotas }, caller, id, { job: 'resize', count: 4 });
    expect(started).toHaveLength(4);

    tasks.running.set('batch-cluster', { oneOffTasks: 4, oneOffVcpus: 1 });
    await quotas.store.putOverrides(team, { oneOffTasks: 8 }, 'admin');
    expect(await runTasks({ ...deps, quotas }, caller, id, { job: 'resize', count: 4 })).toHaveLength(4);
  });
});

describe('listTasks', () => {
  it("lists the environment's tasks by its family prefix in its cluster", async () => {
    const { id, caller } = await environmentIn('READY');

    const listed = await listTasks(deps, caller, id);

    expect(listed).toEqual([expect.objectContaining({ exitCode: 1 })]);
    expect(tasks.listings).toEqual([
      { clusterName: 'batch-cluster', familyPrefix: expect.stringMatching(/^batch-[0-9a-z]{8}-$/) },
    ]);
  });
});
