/**
 * Teardown's log-group deletion as the teardown pass's role (its declared Logs statements) against the
 * simulated AWS, when another pass deletes a group between this pass's reads and its delete: gone, the
 * group has no tags, so the tag-conditioned DeleteLogGroup is refused AccessDeniedException, and the
 * pass counts that as done only once a Describe no longer finds the group
 * (docs/aws-facts.md#deleting-what-is-already-gone-under-a-tag-condition).
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ecs } from '@berth/aws-sim/services/ecs';
import { logs } from '@berth/aws-sim/services/logs';
import { asRole, refusalOf } from '@berth/aws-sim/tests/iam-session';
import { teardownServicesPass } from '../../shared/aws/service';
import { environmentTags, names } from '../../shared/domain/naming';
import { declaredGrants } from './declared-grants';
import { environment, type SimulatedAws, startAws } from './simulated-aws';

const ENV = environment();
const API_GROUP = names.logGroup(ENV, 'api');
const WORKER_GROUP = names.logGroup(ENV, 'worker');

let aws: SimulatedAws;
let operatorLogs: CloudWatchLogsClient;
let operatorEcs: ECSClient;
let teardownLogs: CloudWatchLogsClient;

beforeAll(async () => {
  aws = await startAws([ecs, logs]);
  operatorLogs = new CloudWatchLogsClient(aws.clientConfig);
  operatorEcs = new ECSClient(aws.clientConfig);
});

beforeEach(async () => {
  aws.running.sim.reset();
  aws.running.sim.iam.enforce = true;
  teardownLogs = new CloudWatchLogsClient(
    asRole(aws, 'TeardownPassRole', declaredGrants('teardownPass', 'logs')),
  );
  for (const logGroupName of [API_GROUP, WORKER_GROUP]) {
    await operatorLogs.send(new CreateLogGroupCommand({ logGroupName, tags: environmentTags(ENV) }));
  }
});

afterEach(() => {
  teardownLogs.destroy();
});

afterAll(async () => {
  operatorLogs.destroy();
  operatorEcs.destroy();
  await aws.stop();
});

/** Another teardown pass deletes `logGroupName` just before this client's first `commandName` call. */
function concurrentPassDeletes(logGroupName: string, commandName: string): void {
  let fired = false;
  teardownLogs.middlewareStack.add(
    (next, context) => async (args) => {
      if (!fired && context.commandName === commandName) {
        fired = true;
        await operatorLogs.send(new DeleteLogGroupCommand({ logGroupName }));
      }
      return next(args);
    },
    { step: 'initialize', name: 'concurrentPassDeletes' },
  );
}

async function logGroupNames(): Promise<string[]> {
  const { logGroups = [] } = await operatorLogs.send(new DescribeLogGroupsCommand({}));
  return logGroups.flatMap((group) => group.logGroupName ?? []);
}

describe("teardown's log groups, deleted meanwhile by another pass", () => {
  it('refuses a tag-conditioned DeleteLogGroup of a group that is gone, as AWS does', async () => {
    // Prepare
    await operatorLogs.send(new DeleteLogGroupCommand({ logGroupName: API_GROUP }));

    // Act
    const refusal = await refusalOf(
      teardownLogs.send(new DeleteLogGroupCommand({ logGroupName: API_GROUP })),
    );

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain('logs:DeleteLogGroup');
  });

  it('counts a group deleted between its ListTagsForResource and its DeleteLogGroup as done', async () => {
    // Prepare
    concurrentPassDeletes(API_GROUP, 'DeleteLogGroupCommand');

    // Act
    const progress = await teardownServicesPass(ENV, undefined, { ecs: operatorEcs, logs: teardownLogs });

    // Assess
    expect(progress).toEqual({ done: true, blocked: [] });
    expect(await logGroupNames()).toEqual([]);
  });

  it('counts a group deleted between its Describe and its ListTagsForResource as done', async () => {
    // Prepare
    concurrentPassDeletes(API_GROUP, 'ListTagsForResourceCommand');

    // Act
    const progress = await teardownServicesPass(ENV, undefined, { ecs: operatorEcs, logs: teardownLogs });

    // Assess
    expect(progress).toEqual({ done: true, blocked: [] });
    expect(await logGroupNames()).toEqual([]);
  });

  it('still fails on a refused delete of a group that exists (its tag removed meanwhile)', async () => {
    // Prepare: between the pass's tag read and its delete, someone strips berth's tags from the group.
    let fired = false;
    teardownLogs.middlewareStack.add(
      (next, context) => async (args) => {
        if (!fired && context.commandName === 'DeleteLogGroupCommand') {
          fired = true;
          await operatorLogs.send(new DeleteLogGroupCommand({ logGroupName: API_GROUP }));
          await operatorLogs.send(new CreateLogGroupCommand({ logGroupName: API_GROUP }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'untaggedMeanwhile' },
    );

    // Act
    const refusal = await refusalOf(
      teardownServicesPass(ENV, undefined, { ecs: operatorEcs, logs: teardownLogs }),
    );

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(await logGroupNames()).toContain(API_GROUP);
  });
});
