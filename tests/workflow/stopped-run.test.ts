/**
 * A DELETE during provisioning stops the provisioning execution, not a step it had already started:
 * that step may create a resource after the teardown's first passes found nothing left. The teardown
 * therefore keeps sweeping until the longest step timeout has gone by (shared/workflow/sweep.ts), so
 * a resource created that late is still found by its tag and deleted.
 */
import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import { environmentTags, tagList } from '../../shared/domain/naming';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

/** Slow enough that the sweep's 120 AWS seconds last 0.6 s of real time, for the test to act within. */
const TIME_SCALE = 0.005;

let stack: WorkflowStack;
let ec2: EC2Client;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: TIME_SCALE });
  ec2 = new EC2Client({
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  ec2.destroy();
  await stack.stop();
});

interface PassOutput {
  ready: boolean;
  waited?: number;
  blocked: { code: string }[];
}

/** The outputs of the teardown execution's passes so far. */
function teardownPasses(executionName: string): PassOutput[] {
  const { engine } = stack.stepFunctions;
  const executionArn = engine.executionArn('berth-test-teardown', executionName);
  const { items } = engine.getExecutionHistory({ executionArn, maxResults: 1000 });
  return items
    .filter((event) => event.type === 'LambdaFunctionSucceeded')
    .map((event) => JSON.parse(String(event.details?.output ?? 'null')) as unknown)
    .filter(
      (output): output is PassOutput => typeof output === 'object' && output !== null && 'blocked' in output,
    );
}

it('deletes a resource a stopped step creates after the teardown first found nothing left', async () => {
  // Prepare: a provisioning run, deleted while it runs.
  const team = `stop${process.pid % 10_000}`;
  const caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'late',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  const { id } = outcome.environment;
  await new Promise((resolve) => setTimeout(resolve, 100));
  await deleteEnvironment(stack.deps, caller, id);
  const teardown = (await stack.store.get(id))?.owner ?? '';

  // Act: once a pass finds nothing of the environment but the sweep still runs, a step of the stopped
  // run "finishes" its create: a VPC with the environment's tags, as create-network makes it.
  for (let attempt = 0; ; attempt += 1) {
    const passes = teardownPasses(teardown);
    const last = passes.at(-1);
    if (last && !last.ready && last.blocked.every((blocker) => blocker.code === 'SweepingAfterStoppedRun'))
      break;
    if (attempt > 2_000) throw new Error('the teardown never reached a pass with only the sweep left');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ref = { id, name: 'late', team };
  await ec2.send(
    new CreateVpcCommand({
      CidrBlock: '10.250.0.0/16',
      TagSpecifications: [{ ResourceType: 'vpc', Tags: tagList(environmentTags(ref, {})) }],
    }),
  );
  await stack.settle(id, 120_000);

  // Assess
  const deleted = await getEnvironment(stack.deps, caller, id);
  expect(deleted.status).toBe('DELETED');
  expect(await stack.inventory(id)).toEqual({});
  const passes = teardownPasses(teardown);
  expect(passes.at(-1)).toMatchObject({ ready: true });
  expect(passes.at(-1)?.waited).toBeGreaterThanOrEqual(120);
});
