/**
 * Jobs through the real workflows: the provisioning, update and teardown ASL on the local Step
 * Functions endpoint, the real step handlers, the simulated Scheduler, SQS, Pipes and ECS.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
});

afterAll(async () => {
  await stack.stop();
});

const team = `jobs${process.pid % 10_000}`;
const caller: Caller = memberOf(team);

async function settled(id: string): Promise<Environment> {
  await stack.settle(id);
  return getEnvironment(stack.deps, caller, id);
}

function count(inventory: Record<string, unknown[]>, type: string): number {
  return inventory[type]?.length ?? 0;
}

describe('an environment with a schedule job and a queue job', () => {
  let ready: Environment;
  let inventory: Record<string, unknown[]>;

  beforeAll(async () => {
    const outcome = await createEnvironment(stack.deps, caller, {
      name: 'batch',
      team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
      jobs: [
        {
          name: 'nightly',
          image: 'example/report:1.0',
          command: ['report', '--yesterday'],
          trigger: { schedule: 'cron(0 3 * * ? *)', timezone: 'Europe/Paris' },
        },
        { name: 'inbox', service: 'web', trigger: { queue: { maxReceiveCount: 3 } } },
      ],
    });
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    ready = await settled(outcome.environment.id);
    inventory = await stack.inventory(ready.id);
  });

  it('reaches READY with the queue URL and the schedule in its outputs', () => {
    expect(ready.status).toBe('READY');
    expect(ready.outputs.jobs).toEqual([
      expect.objectContaining({
        name: 'nightly',
        trigger: 'schedule',
        scheduleArn: expect.stringContaining(':schedule/'),
      }),
      expect.objectContaining({
        name: 'inbox',
        trigger: 'queue',
        queueUrl: expect.stringMatching(/^https:\/\/sqs\..+\/berth-[0-9a-z]{8}-inbox$/),
        deadLetterQueueUrl: expect.stringMatching(/-inbox-dlq$/),
      }),
    ]);
    expect(ready.progress.completedSteps.map((entry) => entry.step)).toContain('create-jobs');
  });

  it('creates a tagged schedule group, the queues and the pipe', () => {
    expect(count(inventory, 'schedule-group')).toBe(1);
    expect(count(inventory, 'sqs-queue')).toBe(2);
    expect(count(inventory, 'pipe')).toBe(1);
  });

  it('removes a job an update drops, and keeps the other', async () => {
    const current = await getEnvironment(stack.deps, caller, ready.id);
    await updateEnvironment(
      stack.deps,
      caller,
      ready.id,
      { jobs: current.spec.jobs.filter((job) => job.name === 'nightly') },
      `"${current.version}"`,
    );

    const updated = await settled(ready.id);
    const after = await stack.inventory(ready.id);

    expect(updated.status).toBe('READY');
    expect(updated.outputs.jobs?.map((job) => job.name)).toEqual(['nightly']);
    expect(count(after, 'sqs-queue')).toBe(0);
    expect(count(after, 'schedule-group')).toBe(1);
  });

  it('tears every job resource down with the environment', async () => {
    await deleteEnvironment(stack.deps, caller, ready.id);

    const deleted = await settled(ready.id);

    expect(deleted.error).toBeUndefined();
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(ready.id)).toEqual({});
  });
});
