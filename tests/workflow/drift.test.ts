/**
 * The drift check against a real provisioning run: the workflow builds an environment in the
 * simulated AWS, then a "console user" changes it behind berth's back with the AWS SDK, and each
 * change shows up in the report with what berth expects and what AWS has.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { checkDrift, type DriftDependencies } from '../../shared/app/drift';
import { getEnvironment } from '../../shared/app/reads';
import { type ObserveClients, observeEnvironment } from '../../shared/aws/observe';
import type { Environment } from '../../shared/domain/environment';
import { names } from '../../shared/domain/naming';
import type { Caller } from '../../shared/http/identity';
import { DriftCheckStore } from '../../shared/store/drift-checks';
import { memberOf } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;
let clients: ObserveClients;
let deps: DriftDependencies;

const team = `drift${process.pid % 10_000}`;
const caller: Caller = memberOf(team);
const stranger: Caller = memberOf(`other${process.pid % 10_000}`, 'mallory');

// Status events go to a bus; the simulated EventBridge always has `default` (set only if the stack does not).
const eventBusWasSet = process.env.EVENT_BUS_NAME !== undefined;

beforeAll(async () => {
  process.env.EVENT_BUS_NAME ??= 'default';
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  const config = {
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  clients = {
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    logs: new CloudWatchLogsClient(config),
  };
  deps = { store: stack.store, observe: (target) => observeEnvironment(target, clients) };
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await stack?.stop();
  if (!eventBusWasSet) delete process.env.EVENT_BUS_NAME;
});

describe('checks limited per environment', () => {
  const WINDOW = 60;
  let ready: Environment;
  let clock: Date;
  let observed: number;
  let limited: DriftDependencies;
  const log = new DriftCheckStore(testDocumentClient(), TEST_TABLE);

  beforeAll(async () => {
    const outcome = await createEnvironment(stack.deps, caller, {
      name: 'checked',
      team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    await stack.settle(outcome.environment.id);
    ready = await getEnvironment(stack.deps, caller, outcome.environment.id);
  });

  beforeEach(() => {
    observed = 0;
    limited = {
      store: stack.store,
      observe: (target) => {
        observed += 1;
        return observeEnvironment(target, clients);
      },
      checks: { log, windowSeconds: WINDOW },
      now: () => clock,
    };
  });

  it('answers 429 with Retry-After while another request checks and no report exists yet, reading nothing', async () => {
    clock = new Date('2026-12-07T10:00:00Z');
    await log.claim(ready.id, new Date(clock.getTime() - 20_000), WINDOW);

    const error = await checkDrift(limited, caller, ready.id).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 40 });
    expect(observed).toBe(0);
  });

  it('reads AWS once per window and answers the last report with its age within it', async () => {
    clock = new Date('2026-12-07T10:01:00Z');
    const first = await checkDrift(limited, caller, ready.id);
    clock = new Date('2026-12-07T10:01:45Z');
    const again = await checkDrift(limited, caller, ready.id);

    expect(first).toMatchObject({ drifted: false, checkedAt: '2026-12-07T10:01:00.000Z', ageSeconds: 0 });
    expect(again).toEqual({ ...first, ageSeconds: 45 });
    expect(observed).toBe(1);
  });

  it('reads AWS again once the window has passed', async () => {
    clock = new Date('2026-12-07T10:02:01Z');

    const later = await checkDrift(limited, caller, ready.id);

    expect(later).toMatchObject({ checkedAt: '2026-12-07T10:02:01.000Z', ageSeconds: 0 });
    expect(observed).toBe(1);
  });

  it('lets only one of many simultaneous requests read AWS', async () => {
    clock = new Date('2026-12-07T10:05:00Z');

    const answers = await Promise.all(Array.from({ length: 5 }, () => checkDrift(limited, caller, ready.id)));

    expect(observed).toBe(1);
    // The others answered a report already made (the previous one, aged, or the new one) rather than fan out too.
    const checkedAt = answers.map((answer) => answer.checkedAt);
    expect(checkedAt).toContain('2026-12-07T10:05:00.000Z');
    for (const time of checkedAt)
      expect(['2026-12-07T10:05:00.000Z', '2026-12-07T10:02:01.000Z']).toContain(time);
  });
});

describe('an environment changed behind berth', () => {
  let ready: Environment;
  let loadBalancerArn: string;

  beforeAll(async () => {
    const outcome = await createEnvironment(stack.deps, caller, {
      name: 'drifty',
      team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    });
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    await stack.settle(outcome.environment.id);
    ready = await getEnvironment(stack.deps, caller, outcome.environment.id);
    const { LoadBalancers = [] } = await clients.elbv2.send(
      new DescribeLoadBalancersCommand({ Names: [names.loadBalancer(ready)] }),
    );
    loadBalancerArn = LoadBalancers[0]?.LoadBalancerArn ?? '';
  });

  it('reports no drift right after provisioning', async () => {
    expect(ready.status).toBe('READY');

    const report = await checkDrift(deps, caller, ready.id);

    expect(report).toEqual({
      environmentId: ready.id,
      checkedAt: expect.any(String),
      drifted: false,
      differences: [],
      ageSeconds: 0,
    });
  });

  it('answers 404 for another team, exactly like a missing environment', async () => {
    await expect(checkDrift(deps, stranger, ready.id)).rejects.toMatchObject({
      kind: 'not-found',
      detail: 'no environment with that id exists or it belongs to another team',
    });
  });

  it('reports a desired count changed with UpdateService', async () => {
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: names.cluster(ready), service: 'web', desiredCount: 3 }),
    );

    const report = await checkDrift(deps, caller, ready.id);

    expect(report.drifted).toBe(true);
    expect(report.differences).toContainEqual({
      resource: 'service/web',
      field: 'desiredCount',
      expected: 1,
      actual: 3,
    });
  });

  it('reports a health-check path changed with ModifyTargetGroup', async () => {
    const groupName = names.targetGroup(ready, 'web');
    const { TargetGroups = [] } = await clients.elbv2.send(
      new DescribeTargetGroupsCommand({ Names: [groupName] }),
    );
    await clients.elbv2.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: TargetGroups[0]?.TargetGroupArn,
        HealthCheckPath: '/changed',
      }),
    );

    const report = await checkDrift(deps, caller, ready.id);

    expect(report.differences).toContainEqual({
      resource: `target-group/${groupName}`,
      field: 'healthCheck.path',
      expected: '/',
      actual: '/changed',
    });
  });

  it('reports a berth tag removed from the load balancer', async () => {
    await clients.elbv2.send(
      new RemoveTagsCommand({ ResourceArns: [loadBalancerArn], TagKeys: ['berth:team'] }),
    );

    const report = await checkDrift(deps, caller, ready.id);

    expect(report.differences).toContainEqual({
      resource: `load-balancer/${names.loadBalancer(ready)}`,
      field: 'tags.berth:team',
      expected: team,
      actual: null,
    });
  });

  it('reports a deleted listener rule as missing', async () => {
    const { Listeners = [] } = await clients.elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }),
    );
    const { Rules = [] } = await clients.elbv2.send(
      new DescribeRulesCommand({ ListenerArn: Listeners[0]?.ListenerArn }),
    );
    const rule = Rules.find((candidate) => !candidate.IsDefault);
    await clients.elbv2.send(new DeleteRuleCommand({ RuleArn: rule?.RuleArn }));

    const report = await checkDrift(deps, caller, ready.id);

    expect(report.differences).toContainEqual({
      resource: 'listener-rule/web',
      field: 'exists',
      expected: true,
      actual: false,
    });
  });

  it('lists exactly the four changes made behind berth', async () => {
    const report = await checkDrift(deps, caller, ready.id);

    expect(report.differences.map(({ resource, field }) => `${resource} ${field}`).sort()).toEqual(
      [
        `load-balancer/${names.loadBalancer(ready)} tags.berth:team`,
        'listener-rule/web exists',
        'service/web desiredCount',
        `target-group/${names.targetGroup(ready, 'web')} healthCheck.path`,
      ].sort(),
    );
  });

  it('tears the drifted environment down, then answers 409 for it', async () => {
    await deleteEnvironment(stack.deps, caller, ready.id);
    await stack.settle(ready.id);
    const deleted = await getEnvironment(stack.deps, caller, ready.id);
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(ready.id)).toEqual({});

    await expect(checkDrift(deps, caller, ready.id)).rejects.toMatchObject({
      kind: 'conflict',
      detail: expect.stringContaining('status DELETED cannot be checked for drift'),
    });
  });
});
