/**
 * The tag conditions of issue #16 finding 7, as the declared statements hold them, against the
 * simulated AWS: teardown deletes only the `/berth/…` log groups that carry berth's tag, and the API's
 * run-task function and the jobs role run only task definitions that carry it
 * (docs/aws-facts.md#teardown-deletes-and-berths-tag).
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateClusterCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { ecs } from '@berth/aws-sim/services/ecs';
import { logs } from '@berth/aws-sim/services/logs';
import { asRole, refusalOf } from '@berth/aws-sim/tests/iam-session';
import { ACCOUNT, declaredGrants, sharedGrants } from './declared-grants';
import { createNetwork, environment, type SimulatedAws, startAws, type TestNetwork } from './simulated-aws';

const BERTH_TAGS = { 'berth:managed-by': 'berth', 'berth:environment': environment().id };

let aws: SimulatedAws;
let operatorLogs: CloudWatchLogsClient;
let operatorEcs: ECSClient;
let network: TestNetwork;
const clients: Array<{ destroy: () => void }> = [];

beforeAll(async () => {
  aws = await startAws([ec2, ecs, logs]);
  operatorLogs = new CloudWatchLogsClient(aws.clientConfig);
  operatorEcs = new ECSClient(aws.clientConfig);
});

beforeEach(async () => {
  aws.running.sim.reset();
  aws.running.sim.iam.enforce = true;
  network = await createNetwork(aws);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

afterAll(async () => {
  operatorLogs.destroy();
  operatorEcs.destroy();
  await aws.stop();
});

function teardownLogs(): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient(
    asRole(aws, 'TeardownPassRole', declaredGrants('teardownPass', 'logs')),
  );
  clients.push(client);
  return client;
}

async function logGroupNames(): Promise<string[]> {
  const { logGroups = [] } = await operatorLogs.send(new DescribeLogGroupsCommand({}));
  return logGroups.flatMap((group) => group.logGroupName ?? []);
}

describe("teardown's DeleteLogGroup", () => {
  it("deletes a /berth/ log group that carries berth's tag", async () => {
    // Prepare
    const logGroupName = '/berth/payments/shop/api';
    await operatorLogs.send(new CreateLogGroupCommand({ logGroupName, tags: BERTH_TAGS }));

    // Act
    await teardownLogs().send(new DeleteLogGroupCommand({ logGroupName }));

    // Assess
    expect(await logGroupNames()).not.toContain(logGroupName);
  });

  it("refuses a /berth/ log group without berth's tag, and leaves it", async () => {
    // Prepare
    const logGroupName = '/berth/payments/made-by-hand/api';
    await operatorLogs.send(new CreateLogGroupCommand({ logGroupName }));

    // Act
    const refusal = await refusalOf(teardownLogs().send(new DeleteLogGroupCommand({ logGroupName })));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain('logs:DeleteLogGroup');
    expect(await logGroupNames()).toContain(logGroupName);
  });
});

const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/berth-env-01jd0000000000000000a1b2c3d4-execution`;

/** RunTask as the API's run-task function (or the jobs role: both hold the same shared grants). */
function runTaskRole(): ECSClient {
  const grants = ['runJobTasks', 'tagJobTasks', 'passTaskRoles'];
  const client = new ECSClient(
    asRole(aws, 'RunTaskRole', [...sharedGrants(grants, 'ecs'), ...sharedGrants(grants, 'iam')]),
  );
  clients.push(client);
  return client;
}

/** A Fargate task definition registered by the operator, with `tags`; answers its ARN. */
async function taskDefinition(family: string, tags: Record<string, string>): Promise<string> {
  await operatorEcs.send(
    new CreateClusterCommand({ clusterName: 'shop-a1b2c3d4', capacityProviders: ['FARGATE'] }),
  );
  const registered = await operatorEcs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: EXECUTION_ROLE,
      containerDefinitions: [{ name: 'job', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    }),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

function runInput(definition: string): RunTaskCommandInput {
  return {
    cluster: 'shop-a1b2c3d4',
    taskDefinition: definition,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
    tags: Object.entries(BERTH_TAGS).map(([key, value]) => ({ key, value })),
  };
}

describe('RunTask by the API and the jobs role', () => {
  it("runs a task definition that carries berth's tag", async () => {
    // Prepare
    const definition = await taskDefinition('shop-a1b2c3d4-report', BERTH_TAGS);

    // Act
    const run = await runTaskRole().send(new RunTaskCommand(runInput(definition)));

    // Assess
    expect(run.tasks).toHaveLength(1);
    expect(run.tasks?.[0]?.taskDefinitionArn).toBe(definition);
  });

  it("refuses another task definition of the account, without berth's tag", async () => {
    // Prepare
    const definition = await taskDefinition('billing-batch', {});

    // Act
    const refusal = await refusalOf(runTaskRole().send(new RunTaskCommand(runInput(definition))));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(`ecs:RunTask on resource: ${definition}`);
  });
});
