/**
 * Updates of the environment-wide settings on the simulated AWS (shared/domain/patch.ts
 * APPLIED_FIELDS): each changed field is read back from AWS after the update reports READY, the step
 * run a second time changes nothing, and a field AWS cannot change in place is refused before
 * anything is written.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import { TAG_ENVIRONMENT } from '../../shared/domain/naming';
import type { EnvironmentRequest } from '../../shared/domain/spec';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

let stack: WorkflowStack;
let ec2: EC2Client;
let ecs: ECSClient;
let elb: ElasticLoadBalancingV2Client;
let autoScaling: AutoScalingClient;
let counter = 0;
/** The answers of update-settings' first and repeated run, per update. */
const runs: [unknown, unknown][] = [];

beforeAll(async () => {
  // update-settings runs twice in a row, as when its answer is lost and Step Functions retries it.
  stack = await startWorkflowStack({
    timeScale: 0.0005,
    wrap: (key, handler) =>
      key !== 'updateSettings'
        ? handler
        : async (event, context) => {
            const first = await handler(event, context);
            const second = await handler(event, context);
            runs.push([first, second]);
            return second;
          },
  });
  const config = {
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  ec2 = new EC2Client(config);
  ecs = new ECSClient(config);
  elb = new ElasticLoadBalancingV2Client(config);
  autoScaling = new AutoScalingClient(config);
});

afterAll(async () => {
  for (const client of [ec2, ecs, elb, autoScaling]) client?.destroy();
  await stack?.stop();
});

async function readyEnvironment(
  request: Partial<EnvironmentRequest> = {},
): Promise<{ caller: Caller; environment: Environment }> {
  counter += 1;
  const team = `set${process.pid % 10_000}-${counter}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'app',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
    ...request,
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  const environment = await getEnvironment(stack.deps, caller, outcome.environment.id);
  expect(environment.status).toBe('READY');
  return { caller, environment };
}

async function patch(caller: Caller, environment: Environment, body: unknown): Promise<Environment> {
  await updateEnvironment(stack.deps, caller, environment.id, body, `"${environment.version}"`);
  await stack.settle(environment.id);
  return getEnvironment(stack.deps, caller, environment.id);
}

async function teardown(caller: Caller, id: string): Promise<void> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);
  expect(await stack.inventory(id)).toEqual({});
}

/** The CIDRs the load balancer group lets in, per port. */
async function albIngress(environmentId: string): Promise<Record<number, string[]>> {
  const { SecurityGroups = [] } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: `tag:${TAG_ENVIRONMENT}`, Values: [environmentId] },
        { Name: 'tag:berth:part', Values: ['sg-alb'] },
      ],
    }),
  );
  expect(SecurityGroups).toHaveLength(1);
  const byPort: Record<number, string[]> = {};
  for (const permission of SecurityGroups[0]?.IpPermissions ?? []) {
    const port = permission.FromPort ?? -1;
    byPort[port] = [
      ...(byPort[port] ?? []),
      ...(permission.IpRanges ?? []).map((range) => range.CidrIp ?? ''),
    ];
  }
  for (const port of Object.keys(byPort)) byPort[Number(port)]?.sort();
  return byPort;
}

async function idleTimeout(environment: Environment): Promise<string | undefined> {
  const dnsName = String(environment.outputs.loadBalancerDnsName);
  const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({}));
  const arn = LoadBalancers.find((loadBalancer) => loadBalancer.DNSName === dnsName)?.LoadBalancerArn;
  const { Attributes = [] } = await elb.send(
    new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }),
  );
  return Attributes.find((attribute) => attribute.Key === 'idle_timeout.timeout_seconds')?.Value;
}

async function containerInsights(environment: Environment): Promise<string | undefined> {
  const { clusters = [] } = await ecs.send(
    new DescribeClustersCommand({
      clusters: [String(environment.outputs.clusterArn)],
      include: ['SETTINGS'],
    }),
  );
  return clusters[0]?.settings?.find((setting) => setting.name === 'containerInsights')?.value;
}

async function groupSize(environmentId: string) {
  const { AutoScalingGroups = [] } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({
      Filters: [{ Name: `tag:${TAG_ENVIRONMENT}`, Values: [environmentId] }],
    }),
  );
  expect(AutoScalingGroups).toHaveLength(1);
  const [group] = AutoScalingGroups;
  return { min: group?.MinSize, max: group?.MaxSize, desired: group?.DesiredCapacity };
}

it('applies new ingress CIDRs, idle timeout and Container Insights, then reports READY', async () => {
  // Prepare
  const { caller, environment } = await readyEnvironment();
  expect(await albIngress(environment.id)).toEqual({ 80: ['0.0.0.0/0'], 443: ['0.0.0.0/0'] });

  // Act
  const updated = await patch(caller, environment, {
    network: { allowedIngressCidrs: ['203.0.113.0/24', '198.51.100.0/24'] },
    loadBalancer: { idleTimeoutSeconds: 300 },
    cluster: { containerInsights: false },
  });

  // Assess
  expect(updated.error).toBeUndefined();
  expect(updated.status).toBe('READY');
  const allowed = ['198.51.100.0/24', '203.0.113.0/24'];
  expect(await albIngress(environment.id)).toEqual({ 80: allowed, 443: allowed });
  expect(await idleTimeout(updated)).toBe('300');
  expect(await containerInsights(updated)).toBe('disabled');
  expect(runs.at(-1)).toEqual([{ changed: ['cluster.containerInsights'] }, { changed: [] }]);
  expect(updated.progress.completedSteps.map((step) => step.step)).toContain('update-settings');
  await teardown(caller, environment.id);
});

it('resizes the EC2 capacity’s Auto Scaling group, then reports READY', async () => {
  // Prepare
  const { caller, environment } = await readyEnvironment({
    cluster: {
      capacity: 'EC2',
      ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 3, desiredCapacity: 1 },
    },
  });
  expect(await groupSize(environment.id)).toEqual({ min: 1, max: 3, desired: 1 });

  // Act
  const updated = await patch(caller, environment, {
    cluster: { ec2: { instanceType: 't3.medium', minSize: 2, maxSize: 5, desiredCapacity: 3 } },
  });

  // Assess
  expect(updated.error).toBeUndefined();
  expect(updated.status).toBe('READY');
  expect(await groupSize(environment.id)).toEqual({ min: 2, max: 5, desired: 3 });
  expect(runs.at(-1)).toEqual([{ changed: ['cluster.ec2'] }, { changed: [] }]);
  await teardown(caller, environment.id);
});

it('refuses a load balancer scheme change with 422 and changes nothing', async () => {
  // Prepare
  const { caller, environment } = await readyEnvironment();

  // Act
  const refusal = await updateEnvironment(
    stack.deps,
    caller,
    environment.id,
    { loadBalancer: { scheme: 'internal' } },
    `"${environment.version}"`,
  ).then(
    () => undefined,
    (error: unknown) => error,
  );

  // Assess
  expect(refusal).toBeInstanceOf(UseCaseError);
  expect((refusal as UseCaseError).kind).toBe('unprocessable');
  expect((refusal as UseCaseError).errors?.map((issue) => issue.path)).toEqual(['/loadBalancer/scheme']);
  const after = await getEnvironment(stack.deps, caller, environment.id);
  expect(after.version).toBe(environment.version);
  expect(after.status).toBe('READY');
  await teardown(caller, environment.id);
});
