/**
 * Progress records of steps running side by side (a Parallel state's branches) on DynamoDB Local: a
 * step that starts while a sibling finishes must not write back a progress it read before the
 * sibling's completion was recorded.
 */
import { createEnvironment } from '../../shared/app/create';
import { EnvironmentStore } from '../../shared/store/environments';
import { defineStep } from '../../shared/workflow/step';
import { memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows } from '../support/recording-workflows';

/** A store whose first update waits until `release` is called: the moment between a step's read and its first write. */
class HeldStore extends EnvironmentStore {
  private held = true;
  private readonly gate: Promise<void>;
  release: () => void = () => undefined;

  constructor() {
    super(testDocumentClient(), TEST_TABLE);
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  override async update(...args: Parameters<EnvironmentStore['update']>) {
    if (this.held) {
      this.held = false;
      await this.gate;
    }
    return super.update(...args);
  }
}

it('keeps a sibling step’s completion when a step starts while the sibling finishes', async () => {
  // Prepare
  const store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
  const team = uniqueTeam();
  const outcome = await createEnvironment({ store, workflows: new RecordingWorkflows() }, memberOf(team), {
    name: 'web',
    team,
    services: [{ name: 'api', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  const { id } = outcome.environment;
  await store.update(id, { status: 'REQUESTED' }, { status: 'PROVISIONING' });
  const event = { environmentId: id, execution: id };
  const sibling = defineStep(
    { name: 'sibling', totalSteps: 2, run: async () => ({ output: 1 }) },
    () => store,
  );
  const held = new HeldStore();
  const late = defineStep({ name: 'late', totalSteps: 2, run: async () => ({ output: 2 }) }, () => held);

  // Act: `late` reads the environment, `sibling` runs and records its finish, then `late` goes on.
  const lateRun = late(event);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await sibling(event);
  held.release();
  await lateRun;

  // Assess
  const progress = (await store.get(id))?.progress;
  expect(progress?.completedSteps.map((entry) => entry.step).sort()).toEqual(['late', 'sibling']);
  expect(progress?.percent).toBe(99);
});
